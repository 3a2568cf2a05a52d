"""Read conversations from Rasa's SQL tracker store (table `events`) into a pandas DataFrame.

One row per conversation. A conversation's state is the last `slot` event per slot name
(docs/architecture.md). The database is always read live through SQLAlchemy; nothing is copied.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot import settings

SCORE_SLOTS = ("exploration", "commitment", "reconsideration")
TEXT_SLOTS = ("workshop", "persona", "fit")
QUESTION_PREFIX = "q_"
BASE_COLUMNS = (
    "sender_id", "workshop", "demo", "started", "last_event", "finished", "finished_at", "persona", "fit",
    *SCORE_SLOTS,
)

_STATE_SQL = """
SELECT a.sender_id AS sender_id, a.started AS started, a.last_event AS last_event,
       e.id AS event_id, e.timestamp AS slot_time, e.action_name AS slot, e.data AS data
FROM (
    SELECT sender_id, MIN(timestamp) AS started, MAX(timestamp) AS last_event
    FROM events
    {where_agg}
    GROUP BY sender_id
) a
LEFT JOIN events e
    ON e.sender_id = a.sender_id
   AND e.type_name = 'slot'
   AND (e.action_name IN ('workshop', 'demo', 'persona', 'fit', 'exploration', 'commitment',
                          'reconsideration')
        OR e.action_name LIKE 'q\\_%' ESCAPE '\\')
"""

_VALUE_TAIL = r'"value": (.*)}$'
_WORKSHOP_FILTER = """
WHERE sender_id IN (
    SELECT sender_id FROM events
    WHERE type_name = 'slot' AND action_name = 'workshop' AND data LIKE :pattern
)
"""


@lru_cache(maxsize=8)
def get_engine(db_url: str | None = None) -> Engine:
    """One pooled engine per database URL (settings.load().db_url by default)."""
    url = db_url or settings.load().db_url
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        from pathlib import Path

        Path(url.split("///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 15}
    return sa.create_engine(url, future=True, **kwargs)


def has_events_table(engine: Engine) -> bool:
    """False until Rasa has created its tables (fresh install)."""
    return sa.inspect(engine).has_table("events")


def _slot_value(data: str | None) -> Any:
    if not data:
        return None
    try:
        return json.loads(data).get("value")
    except (ValueError, AttributeError):
        return None


def _slot_values(data: pd.Series) -> list[Any]:
    """Slot values of many events. Rasa writes `"value": ...}` last, so only that tail is parsed,
    once per distinct tail (option ids repeat a lot); anything else gets a full parse."""
    tails = data.str.extract(_VALUE_TAIL, expand=False)
    cache: dict[str, Any] = {}
    values = []
    for raw, tail in zip(data, tails, strict=True):
        if isinstance(tail, str):
            if tail not in cache:
                try:
                    cache[tail] = json.loads(tail)
                except ValueError:
                    cache[tail] = _slot_value(raw)
                    values.append(cache.pop(tail))
                    continue
            values.append(cache[tail])
        else:
            values.append(_slot_value(raw))
    return values


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _text(value: Any) -> str | None:
    return None if _missing(value) or str(value).strip() == "" else str(value).strip()


def _answer_text(value: Any) -> str | None:
    """Question slot value as text: option id, or ids joined by ',' for multi questions."""
    if _missing(value):
        return None
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value) or None
    text = str(value).strip()
    return text or None


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _empty_frame() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype="object") for column in BASE_COLUMNS})


def load_conversations(
    workshop: str | None = None, *, db_url: str | None = None, engine: Engine | None = None
) -> pd.DataFrame:
    """All conversations (or those of one workshop) with their current slot values, one row each.

    Columns: sender_id, workshop, demo (bool), started and last_event (unix time of the first and
    last event), finished (bool: persona set), finished_at (time of the persona event), persona, fit,
    exploration, commitment, reconsideration (floats, NaN when unset) and one `q_<question_id>`
    column per question seen (text or None).
    Demo conversations are included (column `demo`); callers leave them out.
    """
    engine = engine or get_engine(db_url)
    if not has_events_table(engine):
        return _empty_frame()
    params: dict[str, Any] = {}
    where = ""
    if workshop is not None:
        code = workshop.strip().upper()
        if not code or not code.isalnum():
            return _empty_frame()
        where = _WORKSHOP_FILTER
        params["pattern"] = f'%"{code}"%'
    # pandas 2.3 only accepts SQLAlchemy >= 2 in read_sql; Rasa 3.6 pins 1.4, so we build the frame.
    with engine.connect() as connection:
        result = connection.execute(sa.text(_STATE_SQL.format(where_agg=where)), params)
        raw = pd.DataFrame.from_records(result.fetchall(), columns=list(result.keys()))
    if raw.empty:
        return _empty_frame()

    senders = raw.drop_duplicates("sender_id")[["sender_id", "started", "last_event"]].set_index("sender_id")
    slots = raw.dropna(subset=["slot"]).sort_values("event_id")
    slots = slots.drop_duplicates(["sender_id", "slot"], keep="last")
    slots = slots.assign(value=_slot_values(slots["data"].astype(str)))
    wide = slots.pivot(index="sender_id", columns="slot", values="value")
    frame = senders.join(wide, how="left")
    persona_times = slots[slots["slot"] == "persona"].set_index("sender_id")["slot_time"]
    frame["finished_at"] = persona_times.reindex(frame.index)

    for column in ("workshop", "demo", "persona", "fit", *SCORE_SLOTS):
        if column not in frame.columns:
            frame[column] = None
    frame["workshop"] = [(_text(v) or "").upper() or None for v in frame["workshop"]]
    frame["demo"] = [v is True or str(v).lower() == "true" for v in frame["demo"]]
    frame["persona"] = [_text(v) for v in frame["persona"]]
    frame["fit"] = [_text(v) for v in frame["fit"]]
    for column in SCORE_SLOTS:
        frame[column] = [_float(v) for v in frame[column]]
    frame["finished"] = frame["persona"].notna()
    frame["finished_at"] = frame["finished_at"].where(frame["finished"])
    question_columns = sorted(c for c in frame.columns if str(c).startswith(QUESTION_PREFIX))
    for column in question_columns:
        frame[column] = [_answer_text(v) for v in frame[column]]

    if workshop is not None:
        frame = frame[frame["workshop"] == workshop.strip().upper()]
    frame = frame.reset_index().rename(columns={"index": "sender_id"})
    frame.columns.name = None
    return frame[[*BASE_COLUMNS, *question_columns]].reset_index(drop=True)



def last_slot_values(
    slots: list[str] | tuple[str, ...],
    *,
    sender_id: str | None = None,
    db_url: str | None = None,
    engine: Engine | None = None,
) -> pd.DataFrame:
    """The last value of each of these slots per conversation (or of one conversation), with its time.

    Columns: sender_id, slot, value (decoded from the event's JSON; None when the slot was reset) and time
    (unix time of that slot event). One row per conversation and slot that was ever set; an empty frame when
    there is none. Used by the pupil's own result page and the feedback figures.
    """
    names = sorted({str(name) for name in slots})
    columns = ["sender_id", "slot", "value", "time"]
    engine = engine or get_engine(db_url)
    if not names or not has_events_table(engine):
        return pd.DataFrame({column: pd.Series(dtype="object") for column in columns})
    query = (
        "SELECT id, sender_id, action_name AS slot, timestamp AS time, data FROM events "
        "WHERE type_name = 'slot' AND action_name IN :names"
    )
    params: dict[str, Any] = {"names": names}
    if sender_id is not None:
        query += " AND sender_id = :sender"
        params["sender"] = sender_id
    statement = sa.text(query).bindparams(sa.bindparam("names", expanding=True))
    with engine.connect() as connection:
        result = connection.execute(statement, params)
        raw = pd.DataFrame.from_records(result.fetchall(), columns=list(result.keys()))
    if raw.empty:
        return pd.DataFrame({column: pd.Series(dtype="object") for column in columns})
    raw = raw.sort_values("id").drop_duplicates(["sender_id", "slot"], keep="last")
    raw = raw.assign(value=[_slot_value(data) for data in raw["data"]])
    return raw[columns].reset_index(drop=True)
