"""Persistence: SQLAlchemy 2 models, the database handle, and Alembic migrations."""

from forcebridge.store.db import Database
from forcebridge.store.models import ApiKey, AuditEntry, Base, Tenant, User

__all__ = ["ApiKey", "AuditEntry", "Base", "Database", "Tenant", "User"]
