"""The tracker store keeps recent conversations in memory: every turn sees exactly what the database holds."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.plugins import tracker_store
from bot.plugins.tracker_store import ConfiguredSQLTrackerStore

DOMAIN = Domain.from_yaml(
    """
version: "3.1"
intents: [greet, inform]
slots:
  q_stage:
    type: any
    mappings: [{type: custom}]
  q_profile:
    type: any
    mappings: [{type: custom}]
"""
)


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


@pytest.fixture()
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'events.db'}"
    monkeypatch.setenv("KEUZESPIEGEL_DB_URL", url)
    return url


def server() -> ConfiguredSQLTrackerStore:
    """One Rasa server's tracker store (two of them share the database, as in the cluster)."""
    return ConfiguredSQLTrackerStore(domain=DOMAIN)


def turn(tracker: DialogueStateTracker, text: str, slot: str, value: str) -> None:
    """What a turn adds: the message, a slot, the bot listening again."""
    parse = {"intent": {"name": "inform", "confidence": 0.9}, "entities": [], "text": text}
    tracker.update(UserUttered(text, parse_data=parse))
    tracker.update(SlotSet(slot, value))
    tracker.update(ActionExecuted("action_listen"))


def stored(url: str, sender: str) -> list[dict[str, Any]]:
    """The conversation as the database holds it (a fresh reader, no memory)."""
    fresh = SQLTrackerStore(domain=DOMAIN, host=url)
    tracker = run(fresh.retrieve(sender))
    return [event.as_dict() for event in tracker.events] if tracker else []


def rows(url: str) -> list[tuple[Any, ...]]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        result = connection.execute(
            sa.text("SELECT sender_id, type_name, intent_name, action_name, data FROM events ORDER BY id")
        ).all()
    engine.dispose()
    return [tuple(row) for row in result]


def as_dicts(tracker: DialogueStateTracker) -> list[dict[str, Any]]:
    return [event.as_dict() for event in tracker.events]


def first_turn(store: Any, sender: str = "p1") -> DialogueStateTracker:
    """A new conversation with its first answer, saved."""
    tracker = run(store.get_or_create_tracker(sender))
    turn(tracker, "klas 4", "q_stage", "klas_4")
    run(store.save(tracker))
    return tracker


def test_the_next_turn_gets_the_tracker_the_last_one_stored(db_url: str) -> None:
    store = server()
    first = first_turn(store)
    second = run(store.retrieve("p1"))
    assert second is first, "no rebuild from the database"
    turn(second, "NT", "q_profile", "nt")
    run(store.save(second))
    assert as_dicts(second) == stored(db_url, "p1")
    assert second.get_slot("q_stage") == "klas_4" and second.get_slot("q_profile") == "nt"
    assert len(rows(db_url)) == len(second.events), "every event once"


def test_rows_are_the_ones_rasa_writes(db_url: str, tmp_path: Path) -> None:
    rasa_url = f"sqlite:///{tmp_path / 'rasa.db'}"
    ours, rasas = server(), SQLTrackerStore(domain=DOMAIN, host=rasa_url)
    for store in (ours, rasas):
        tracker = run(store.get_or_create_tracker("p1"))
        turn(tracker, "hoi", "q_stage", "klas_3")
        run(store.save(tracker))
        tracker = run(store.retrieve("p1"))
        turn(tracker, "weet ik niet", "q_profile", "dont_know")
        run(store.save(tracker))

    def without_time(table: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [(*row[:4], {k: v for k, v in json.loads(row[4]).items() if k != "timestamp"}) for row in table]

    assert without_time(rows(db_url)) == without_time(rows(rasa_url))


def test_a_message_answered_by_another_server_is_read_from_the_database(db_url: str) -> None:
    one, two = server(), server()
    tracker = first_turn(one)

    elsewhere = run(two.retrieve("p1"))
    turn(elsewhere, "NT", "q_profile", "nt")
    run(two.save(elsewhere))

    again = run(one.retrieve("p1"))
    assert again is not tracker and again.get_slot("q_profile") == "nt"
    turn(again, "EM", "q_profile", "em")
    run(one.save(again))
    assert as_dicts(again) == stored(db_url, "p1")
    assert len(rows(db_url)) == len(again.events), "nothing written twice"


def test_a_turn_that_failed_before_its_save_leaves_nothing_behind(db_url: str) -> None:
    store = server()
    first_turn(store)
    failed = run(store.retrieve("p1"))
    turn(failed, "NT", "q_profile", "nt")  # the action server was down: no save
    retried = run(store.retrieve("p1"))
    assert retried is not failed
    assert retried.get_slot("q_profile") is None
    assert as_dicts(retried) == stored(db_url, "p1")


def test_a_tracker_in_use_is_never_handed_out_twice(db_url: str) -> None:
    store = server()
    tracker = first_turn(store)
    in_turn = run(store.retrieve("p1"))
    reader = run(store.retrieve("p1"))
    assert in_turn is tracker and reader is not tracker
    assert as_dicts(reader) == as_dicts(in_turn)


def test_a_new_session_is_read_as_rasa_reads_it(db_url: str) -> None:
    store = server()
    tracker = first_turn(store)
    tracker = run(store.retrieve("p1"))
    for event in (ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")):
        tracker.update(event)
    run(store.save(tracker))
    after = run(store.retrieve("p1"))
    assert after is not tracker
    assert as_dicts(after) == stored(db_url, "p1")
    assert after.get_slot("q_stage") is None


def test_a_deleted_conversation_is_not_brought_back(db_url: str) -> None:
    store = server()
    first_turn(store)
    engine = sa.create_engine(db_url)
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM events WHERE sender_id = 'p1'"))
    engine.dispose()
    assert run(store.retrieve("p1")) is None


def test_memory_is_bounded_in_number_and_time(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tracker_store, "KEPT_TRACKERS", 2)
    store = server()
    now = [1000.0]
    store._clock = lambda: now[0]
    trackers: dict[str, DialogueStateTracker] = {}
    for sender in ("a", "b", "c"):
        trackers[sender] = run(store.get_or_create_tracker(sender))
        turn(trackers[sender], "hoi", "q_stage", "klas_3")
        run(store.save(trackers[sender]))
    assert run(store.retrieve("a")) is not trackers["a"], "the oldest of three made room"
    assert run(store.retrieve("c")) is trackers["c"]
    run(store.save(trackers["c"]))
    now[0] += tracker_store.KEPT_SECONDS + 1
    late = run(store.get_or_create_tracker("d"))
    run(store.save(late))
    assert run(store.retrieve("c")) is not trackers["c"], "not kept after the idle time"


def test_saving_an_unknown_tracker_counts_like_rasa(db_url: str) -> None:
    """A tracker built elsewhere (not retrieved here) is saved by counting what the database has."""
    store = server()
    tracker = first_turn(store)
    events: list[Event] = list(tracker.events)
    copy = DialogueStateTracker.from_events("p1", events, DOMAIN.slots)
    turn(copy, "NT", "q_profile", "nt")
    run(store.save(copy))
    assert as_dicts(copy) == stored(db_url, "p1")
    assert len(rows(db_url)) == len(copy.events)


def test_the_newest_event_is_found_through_one_index(db_url: str) -> None:
    """`_last_id` runs three times a turn: it must not read every event of the conversation."""
    store = server()
    server()  # a second server on the same database (the cluster) starts without an error
    table = store.SQLEvent.__table__
    indexes = {i["name"]: i["column_names"] for i in sa.inspect(store.engine).get_indexes(table.name)}
    assert indexes[tracker_store.NEWEST_EVENT_INDEX] == ["sender_id", "id"]
    with store.engine.connect() as connection:
        plan = connection.exec_driver_sql(
            f"EXPLAIN QUERY PLAN SELECT max(id) FROM {table.name} WHERE sender_id = 'x'"
        ).fetchall()
    assert tracker_store.NEWEST_EVENT_INDEX in " ".join(str(row) for row in plan)
