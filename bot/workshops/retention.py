"""Retention: conversations are kept for a limited number of days after their last message."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.workshops import store

DAY = 86400.0
_CHUNK = 500

_STALE_SQL = sa.text("SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :cutoff")
# The NOT IN guard keeps a conversation that received a new event after the SELECT above.
_DELETE_SQL = sa.text(
    "DELETE FROM events WHERE sender_id IN :senders AND sender_id NOT IN ("
    " SELECT sender_id FROM events WHERE sender_id IN :senders AND timestamp >= :cutoff)"
).bindparams(sa.bindparam("senders", expanding=True))
_COUNT_SQL = sa.text("SELECT COUNT(DISTINCT sender_id) FROM events WHERE sender_id IN :senders").bindparams(
    sa.bindparam("senders", expanding=True)
)


def purge_old_conversations(
    days: int, now: float | None = None, *, db_url: str | None = None, engine: Engine | None = None
) -> int:
    """Delete every conversation (all its events) whose last event is older than `days` days.

    Returns the number of conversations removed. Workshops and other tables are left alone.
    """
    if days < 0:
        raise ValueError("days must be 0 or more")
    engine = engine or store.get_engine(db_url)
    if not store.has_events_table(engine):
        return 0
    cutoff = (time.time() if now is None else now) - days * DAY
    removed = 0
    with engine.begin() as connection:
        stale = [row[0] for row in connection.execute(_STALE_SQL, {"cutoff": cutoff})]
        for start in range(0, len(stale), _CHUNK):
            chunk = stale[start : start + _CHUNK]
            before = connection.execute(_COUNT_SQL, {"senders": chunk}).scalar_one()
            connection.execute(_DELETE_SQL, {"senders": chunk, "cutoff": cutoff})
            after = connection.execute(_COUNT_SQL, {"senders": chunk}).scalar_one()
            removed += int(before) - int(after)
    return removed


_DATED_LOG = re.compile(r"^.+-(?P<day>\d{4}-\d{2}-\d{2})\.log$")


def purge_logs(log_dir: Path, days: int, now: float | None = None) -> int:
    """Delete log files that may hold a line older than `days` days; returns how many were deleted.

    A dated file (`rasa-2025-03-01.log`, one per day, see bot.cli.servers.DailyLog) goes once its day
    started `days` days ago; any other file once it was last written `days` days ago.
    """
    if days < 0:
        raise ValueError("days must be 0 or more")
    if not log_dir.is_dir():
        return 0
    now = time.time() if now is None else now
    removed = 0
    for path in log_dir.iterdir():
        if not path.is_file() or ".log" not in path.name:
            continue
        match = _DATED_LOG.match(path.name)
        try:
            if match:
                started = time.mktime(dt.date.fromisoformat(match.group("day")).timetuple())
            else:
                started = path.stat().st_mtime
        except (ValueError, OSError):
            continue
        if now - started >= days * DAY:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
