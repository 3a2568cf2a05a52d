"""Rasa's SQL tracker store, pointed at the database that bot.settings configures.

SQLite file under var/ by default; any SQLAlchemy URL (e.g. PostgreSQL) via KEUZESPIEGEL_DB_URL.
For SQLite every connection waits up to SQLITE_BUSY_MS for another writer (instead of failing at once),
the file is in WAL mode (the dashboard's reads and Rasa's writes do not block each other), and deleted
conversations are overwritten on disk (secure_delete), so a purge really removes them.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore

from bot import settings

SQLITE_BUSY_MS = 10_000


def sqlite_pragmas(dbapi_connection: Any, connection_record: Any = None) -> None:
    """Per-connection SQLite settings (a SQLAlchemy "connect" listener)."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_MS}")
        cursor.execute("PRAGMA secure_delete = ON")
    finally:
        cursor.close()


class ConfiguredSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore whose address comes from the environment, not from endpoints.yml."""

    def __init__(self, domain: Any = None, host: str | None = None, event_broker: Any = None, **kwargs: Any):
        config = settings.load()
        if config.sqlite_path is not None:
            config.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        kwargs.pop("url", None)
        super().__init__(domain=domain, host=config.db_url, event_broker=event_broker, **kwargs)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", sqlite_pragmas)
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA journal_mode = WAL")
