"""Retention removes exactly the conversations whose last event is older than N days."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.shared.core.events import UserUttered

from bot import settings
from bot.cli import workshop
from bot.workshops import registry, store
from bot.workshops.retention import DAY, purge_old_conversations
from tests.unit.workshops.test_summary import T0, add_conversation, tracker_store

NOW = T0 + 100 * DAY


@pytest.fixture()
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tracker.db'}"


def senders(db_url: str) -> set[str]:
    with sa.create_engine(db_url).connect() as connection:
        return {row[0] for row in connection.execute(sa.text("SELECT DISTINCT sender_id FROM events"))}


def test_purge_removes_exactly_the_old_conversations(db_url: str) -> None:
    tracker = tracker_store(db_url)
    add_conversation(tracker, "old-1", start=NOW - 45 * DAY, persona="tim", scores=(0.1, 0.2, 0.3))
    add_conversation(tracker, "old-2", start=NOW - 31 * DAY, answers={"stage": "klas3"})
    # Started long ago but spoke again recently: its last event counts, so it stays.
    add_conversation(tracker, "revived", start=NOW - 60 * DAY)
    revived = asyncio.run(tracker.retrieve("revived"))
    assert revived is not None
    revived.update(UserUttered("ben er weer", timestamp=NOW - 2 * DAY))
    asyncio.run(tracker.save(revived))
    add_conversation(tracker, "new-1", start=NOW - 29 * DAY)
    add_conversation(tracker, "new-2", start=NOW - 1)
    created = registry.create_workshop("blijft", db_url=db_url)

    assert purge_old_conversations(30, now=NOW, db_url=db_url) == 2
    assert senders(db_url) == {"revived", "new-1", "new-2"}
    assert registry.get_workshop(created.code, db_url=db_url) == created
    assert purge_old_conversations(30, now=NOW, db_url=db_url) == 0
    assert len(store.load_conversations(db_url=db_url)) == 3


def test_purge_all_events_of_a_conversation(db_url: str) -> None:
    tracker = tracker_store(db_url)
    add_conversation(tracker, "old", start=NOW - 40 * DAY, answers={"stage": "klas3", "hobbies": "many"})
    with sa.create_engine(db_url).connect() as connection:
        before = connection.execute(sa.text("SELECT COUNT(*) FROM events")).scalar_one()
    assert before > 5
    assert purge_old_conversations(30, now=NOW, db_url=db_url) == 1
    with sa.create_engine(db_url).connect() as connection:
        assert connection.execute(sa.text("SELECT COUNT(*) FROM events")).scalar_one() == 0


def test_purge_on_empty_or_missing_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'nothing.db'}"
    assert purge_old_conversations(30, db_url=url) == 0
    config = dataclasses.replace(settings.load(), db_url=f"sqlite:///{tmp_path / 'absent' / 'k.db'}")
    assert workshop.purge_on_start(config) == 0
    assert not (tmp_path / "absent" / "k.db").exists()
    with pytest.raises(ValueError):
        purge_old_conversations(-1, db_url=url)


def test_purge_command_uses_retention_days(
    db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import time

    tracker = tracker_store(db_url)
    now = time.time()
    add_conversation(tracker, "old", start=now - 31 * DAY)
    add_conversation(tracker, "week", start=now - 8 * DAY)
    add_conversation(tracker, "today", start=now - 60)
    monkeypatch.setenv("KEUZESPIEGEL_DB_URL", db_url)
    monkeypatch.setenv("KEUZESPIEGEL_RETENTION_DAYS", "30")
    from bot.cli.main import main

    assert main(["purge"]) == 0
    assert "removed 1 conversation" in capsys.readouterr().out
    assert main(["purge", "--days", "7"]) == 0
    assert senders(db_url) == {"today"}
    assert workshop.purge_on_start(settings.load()) == 0
    with pytest.raises(SystemExit):
        main(["purge", "--days", "0"])
