"""Workshop codes that close and fill up (issue 12, row 3) and logs that expire (row 5)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import time
from pathlib import Path

import pytest

from bot import settings
from bot.workshops import registry
from bot.workshops.retention import DAY, purge_logs
from tests.unit.workshops.test_summary import add_conversation, tracker_store


@pytest.fixture()
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tracker.db'}"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_close_workshop(db_url: str) -> None:
    config = dataclasses.replace(settings.load(), db_url=db_url)
    workshop = registry.create_workshop("klas", db_url=db_url)
    assert workshop.is_open and workshop.as_dict(config)["open"] is True
    closed = registry.close_workshop(workshop.code.lower(), db_url=db_url, now=500.0)
    assert closed is not None and not closed.is_open and closed.closed_at == 500.0
    again = registry.close_workshop(workshop.code, db_url=db_url, now=900.0)
    assert again is not None and again.closed_at == 500.0, "the first closing time stays"
    assert registry.close_workshop("ZZZZZZ", db_url=db_url) is None
    assert registry.close_workshop("bad!", db_url=db_url) is None
    assert registry.list_workshops(db_url=db_url)[0].as_dict(config)["open"] is False


def test_an_old_workshops_table_gets_the_new_column(tmp_path: Path) -> None:
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "CREATE TABLE keuzespiegel_workshops (code VARCHAR(16) PRIMARY KEY, "
                "name VARCHAR(100) NOT NULL, created_at FLOAT NOT NULL)"
            )
        )
        connection.execute(sa.text("INSERT INTO keuzespiegel_workshops VALUES ('ABCDEF', 'oud', 1.0)"))
    workshop = registry.get_workshop("ABCDEF", db_url=url)
    assert workshop is not None and workshop.is_open
    assert registry.close_workshop("ABCDEF", db_url=url) is not None


def test_gate_admits_only_existing_open_codes(db_url: str) -> None:
    workshop = registry.create_workshop("klas", db_url=db_url)
    clock = Clock()
    gate = registry.Gate(db_url=db_url, cap=60, ttl=5, clock=clock)
    assert gate.admit(workshop.code.lower(), "p1") == workshop.code
    for code in ("ZZZZZZ", "", "x" * 40, "AB CD1", None, 42):
        assert gate.admit(code, "p1") is None, code
    registry.close_workshop(workshop.code, db_url=db_url)
    assert gate.admit(workshop.code, "p2") == workshop.code, "cached for up to ttl seconds"
    clock.now += 6
    assert gate.admit(workshop.code, "p2") is None, "closed: no one joins any more"
    assert gate.admit(workshop.code, "p1") is None


def test_gate_caps_conversations_per_workshop(db_url: str) -> None:
    workshop = registry.create_workshop("klas", db_url=db_url)
    tracker = tracker_store(db_url)
    add_conversation(tracker, "stored-1", workshop=workshop.code)
    add_conversation(tracker, "stored-2", workshop=workshop.code)
    clock = Clock()
    gate = registry.Gate(db_url=db_url, cap=4, ttl=5, clock=clock)
    assert gate.admit(workshop.code, "stored-1") == workshop.code
    assert gate.admit(workshop.code, "new-1") == workshop.code
    assert gate.admit(workshop.code, "new-2") == workshop.code
    assert gate.admit(workshop.code, "new-3") is None, "2 stored + 2 new = the cap of 4"
    clock.now += 10  # a refresh from the database keeps the pupils admitted here but not stored yet
    assert gate.admit(workshop.code, "new-1") == workshop.code
    assert gate.admit(workshop.code, "new-4") is None
    assert gate.admit(workshop.code, "stored-2") == workshop.code


def test_gate_memory_is_bounded(db_url: str) -> None:
    gate = registry.Gate(db_url=db_url, cap=60, max_codes=20)
    for i in range(200):
        code = "".join(registry.ALPHABET[(i * 7 + k) % len(registry.ALPHABET)] for k in range(6))
        assert gate.admit(code, "p") is None
    assert len(gate._workshops) <= 20


# ---- logs -------------------------------------------------------------------------------------------


def touch(path: Path, age_days: float, now: float) -> None:
    path.write_text("x\n")
    os.utime(path, (now - age_days * DAY, now - age_days * DAY))


def test_log_files_expire_within_the_retention_period(tmp_path: Path) -> None:
    now = time.time()
    today = dt.date.fromtimestamp(now)
    for age in range(0, 40):
        day = (today - dt.timedelta(days=age)).isoformat()
        touch(tmp_path / f"rasa-{day}.log", 0, now)
    touch(tmp_path / "web.log", 31, now)  # a log of an older version, last written 31 days ago
    touch(tmp_path / "actions.log", 2, now)
    (tmp_path / "notes.txt").write_text("not a log")
    removed = purge_logs(tmp_path, 30, now=now)
    left = sorted(p.name for p in tmp_path.iterdir())
    dated = [name for name in left if name.startswith("rasa-")]
    # A file holds at most one day; it goes once its day began 30 days ago, so no line is older than 30 days.
    assert len(dated) == 30
    oldest = min(dt.date.fromisoformat(name[5:15]) for name in dated)
    started = time.mktime(oldest.timetuple())
    assert now - started < 30 * DAY
    assert "web.log" not in left and "actions.log" in left and "notes.txt" in left
    assert removed == 11
    assert purge_logs(tmp_path / "missing", 30) == 0


def test_close_command(db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli.main import main

    monkeypatch.setenv("KEUZESPIEGEL_DB_URL", db_url)
    workshop = registry.create_workshop("klas", db_url=db_url)
    assert main(["workshop", "close", workshop.code.lower()]) == 0
    assert "closed: " + workshop.code in capsys.readouterr().out
    assert not registry.get_workshop(workshop.code, db_url=db_url).is_open  # type: ignore[union-attr]
    assert main(["workshop", "list"]) == 0
    assert "closed" in capsys.readouterr().out
    assert main(["workshop", "close", "ZZZZZZ"]) == 1
