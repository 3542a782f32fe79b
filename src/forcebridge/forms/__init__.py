"""Inbound forms: a form post or URL parameters become a Salesforce record (a Lead, a Case)."""
