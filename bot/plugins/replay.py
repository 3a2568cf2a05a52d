"""A message sent twice is handled once: the widget's "send again" never answers a question twice.

The widget gives every message an id (`metadata.message_id`) and keeps it when the pupil sends the message
again after an error or a timeout. The first attempt may well have arrived: the server was only slow, or it
restarted after storing the answer. Handling the copy as a new message would take it as the answer to the
*next* question. So the channel asks `Replays` first:

- while the first attempt is still being handled in this process, the copy waits for its replies;
- once handled, the copy gets the same replies, from memory or, after a restart or from another Rasa server
  of the cluster, rebuilt from the bot's events that follow that message in the conversation store.
"""

from __future__ import annotations

import asyncio
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

# Ids the widget makes: a UUID or a counter; anything else is not an id and is dropped.
MESSAGE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# BotUttered data keys that the REST channel sends as they are.
_REPLY_KEYS = ("buttons", "custom", "image", "attachment", "elements", "quick_replies")

Replies = list[dict[str, Any]]


def message_id_of(metadata: Any) -> str | None:
    """The message id the client sent in its metadata, if it is a well-formed one."""
    if not isinstance(metadata, dict):
        return None
    value = metadata.get("message_id")
    return value if isinstance(value, str) and MESSAGE_ID.match(value) else None


def replies_after(events: list[dict[str, Any]], sender: str, message_id: str) -> Replies | None:
    """The bot's replies to the user message with this id, rebuilt from stored events (None: not stored).

    `events` are Rasa's event dicts of one conversation, oldest first.
    """
    start = None
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if event.get("event") == "user" and (event.get("metadata") or {}).get("message_id") == message_id:
            start = index
            break
    if start is None:
        return None
    replies: Replies = []
    for event in events[start + 1 :]:
        if event.get("event") == "user":
            break
        if event.get("event") != "bot":
            continue
        reply: dict[str, Any] = {"recipient_id": sender}
        if event.get("text"):
            reply["text"] = event["text"]
        data = event.get("data") or {}
        reply.update({key: data[key] for key in _REPLY_KEYS if data.get(key)})
        if len(reply) > 1:
            replies.append(reply)
    return replies


class Replays:
    """Remembers the replies to the last `capacity` messages with an id (per process, least recent out)."""

    def __init__(self, capacity: int = 5000) -> None:
        self.capacity = capacity
        self._answers: OrderedDict[tuple[str, str], asyncio.Future[Replies]] = OrderedDict()

    async def handle(
        self,
        sender: str,
        message_id: str | None,
        handle: Callable[[], Awaitable[Replies]],
        stored: Callable[[], Awaitable[Replies | None]] | None = None,
    ) -> Replies:
        """Run `handle` once per (sender, message id); a copy gets the first attempt's replies.

        `stored`, given for a message the client sends again, looks it up in the conversation store first (the
        first attempt was handled before a restart, or by another server). The turn runs in a task of its own:
        a client that hangs up half-way does not cut a turn in two, and its next copy gets the replies.
        When the turn fails, nothing is remembered: the next copy is a new attempt.
        """
        if message_id is None:
            return await handle()
        key = (sender, message_id)
        earlier = self._answers.get(key)
        if earlier is not None:
            self._answers.move_to_end(key)
            return await asyncio.shield(earlier)
        task = asyncio.ensure_future(self._first_attempt(key, handle, stored))
        task.add_done_callback(_retrieve_exception)
        self._answers[key] = task
        while len(self._answers) > self.capacity:
            self._answers.popitem(last=False)
        return await asyncio.shield(task)

    async def _first_attempt(
        self,
        key: tuple[str, str],
        handle: Callable[[], Awaitable[Replies]],
        stored: Callable[[], Awaitable[Replies | None]] | None,
    ) -> Replies:
        try:
            replies = await stored() if stored is not None else None
            return replies if replies is not None else await handle()
        except BaseException:
            self._answers.pop(key, None)
            raise

    def __len__(self) -> int:
        return len(self._answers)


def _retrieve_exception(task: asyncio.Future[Replies]) -> None:
    """A failed turn whose client hung up: its error was handled (logged by the channel), not lost."""
    if not task.cancelled():
        task.exception()
