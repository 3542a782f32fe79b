"""What a running forcebridge process holds: its settings, database and vault.

Built once from `Settings` by the API, the CLI and the workers, so all three see the same
configuration the same way.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from forcebridge import log
from forcebridge.settings import Settings
from forcebridge.store.db import Database
from forcebridge.vault import Vault, load_or_create_key

if TYPE_CHECKING:
    import httpx

    from forcebridge.salesforce import ConnectionPools


class Runtime:
    def __init__(
        self,
        settings: Settings | None = None,
        *,
        salesforce_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings or Settings()
        # None reaches the real Salesforce; tests and the demo hand in the emulator's transport.
        self.salesforce_transport = salesforce_transport

    def __repr__(self) -> str:
        return f"Runtime(db={self.db!r})"

    @cached_property
    def pools(self) -> ConnectionPools:
        # the Salesforce client loads only in a process that reaches an org
        from forcebridge.salesforce import ConnectionPools, RedisSlots

        broker = self.settings.broker_url
        if broker is None:
            return ConnectionPools()
        # with a broker, a connection's concurrency holds across every process, in Redis
        return ConnectionPools(
            RedisSlots(broker, lease_seconds=self.settings.concurrency_lease_seconds)
        )

    @cached_property
    def db(self) -> Database:
        return Database(self.settings.resolved_database_url)

    @cached_property
    def vault(self) -> Vault:
        fallbacks = [k.get_secret_value() for k in self.settings.secret_key_fallbacks]
        # A rotation interrupted half-way leaves both files; either key must still open values.
        for path in (self.pending_key_file, self.previous_key_file):
            if path.exists():
                fallbacks.append(path.read_text().strip())
        return Vault(self.primary_key(), fallbacks)

    @property
    def pending_key_file(self) -> Path:
        return self.settings.secret_key_file.with_name("secret.key.new")

    @property
    def previous_key_file(self) -> Path:
        return self.settings.secret_key_file.with_name("secret.key.previous")

    def primary_key(self) -> str:
        if self.settings.secret_key is not None:
            return self.settings.secret_key.get_secret_value()
        return load_or_create_key(self.settings.secret_key_file)

    def reset_vault(self) -> None:
        self.__dict__.pop("vault", None)

    def migrate(self) -> None:
        from forcebridge.store import schema_version

        if schema_version.is_current(self.db):
            return
        from forcebridge.store import migrate

        migrate.upgrade(self.db)

    def configure_logging(self) -> None:
        log.configure(self.settings.log_level, self.settings.log_format)

    def close(self) -> None:
        if "db" in self.__dict__:
            self.db.dispose()
