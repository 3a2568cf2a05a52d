"""Read conversations from Rasa's SQL tracker store (table `events`) into a pandas DataFrame.

One row per conversation (docs/architecture.md). What the projector shows must only ever grow, so a
conversation's figures are fixed the first time it is finished:

- its workshop is the first workshop code it was given; a later code is ignored;
- it is a demo only if the demo flag came with its first message; a later flag is ignored;
- once the persona is first set, its answers, scores and persona are those of that turn, whatever the
  pupil does afterwards ("Opnieuw beginnen", another answer, another code). `finished_at` is that moment.

A conversation that is not finished yet has the last value of each slot. The database is always read
live through SQLAlchemy; nothing is copied.
"""

from __future__ import annotations

import itertools
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.core.content import ANSWER_SLOT_PREFIX, SCORE_SLOTS, encode_answer

# The slots a dashboard row is made of, besides the answers (q_...): written into _EVENTS_SQL below.
ROW_SLOTS = ("workshop", "demo", "persona", "fit", *SCORE_SLOTS)
BASE_COLUMNS = (
    "sender_id",
    "workshop",
    "demo",
    "started",
    "last_event",
    "finished",
    "finished_at",
    "persona",
    "fit",
    *SCORE_SLOTS,
)

_SENDERS_SQL = """
SELECT sender_id, MIN(timestamp) AS started, MAX(timestamp) AS last_event
FROM events
{where}
GROUP BY sender_id
"""
# User events only mark turns (their text is never read); slot events carry the state.
_EVENTS_SQL = """
SELECT sender_id, id, type_name, timestamp, action_name AS slot,
       CASE WHEN type_name = 'slot' THEN data END AS data
FROM events
WHERE (type_name = 'user'
       OR (type_name = 'slot'
           AND (action_name IN ({row_slots})
                OR action_name LIKE '{prefix}%' ESCAPE '\\')))
{{and_where}}
ORDER BY sender_id, id
""".format(row_slots=", ".join(f"'{name}'" for name in ROW_SLOTS), prefix=ANSWER_SLOT_PREFIX.replace("_", "\\_"))

_VALUE_TAIL = r'"value": (.*)}$'
_WORKSHOP_SENDERS = """sender_id IN (
    SELECT sender_id FROM events
    WHERE type_name = 'slot' AND action_name = 'workshop' AND data LIKE :pattern
)"""


@lru_cache(maxsize=8)
def get_engine(db_url: str | None) -> Engine:
    """One pooled engine per database URL. The caller passes the URL (Settings.db_url of its entry point):
    this module never reads the settings itself."""
    if not db_url:
        raise ValueError("no database URL: pass db_url (Settings.db_url) or an engine")
    url = db_url
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        Path(url.split("///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 15}
    engine = sa.create_engine(url, future=True, **kwargs)
    if url.startswith("sqlite"):
        sa.event.listen(engine, "connect", _secure_delete)
    return engine


def _secure_delete(dbapi_connection: Any, connection_record: Any = None) -> None:
    """Deleted rows (a purged conversation) are overwritten in the SQLite file, not just unlinked."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA secure_delete = ON")
    finally:
        cursor.close()


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
        return encode_answer(str(v) for v in value) or None
    text = str(value).strip()
    return text or None


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _empty_frame() -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype="object") for column in BASE_COLUMNS})


def _replay(events: list[tuple[str, str, float, str | None, Any]]) -> dict[str, Any]:
    """One conversation's row from its (type, id-ordered) user and slot events: see the module docstring."""
    state: dict[str, Any] = {}
    frozen: dict[str, Any] | None = None
    workshop: str | None = None
    demo = False
    users = 0
    finished_at: float | None = None
    for type_name, _, timestamp, slot, value in events:
        if type_name == "user":
            users += 1
            if finished_at is not None and frozen is None:
                frozen = dict(state)  # the turn that finished the conversation is over
            continue
        if slot == "workshop":
            code = _text(value)
            if workshop is None and code:
                workshop = code.upper()
            continue
        if slot == "demo":
            if users <= 1 and (value is True or str(value).lower() == "true"):
                demo = True
            continue
        state[slot] = value
        if slot == "persona" and finished_at is None and _text(value):
            finished_at = timestamp
    final = frozen if frozen is not None else state
    return {**final, "workshop": workshop, "demo": demo, "finished_at": finished_at}


def load_conversations(
    workshop: str | None = None, *, db_url: str | None = None, engine: Engine | None = None
) -> pd.DataFrame:
    """All conversations (or those of one workshop) with their figures, one row each.

    Columns: sender_id, workshop, demo (bool), started and last_event (unix time of the first and
    last event), finished (bool), finished_at (time the persona was first set), persona, fit,
    exploration, commitment, reconsideration (floats, NaN when unset) and one `q_<question_id>`
    column per question seen (text or None). Finished conversations keep the figures of their first finish.
    Demo conversations are included (column `demo`); callers leave them out.
    """
    engine = engine or get_engine(db_url)
    if not has_events_table(engine):
        return _empty_frame()
    params: dict[str, Any] = {}
    where, and_where = "", ""
    code = None
    if workshop is not None:
        code = workshop.strip().upper()
        if not code or not code.isalnum():
            return _empty_frame()
        where, and_where = f"WHERE {_WORKSHOP_SENDERS}", f"AND {_WORKSHOP_SENDERS}"
        params["pattern"] = f'%"{code}"%'
    # pandas 2.3 only accepts SQLAlchemy >= 2 in read_sql; Rasa 3.6 pins 1.4, so we build the frame.
    with engine.connect() as connection:
        senders = connection.execute(sa.text(_SENDERS_SQL.format(where=where)), params).fetchall()
        rows = connection.execute(sa.text(_EVENTS_SQL.format(and_where=and_where)), params).fetchall()
    if not senders:
        return _empty_frame()

    slot_rows = [i for i, row in enumerate(rows) if row[2] == "slot"]
    values: list[Any] = [None] * len(rows)
    if slot_rows:
        parsed = _slot_values(pd.Series([str(rows[i][5]) for i in slot_rows], dtype="object"))
        for i, value in zip(slot_rows, parsed, strict=True):
            values[i] = value
    replayed: dict[str, dict[str, Any]] = {}
    numbered = ((row[0], (row[2], row[1], row[3], row[4], values[i])) for i, row in enumerate(rows))
    for sender, group in itertools.groupby(numbered, key=lambda item: item[0]):
        replayed[sender] = _replay([event for _, event in group])

    records = []
    for sender, started, last_event in senders:
        record = replayed.get(sender, {"workshop": None, "demo": False, "finished_at": None})
        records.append({**record, "sender_id": sender, "started": started, "last_event": last_event})
    frame = pd.DataFrame.from_records(records)
    for column in ("persona", "fit", *SCORE_SLOTS):
        if column not in frame.columns:
            frame[column] = None
    frame["demo"] = frame["demo"].astype(bool)
    frame["persona"] = [_text(v) for v in frame["persona"]]
    frame["fit"] = [_text(v) for v in frame["fit"]]
    for column in SCORE_SLOTS:
        frame[column] = [_float(v) for v in frame[column]]
    frame["finished_at"] = [float(v) if not _missing(v) else float("nan") for v in frame["finished_at"]]
    frame["finished"] = frame["persona"].notna() & frame["finished_at"].notna()
    question_columns = sorted(c for c in frame.columns if str(c).startswith(ANSWER_SLOT_PREFIX))
    for column in question_columns:
        frame[column] = [_answer_text(v) for v in frame[column]]

    if code is not None:
        frame = frame[frame["workshop"] == code]
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
