"""The line in front of Rasa (bot/plugins/admission.py): a few turns at once, oldest first, busy after a wait."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable

import pytest

from bot.plugins import admission
from bot.plugins.admission import Admission, Busy


class Turns:
    """Messages that take a turn and keep it until released, recording the order they got their turn in."""

    def __init__(self, line: Admission) -> None:
        self.line = line
        self.started: list[str] = []
        self.release: dict[str, asyncio.Event] = {}

    def send(self, name: str, message: Hashable | None = None) -> asyncio.Task[str]:
        self.release[name] = asyncio.Event()

        async def run() -> str:
            async with self.line.turn(message):
                self.started.append(name)
                await self.release[name].wait()
            return name

        return asyncio.ensure_future(run())


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def test_a_few_turns_at_once_and_the_rest_in_order_of_arrival() -> None:
    async def scenario() -> None:
        line = Admission(limit=10, turns=2, max_wait=5)
        turns = Turns(line)
        tasks = [turns.send(name) for name in "abcde"]
        await settle()
        assert turns.started == ["a", "b"] and line.running == 2 and line.waiting == 3
        turns.release["b"].set()
        await settle()
        assert turns.started == ["a", "b", "c"], "a freed turn goes to the oldest message in line"
        for name in "acde":
            turns.release[name].set()
        assert await asyncio.gather(*tasks) == list("abcde")
        assert turns.started == list("abcde")
        assert line.running == 0 and line.waiting == 0

    asyncio.run(scenario())


def test_a_message_that_waited_too_long_is_busy_and_its_copy_keeps_its_place() -> None:
    async def scenario() -> None:
        now = [100.0]
        line = Admission(limit=10, turns=1, max_wait=0.05, clock=lambda: now[0])
        turns = Turns(line)
        first = turns.send("running")
        await settle()
        late = turns.send("m1", message=("pupil-1", "m1"))
        with pytest.raises(Busy):
            await late
        assert line.waiting == 0, "a refused message leaves the line"
        line.max_wait = 60
        now[0] += 3  # the widget waits for Retry-After, meanwhile two newer messages arrive
        newer = [turns.send("n1", ("pupil-2", "n1")), turns.send("n2", ("pupil-3", "n2"))]
        await settle()
        copy = turns.send("m1 again", message=("pupil-1", "m1"))
        await settle()
        turns.release["running"].set()
        await first
        await settle()
        assert turns.started == ["running", "m1 again"], "the copy goes before messages first sent after it"
        for name in ("m1 again", "n1", "n2"):
            turns.release[name].set()
        await asyncio.gather(copy, *newer)
        assert turns.started == ["running", "m1 again", "n1", "n2"]

    asyncio.run(scenario())


def test_a_full_line_refuses_its_youngest_message() -> None:
    async def scenario() -> None:
        now = [0.0]
        line = Admission(limit=2, turns=1, max_wait=0.05, clock=lambda: now[0])
        turns = Turns(line)
        running = turns.send("running")
        await settle()
        with pytest.raises(Busy):
            await turns.send("m", ("p-m", "m"))  # first sent at 0; waited too long
        line.max_wait = 60  # from here on nobody waits too long: refusals below come from the full line
        now[0] = 5.0
        waiting = [turns.send("n", ("p-n", "n")), turns.send("k", ("p-k", "k"))]
        await settle()
        with pytest.raises(Busy):
            await turns.send("z", ("p-z", "z"))  # the line is full and it is the youngest: refused at once
        copy = turns.send("m again", ("p-m", "m"))
        await settle()
        assert waiting[1].done(), "the copy of m, first sent before k, took the place of k"
        with pytest.raises(Busy):
            await waiting[1]
        assert not waiting[0].done() and line.waiting == 2
        turns.release["running"].set()
        await settle()
        assert turns.started == ["running", "m again"]
        turns.release["m again"].set()
        await settle()
        assert turns.started == ["running", "m again", "n"]
        turns.release["n"].set()
        await asyncio.gather(running, copy, waiting[0])
        assert line.running == 0 and line.waiting == 0

    asyncio.run(scenario())


@pytest.mark.parametrize("handed", [False, True], ids=["while waiting", "just after it was handed its turn"])
def test_a_client_that_leaves_the_line_takes_no_turn(handed: bool) -> None:
    """Gone while still waiting, or gone right after the turn was handed to it: the next message gets the turn."""

    async def scenario() -> None:
        line = Admission(limit=5, turns=1, max_wait=5)
        turns = Turns(line)
        running = turns.send("running")
        await settle()
        gone = turns.send("gone")
        after = turns.send("after")
        await settle()
        if handed:
            turns.release["running"].set()
            await asyncio.sleep(0)  # "running" leaves and hands its turn to "gone" ...
            await asyncio.sleep(0)
            gone.cancel()  # ... whose client is gone before it could start
        else:
            gone.cancel()
            await settle()
            assert line.waiting == 1
            turns.release["running"].set()
        await settle()
        assert turns.started == ["running", "after"]
        turns.release["after"].set()
        await asyncio.gather(running, after)
        assert line.running == 0 and line.waiting == 0

    asyncio.run(scenario())


def test_refused_messages_are_remembered_for_a_while_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(admission, "REMEMBERED_MAX", 3)

    async def scenario() -> None:
        now = [0.0]
        line = Admission(limit=1, turns=1, max_wait=5, clock=lambda: now[0])
        turns = Turns(line)
        running = turns.send("running")
        waiter = turns.send("waiter")
        await settle()
        for i in range(5):
            with pytest.raises(Busy):
                await turns.send(f"m{i}", ("p", i))
        assert list(line._refused) == [("p", 2), ("p", 3), ("p", 4)]
        now[0] = admission.REMEMBERED_SECONDS + 1
        with pytest.raises(Busy):
            await turns.send("late", ("p", "late"))
        assert list(line._refused) == [("p", "late")], "refusals older than REMEMBERED_SECONDS are forgotten"
        turns.release["running"].set()
        turns.release["waiter"].set()
        await asyncio.gather(running, waiter)

    asyncio.run(scenario())


def test_no_limit_and_at_least_one_turn() -> None:
    async def scenario() -> None:
        line = Admission(limit=0, turns=1, max_wait=5)
        turns = Turns(line)
        tasks = [turns.send(str(i)) for i in range(50)]
        await settle()
        assert line.waiting == 49, "limit 0: nobody is refused for a long line"
        for event in turns.release.values():
            event.set()
        await asyncio.gather(*tasks)
        assert turns.started == [str(i) for i in range(50)]

    asyncio.run(scenario())
    with pytest.raises(ValueError):
        Admission(limit=1, turns=0)
