"""What defines each integration kind, below the engines that run it.

An inbound form's configuration and its hook (where a form posts and how it proves itself),
an event publication's target: what the service layer validates and stores, and what the
forms and outbox engines read back. An entity sync's configuration is `sync.config`, beside
the pure sync core it configures.
"""
