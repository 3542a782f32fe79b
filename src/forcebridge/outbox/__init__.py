"""Event publishing: a durable outbox delivered at least once, in order per key."""
