"""Fair admission to one Rasa process: a few turns at a time, the others wait in line, oldest first.

Rasa starts every message it receives at once and shares one core among them. Under a crowd every answer then
slows down together, and past the widget's 15 s all of them come too late. Here at most `turns` turns run at
once; the other messages wait in line in the order they were first sent. A message that has waited
`max_wait` seconds, or that finds the line full (`limit`) and is the youngest in it, is told "busy" (`Busy`);
the widget sends it again after Retry-After, and that copy keeps the place of its first attempt: it goes before
every message sent after it. So a crowd makes answers slower for everyone, but no pupil is refused again and
again while newer messages get in.

Pure asyncio, no Rasa: the REST channel (bot/plugins/channels.py) wraps each turn in `Admission.turn`.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Hashable
from dataclasses import dataclass, field

# Turns one Rasa process runs at once: enough to keep its core busy while some turns wait on the action server.
TURNS_AT_ONCE = 8
# The longest a message waits in line: with the turn itself it stays well within the widget's 15 s timeout.
MAX_WAIT_SECONDS = 8.0
# How long, and for how many messages, the first attempt of a refused message is remembered.
REMEMBERED_SECONDS = 120.0
REMEMBERED_MAX = 10_000


class Busy(Exception):
    """The message was not taken on: the client should send it again after a short wait."""


@dataclass(order=True)
class _Waiter:
    first_sent: float
    arrival: int
    future: asyncio.Future[None] = field(compare=False)


class Admission:
    """At most `turns` turns at a time; up to `limit` messages wait in line (0: no limit), oldest first."""

    def __init__(
        self,
        limit: int,
        turns: int = TURNS_AT_ONCE,
        max_wait: float = MAX_WAIT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if turns < 1:
            raise ValueError("turns must be at least 1")
        self.limit = limit
        self.turns = turns
        self.max_wait = max_wait
        self._clock = clock
        self._running = 0
        self._line: list[_Waiter] = []  # a heap; entries whose future is done have left it
        self._waiting = 0  # entries in the heap still waiting
        self._refused: OrderedDict[Hashable, float] = OrderedDict()  # message -> when it was first sent
        self._arrivals = itertools.count()

    @property
    def running(self) -> int:
        return self._running

    @property
    def waiting(self) -> int:
        return self._waiting

    @contextlib.asynccontextmanager
    async def turn(self, message: Hashable | None = None) -> AsyncIterator[None]:
        """Wait for a turn (raises `Busy`), hold it inside the block. `message` names one message across the
        copies a client sends again (sender and message id); None: a message without an id."""
        await self._enter(message)
        try:
            yield
        finally:
            self._leave()

    async def _enter(self, message: Hashable | None) -> None:
        now = self._clock()
        first_sent = self._refused.pop(message, now) if message is not None else now
        if self._running < self.turns and not self._waiting:
            self._running += 1
            return
        waiter = _Waiter(first_sent, next(self._arrivals), asyncio.get_running_loop().create_future())
        if self.limit and self._waiting >= self.limit:
            youngest = max(w for w in self._line if not w.future.done())
            if waiter > youngest:
                self._refuse(message, first_sent)
            youngest.future.set_exception(Busy())  # an older message takes the youngest one's place
            self._waiting -= 1
        heapq.heappush(self._line, waiter)
        self._waiting += 1
        try:
            await asyncio.wait({waiter.future}, timeout=self.max_wait)
        except asyncio.CancelledError:
            self._abandon(waiter)
            raise
        if not waiter.future.done():
            self._abandon(waiter)
            self._refuse(message, first_sent)
        if waiter.future.exception() is not None:
            self._refuse(message, first_sent)
        # Admitted: `_leave` handed this message its turn (the running count stayed the same).

    def _abandon(self, waiter: _Waiter) -> None:
        """The waiter leaves the line without running: give back a turn it was handed meanwhile."""
        if not waiter.future.done():
            waiter.future.cancel()
            self._waiting -= 1
        elif not waiter.future.cancelled() and waiter.future.exception() is None:
            self._leave()

    def _leave(self) -> None:
        """A turn ended: the oldest waiting message gets it, or it is free."""
        while self._line:
            waiter = heapq.heappop(self._line)
            if not waiter.future.done():
                waiter.future.set_result(None)
                self._waiting -= 1
                return
        self._running -= 1

    def _refuse(self, message: Hashable | None, first_sent: float) -> None:
        if message is not None:
            self._refused[message] = first_sent
            self._refused.move_to_end(message)
            now = self._clock()
            while self._refused and (
                len(self._refused) > REMEMBERED_MAX or now - next(iter(self._refused.values())) > REMEMBERED_SECONDS
            ):
                self._refused.popitem(last=False)
        if len(self._line) > 2 * self._waiting + 64:  # drop the entries of messages that left the line
            self._line = [w for w in self._line if not w.future.done()]
            heapq.heapify(self._line)
        raise Busy()
