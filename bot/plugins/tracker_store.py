"""Rasa's SQL tracker store, pointed at the database that bot.settings configures.

SQLite file under var/ by default; any SQLAlchemy URL (e.g. PostgreSQL) via KEUZESPIEGEL_DB_URL.
For SQLite every connection waits up to SQLITE_BUSY_MS for another writer (instead of failing at once),
the file is in WAL mode (the dashboard's reads and Rasa's writes do not block each other), and deleted
conversations are overwritten on disk (secure_delete), so a purge really removes them.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import sqlalchemy as sa
from jsonschema import ValidationError, validators
from rasa.core.actions import action
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
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


# How many conversations a Rasa process keeps in memory between turns, and for how long after their last turn.
KEPT_TRACKERS = 200
KEPT_SECONDS = 5 * 60
# The index that finds a conversation's newest event (see `_ensure_newest_event_index`).
NEWEST_EVENT_INDEX = "ix_events_sender_id_id"


@dataclass
class _Kept:
    """A conversation this process loaded or stored: the tracker, the database id of its last stored event,
    how many of its events are stored, and whether a turn has it now (lent)."""

    tracker: DialogueStateTracker
    last_id: int
    stored: int
    lent: bool
    used: float


class ConfiguredSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore whose address comes from the environment, not from endpoints.yml, and that keeps the
    conversations of the last minutes in memory.

    Rasa rebuilds a conversation from all its stored events at every turn and counts them again before it
    saves: 35 ms of a turn, growing through the conversation (docs/bench/profile.md). Here a turn gets the
    tracker the previous turn left, when the database's newest event of that pupil is still the one this
    process stored (one indexed query), and a save writes the new events without counting. Another Rasa
    server answering one of the pupil's messages (the cluster), a purge, a failed turn or a new session all
    change that check or drop the entry, and the conversation is read from the database as before.
    """

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
        self._ensure_newest_event_index()
        self._kept: OrderedDict[str, _Kept] = OrderedDict()
        self._clock: Callable[[], float] = time.monotonic

    def _ensure_newest_event_index(self) -> None:
        """An index on (sender_id, id): the newest event of a conversation is one index entry away.

        Rasa indexes sender_id alone, so `_last_id` (three times a turn) read every event of the conversation:
        in the cluster, 348 rows fetched by PostgreSQL per message. Two servers may start at the same moment;
        if the other one created the index first, that is fine.
        """
        table = self.SQLEvent.__table__
        statement = f"CREATE INDEX IF NOT EXISTS {NEWEST_EVENT_INDEX} ON {table.name} (sender_id, id)"
        try:
            with self.engine.begin() as connection:
                connection.exec_driver_sql(statement)
        except sa.exc.DBAPIError:
            if NEWEST_EVENT_INDEX not in {i["name"] for i in sa.inspect(self.engine).get_indexes(table.name)}:
                raise

    def _last_id(self, connection: sa.engine.Connection | sa.orm.Session, sender_id: str) -> int | None:
        """The id of the newest stored event of this conversation (one entry of NEWEST_EVENT_INDEX)."""
        table = self.SQLEvent.__table__
        return connection.execute(sa.select(sa.func.max(table.c.id)).where(table.c.sender_id == sender_id)).scalar()

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        with self.engine.connect() as connection:
            last_id = self._last_id(connection, sender_id)
        kept = self._kept.get(sender_id)
        if kept is not None and not kept.lent and kept.last_id == last_id and len(kept.tracker.events) == kept.stored:
            kept.lent, kept.used = True, self._clock()
            self._kept.move_to_end(sender_id)
            return kept.tracker
        tracker = await super().retrieve(sender_id)
        if tracker is None or last_id is None:
            self._kept.pop(sender_id, None)
            return tracker
        # Read after `last_id`: if a write came in between, the next save finds a newer id and counts instead.
        self._keep(sender_id, tracker, last_id, lent=True)
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        sender_id = tracker.sender_id
        kept = self._kept.pop(sender_id, None)
        with self.session_scope() as session:
            if kept is not None and kept.tracker is tracker and self._last_id(session, sender_id) == kept.last_id:
                new_events = list(tracker.events)[kept.stored :]
            else:  # a tracker this process did not hand out, or the database changed under it: count, as Rasa does
                new_events = list(self._additional_events(session, tracker))
            self._insert(session, sender_id, new_events)
            last_id = self._last_id(session, sender_id)
            session.commit()
        # A new session: Rasa's next retrieve starts at it, so this tracker (with the old one) is not kept.
        if last_id is not None and not any(isinstance(event, SessionStarted) for event in new_events):
            self._keep(sender_id, tracker, last_id, lent=False)

    def _insert(self, connection: sa.engine.Connection | sa.orm.Session, sender_id: str, events: list[Event]) -> None:
        """One INSERT for the rows Rasa's own save writes (same columns, same values, same JSON)."""
        if events:
            connection.execute(self.SQLEvent.__table__.insert(), [self._row(sender_id, e) for e in events])

    @staticmethod
    def _row(sender_id: str, event: Event) -> dict[str, Any]:
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }

    def _keep(self, sender_id: str, tracker: DialogueStateTracker, last_id: int, lent: bool) -> None:
        now = self._clock()
        self._kept[sender_id] = _Kept(tracker, last_id, len(tracker.events), lent, now)
        self._kept.move_to_end(sender_id)
        while self._kept:
            oldest = next(iter(self._kept.values()))
            if len(self._kept) <= KEPT_TRACKERS and now - oldest.used <= KEPT_SECONDS:
                break
            self._kept.popitem(last=False)


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
