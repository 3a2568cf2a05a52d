"""A message the widget sends again is handled once (bot/plugins/replay.py)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.plugins.replay import Replays, message_id_of, replies_after

EVENTS: list[dict[str, Any]] = [
    {"event": "action", "name": "action_listen"},
    {"event": "user", "text": "hoi", "metadata": {"message_id": "m1"}},
    {"event": "bot", "text": "Hoi! In welke klas zit je?", "data": {"buttons": [{"title": "3", "payload": "/x"}]}},
    {"event": "bot", "text": None, "data": {"custom": {"type": "question", "question": "stage"}}},
    {"event": "slot", "name": "requested_slot", "value": "stage"},
    {"event": "user", "text": "klas 3", "metadata": {"message_id": "m2"}},
    {"event": "bot", "text": "Top.", "data": {}},
]


def test_message_ids_are_short_plain_strings() -> None:
    assert message_id_of({"message_id": "2f1c-aa_9"}) == "2f1c-aa_9"
    for bad in ({"message_id": "x" * 65}, {"message_id": "a b"}, {"message_id": 7}, {}, None, ["m1"]):
        assert message_id_of(bad) is None


def test_replies_are_rebuilt_from_the_bot_events_after_the_message() -> None:
    assert replies_after(EVENTS, "s1", "m1") == [
        {"recipient_id": "s1", "text": "Hoi! In welke klas zit je?", "buttons": [{"title": "3", "payload": "/x"}]},
        {"recipient_id": "s1", "custom": {"type": "question", "question": "stage"}},
    ]
    assert replies_after(EVENTS, "s1", "m2") == [{"recipient_id": "s1", "text": "Top."}]
    assert replies_after(EVENTS, "s1", "m3") is None  # never stored: handle it as new


class Turns:
    """Stands in for Rasa: counts the turns, can be slow or fail."""

    def __init__(self, delay: float = 0.0, fail: int = 0) -> None:
        self.delay, self.fail, self.count = delay, fail, 0

    async def __call__(self) -> list[dict[str, Any]]:
        self.count += 1
        await asyncio.sleep(self.delay)
        if self.count <= self.fail:
            raise RuntimeError("database is locked")
        return [{"recipient_id": "s1", "text": f"turn {self.count}"}]


def test_copies_during_and_after_the_first_attempt_get_its_replies() -> None:
    async def run() -> None:
        replays, turns = Replays(), Turns(delay=0.05)
        first, copy = await asyncio.gather(replays.handle("s1", "m1", turns), replays.handle("s1", "m1", turns))
        later = await replays.handle("s1", "m1", turns)
        assert first == copy == later == [{"recipient_id": "s1", "text": "turn 1"}]
        assert turns.count == 1
        assert await replays.handle("s1", "m2", turns) == [{"recipient_id": "s1", "text": "turn 2"}]
        assert await replays.handle("s2", "m1", turns) == [{"recipient_id": "s1", "text": "turn 3"}]
        assert await replays.handle("s1", None, turns) == [{"recipient_id": "s1", "text": "turn 4"}]
        assert await replays.handle("s1", None, turns) == [{"recipient_id": "s1", "text": "turn 5"}]

    asyncio.run(run())


def test_a_failed_attempt_is_not_remembered() -> None:
    async def run() -> None:
        replays, turns = Replays(), Turns(fail=1)
        with pytest.raises(RuntimeError):
            await replays.handle("s1", "m1", turns)
        assert await replays.handle("s1", "m1", turns) == [{"recipient_id": "s1", "text": "turn 2"}]
        assert turns.count == 2

    asyncio.run(run())


def test_a_client_that_hangs_up_does_not_cut_the_turn() -> None:
    async def run() -> None:
        replays, turns = Replays(), Turns(delay=0.1)
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(replays.handle("s1", "m1", turns), timeout=0.02)
        assert await replays.handle("s1", "m1", turns) == [{"recipient_id": "s1", "text": "turn 1"}]
        assert turns.count == 1

    asyncio.run(run())


def test_a_copy_after_a_restart_is_answered_from_the_store() -> None:
    async def run() -> None:
        replays, turns = Replays(), Turns()

        async def stored() -> Any:
            return replies_after(EVENTS, "s1", "m2")

        async def not_stored() -> Any:
            return None

        assert await replays.handle("s1", "m2", turns, stored) == [{"recipient_id": "s1", "text": "Top."}]
        assert turns.count == 0
        assert await replays.handle("s1", "m3", turns, not_stored) == [{"recipient_id": "s1", "text": "turn 1"}]

    asyncio.run(run())


def test_memory_is_bounded() -> None:
    async def run() -> None:
        replays, turns = Replays(capacity=10), Turns()
        for i in range(25):
            await replays.handle("s1", f"m{i}", turns)
        assert len(replays) == 10
        await replays.handle("s1", "m24", turns)  # still remembered
        assert turns.count == 25

    asyncio.run(run())
