"""forcebridge: connect a product's operational data to its customers' Salesforce orgs."""

__version__ = "0.1.0"
