"""Rasa's Redis lock store, pointed at KEUZESPIEGEL_REDIS_URL, with race-free ticket handling.

Several Rasa servers share one conversation store; the lock store makes sure that one conversation is handled
by one server at a time. Rasa 3.6's `RedisLockStore` reads a lock, changes it in Python and writes it back
without a transaction, so two servers that get a message of the same pupil at the same moment can both issue
ticket 0 and both go ahead (RasaHQ/rasa #9213; the fix #11256 was reverted). Here every read-change-write of
a lock is one Redis transaction (WATCH/MULTI/EXEC, retried when another server changed the lock meanwhile).
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager
from typing import Any

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore

from bot import settings

# Rasa polls a busy lock once a second; a second message of the same pupil then waits a whole second.
POLL_SECONDS = 0.05

# What a change to one lock returns: the new lock (None: delete it), and the value for the caller.
Change = Callable[[TicketLock | None], tuple[TicketLock | None, Any]]


def redis_kwargs(url: str) -> dict[str, Any]:
    """RedisLockStore arguments from `redis://[user:password@]host[:port][/db]` (`rediss://` for TLS)."""
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme not in ("redis", "rediss") or not parsed.hostname:
        raise ValueError(f"KEUZESPIEGEL_REDIS_URL must look like redis://host:6379/1, got {url!r}")
    path = parsed.path.strip("/")
    return {
        "host": parsed.hostname,
        "port": parsed.port or 6379,
        "db": int(path) if path else 1,
        "username": urllib.parse.unquote(parsed.username) if parsed.username else None,
        "password": urllib.parse.unquote(parsed.password) if parsed.password else None,
        "use_ssl": parsed.scheme == "rediss",
    }


class ConfiguredRedisLockStore(RedisLockStore):
    """RedisLockStore whose address comes from the environment and whose lock updates are atomic."""

    def __init__(self, endpoint_config: Any = None, **kwargs: Any) -> None:
        # Rasa builds the lock store from endpoints.yml and cannot hand it our settings: this is an entry point.
        url = settings.redis_url()
        if url is None:
            raise ValueError("KEUZESPIEGEL_REDIS_URL is not set; the Redis lock store needs it")
        options = {"key_prefix": "keuzespiegel", **(endpoint_config.kwargs if endpoint_config else {}), **kwargs}
        options.pop("url", None)
        super().__init__(**redis_kwargs(url), **options)

    def _change(self, conversation_id: str, change: Change) -> Any:
        """Apply `change` to the stored lock in one transaction; retried when another server got in between."""
        key = self.key_prefix + conversation_id
        outcome: dict[str, Any] = {}

        def apply(pipe: Any) -> None:
            raw = pipe.get(key)
            lock = TicketLock.from_dict(json.loads(raw)) if raw else None
            new_lock, value = change(lock)
            pipe.multi()
            if new_lock is None or not new_lock.tickets:
                pipe.delete(key)
            else:
                pipe.set(key, new_lock.dumps())
            outcome["value"] = value

        self.red.transaction(apply, key)
        return outcome.get("value")

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def change(lock: TicketLock | None) -> tuple[TicketLock, int]:
            lock = lock or TicketLock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return int(self._change(conversation_id, change))
        except Exception as exc:  # Rasa's own store turns every failure into a LockError too
            raise LockError(f"Error while acquiring lock. Error:\n{exc}") from exc

    def update_lock(self, conversation_id: str) -> None:
        def change(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._change(conversation_id, change)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self.cleanup(conversation_id, ticket_number)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Remove the ticket; the lock goes when nobody else is waiting (both in one transaction)."""

        def change(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), None

        self._change(conversation_id, change)

    @asynccontextmanager
    async def lock(
        self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME, wait_time_in_seconds: float = POLL_SECONDS
    ) -> AsyncGenerator[TicketLock, None]:
        async with super().lock(conversation_id, lock_lifetime, wait_time_in_seconds) as lock:
            yield lock
