"""Rasa's SQL tracker store, pointed at the database that bot.settings configures.

SQLite file under var/ by default; any SQLAlchemy URL (e.g. PostgreSQL) via KEUZESPIEGEL_DB_URL.
For SQLite every connection waits up to SQLITE_BUSY_MS for another writer (instead of failing at once),
the file is in WAL mode (the dashboard's reads and Rasa's writes do not block each other), and deleted
conversations are overwritten on disk (secure_delete), so a purge really removes them.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import sqlalchemy as sa
from jsonschema import ValidationError, validators
from rasa.core.actions import action
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

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
        # Rasa builds the tracker store from endpoints.yml and cannot hand it our settings: this is an entry point.
        config = settings.load()
        if config.sqlite_path is not None:
            config.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        kwargs.pop("url", None)
        super().__init__(domain=domain, host=config.db_url, event_broker=event_broker, **kwargs)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", sqlite_pragmas)
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA journal_mode = WAL")


# A measured fix for the largest cost of a turn inside Rasa 3.6 (docs/bench/profile.md). Rasa checks every answer
# of the action server with `jsonschema.validate(result, schema)`, which first checks the schema itself against
# the JSON Schema meta-schema, every time: for Rasa's schema of all event types that was most of a turn's time
# inside Rasa (Keuzespiegel makes 2-3 action calls per turn; Rasa's starter bot none). The schema never changes,
# so one validator, built and checked once, gives the same verdicts. This module is loaded by every Rasa server
# the project starts (endpoints.yml names it), so that is where the fix is installed.


@cache
def _response_validator() -> Any:
    schema = action.RemoteAction.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _validate_action_result(self: action.RemoteAction, result: dict[str, Any]) -> bool:
    """Same as Rasa's RemoteAction._validate_action_result, with the validator built once."""
    try:
        _response_validator().validate(result)
        return True
    except ValidationError as error:
        error.message += (
            ". Failed to validate Action server response from API, make sure your response from the Action "
            f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
        )
        raise


# The second one: loading a conversation turns each stored event into its class through Event.resolve_by_type,
# which walks all subclasses of Event for every single event (a fifth of a turn's Python time in the profile).
@cache
def _event_classes() -> dict[str, type[Event]]:
    classes: dict[str, type[Event]] = {}
    for cls in all_subclasses(Event):
        classes.setdefault(cls.type_name, cls)  # the first match wins, as in Rasa's own loop
    return classes


def _resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    """Same as Rasa's Event.resolve_by_type, with the table of event classes built once."""
    cls = _event_classes().get(type_name)
    if cls is not None:
        return cls
    if type_name == "topic":
        return None
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


def install_speedups() -> None:
    """Replace both methods once per process (idempotent)."""
    action.RemoteAction._validate_action_result = _validate_action_result
    Event.resolve_by_type = staticmethod(_resolve_by_type)


install_speedups()
