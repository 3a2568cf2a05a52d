"""Rasa's SQL tracker store, pointed at the database that bot.settings configures.

SQLite file under var/ by default; any SQLAlchemy URL (e.g. PostgreSQL) via KEUZESPIEGEL_DB_URL.
"""

from __future__ import annotations

from typing import Any

from rasa.core.tracker_store import SQLTrackerStore

from bot import settings


class ConfiguredSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore whose address comes from the environment, not from endpoints.yml."""

    def __init__(self, domain: Any = None, host: str | None = None, event_broker: Any = None, **kwargs: Any):
        config = settings.load()
        if config.sqlite_path is not None:
            config.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        kwargs.pop("url", None)
        super().__init__(domain=domain, host=config.db_url, event_broker=event_broker, **kwargs)
