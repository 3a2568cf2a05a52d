"""The REST input channel, hardened: whatever arrives, only bounded, checked input reaches Rasa.

Same URL as Rasa's own REST channel (POST /webhooks/rest/webhook). In order, for every message:

1. a per-client token bucket (KEUZESPIEGEL_RATE_LIMIT): over the limit answers 429 with a Dutch message;
2. the body must be a JSON object with a `sender` of 1-64 safe characters: otherwise 400 (never 500);
3. the text is cut before any analysis (see `clean_text`): over 1,000 characters it becomes `/too_long`,
   or `/distress` (`/check_in`) when the safety net finds a crisis (a milder sign) in its first 2,000 characters;
4. text starting with "/" is an intent for Rasa, so only the exact payloads the bot itself puts on its
   buttons pass (ALLOWED_PAYLOADS); any other "/" text loses its slashes and braces and is plain text;
5. the metadata keeps a workshop code only if the workshop exists, is open and has room
   (bot.workshops.registry.Gate), and `demo: true`;
6. a few turns run at once; the other messages wait in line, oldest first (bot/plugins/admission.py). One that
   waited 8 s, or finds KEUZESPIEGEL_MAX_WAITING messages in line before it, gets 429 "busy" with Retry-After
   instead of a reply that comes after the widget has given up; the copy the widget sends keeps its place;
7. a message the widget sends again (same `metadata.message_id`) is handled once (bot/plugins/replay.py);
8. if Rasa fails on the message (database or action server away), the answer is 503 with a Dutch
   message, so the widget offers to send it again instead of showing nothing.

Nothing here logs a pupil's text (docs/security.md).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import json
import logging
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import settings
from bot.core.content import DONT_KNOW, PERSONA_ORDER, decode_answer, get_questionnaire
from bot.core.safety import CHECK_IN, CRISIS, assess
from bot.plugins.admission import Admission, Busy
from bot.plugins.replay import Replays, Replies, message_id_of, replies_after
from bot.workshops.registry import Gate

logger = logging.getLogger(__name__)

# Longer messages are no answer to a short question; the bot asks for a shorter one.
MAX_MESSAGE_CHARS = 1000
# The safety net reads at most this much of an over-long message, so its cost is bounded.
SAFETY_SCAN_CHARS = 2000
# What an empty or an over-long message becomes: an intent with its own friendly answer.
EMPTY_MESSAGE = "/empty_message"
TOO_LONG_MESSAGE = "/too_long"
DISTRESS_MESSAGE = "/distress"
CHECK_IN_MESSAGE = "/check_in"
# Conversation ids: the widget sends a UUID. Anything else is refused, so ids stay small and printable.
SENDER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
CHANNEL_NAME = "rest"

# The only "/" messages that reach Rasa as intents: exactly what the bot's own buttons send.
# Adding an intent with a button is one line here.
_ID = r"[a-z][a-z0-9_]{0,63}"
ALLOWED_PAYLOADS: tuple[re.Pattern[str], ...] = (
    re.compile(rf'^/inform\{{\s*"option"\s*:\s*"(?P<question>{_ID})\.(?P<options>{_ID}(?:,{_ID}){{0,31}})"\s*\}}$'),
    re.compile(rf'^/ask_persona\{{\s*"persona"\s*:\s*"(?:{"|".join(PERSONA_ORDER)})"\s*\}}$'),
    re.compile(r'^/feedback\{\s*"rating"\s*:\s*(?:[1-5]|"[1-5]")\s*\}$'),
    re.compile(
        r"^/(?:ask_why|meet_other|start_over|confirm_start_over|resume|affirm|deny|empty_message|too_long"
        r"|distress|check_in|talk|skip_feedback)$"
    ),
)

# Dutch answers the widget can show (JSON {"error": ...}).
RATE_LIMITED = "Je stuurt veel berichten snel achter elkaar. Wacht even en probeer het dan opnieuw."
UNREADABLE = "Dit bericht kan de chatbot niet lezen."
UNAVAILABLE = "Er ging even iets mis bij de chatbot. Probeer het zo opnieuw."
BUSY = "Het is nu heel druk bij de chatbot. Probeer het over een paar tellen opnieuw."
# How long a client waits before it sends a message again that got BUSY.
BUSY_RETRY_SECONDS = 3

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LEADING_SLASHES = re.compile(r"^[/\\\s]+")
_BRACES = re.compile(r"[{}]")
_SPACES = re.compile(r"[ \t]{2,}")


@lru_cache(maxsize=1)
def _options_by_question() -> dict[str, tuple[frozenset[str], bool]]:
    """question id -> (option ids incl. "weet ik niet", multi?) from the questionnaire."""
    return {q.id: (frozenset((*q.option_ids, DONT_KNOW)), bool(q.multi)) for q in get_questionnaire().questions}


def is_allowed_payload(text: str) -> bool:
    """True only for a payload the bot itself issues; an option payload must name a real question and options."""
    for pattern in ALLOWED_PAYLOADS:
        match = pattern.match(text)
        if match is None:
            continue
        if "question" not in pattern.groupindex:
            return True
        known = _options_by_question().get(match.group("question"))
        if known is None:
            return False
        options, multi = known
        chosen = decode_answer(match.group("options"))
        if len(chosen) > 1 and not multi:
            return False
        return len(set(chosen)) == len(chosen) and all(option in options for option in chosen)
    return False


def as_plain_text(text: str) -> str:
    """A "/" message that is not one of ours, as plain text Rasa cannot read as an intent."""
    text = _LEADING_SLASHES.sub("", text)
    text = _BRACES.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def clean_text(text: Any) -> str:
    """Turn whatever arrived into a message the bot can handle, at a bounded cost.

    The length is checked before any analysis; only an over-long message's first SAFETY_SCAN_CHARS
    characters go through the safety net. Typed "/" text that is not a payload of ours becomes plain
    text, and goes through the safety net here (a pupil in crisis is never parsed as an intent); milder
    signs in it are left to the NLU's safety net, which reads all plain text.
    """
    if not isinstance(text, str):
        text = "" if text is None or isinstance(text, (dict, list)) else str(text)
    text = text.strip()
    if len(text) > MAX_MESSAGE_CHARS:
        tier = assess(_CONTROL.sub(" ", text[:SAFETY_SCAN_CHARS])).tier
        return {CRISIS: DISTRESS_MESSAGE, CHECK_IN: CHECK_IN_MESSAGE}.get(tier or "", TOO_LONG_MESSAGE)
    text = _CONTROL.sub(" ", text).strip()
    if not text:
        return EMPTY_MESSAGE
    if text.startswith(("/", "\\")) and not is_allowed_payload(text):
        text = as_plain_text(text)
        if not text:
            return EMPTY_MESSAGE
        if assess(text).tier == CRISIS:
            return DISTRESS_MESSAGE
    return text


# ---- per-client rate limit ---------------------------------------------------------------------------


class RateLimiter:
    """Token buckets per client: `rate.burst` messages at once, refilled at `rate.per_second`.

    At most `max_clients` buckets are kept; the least recently used one goes first (a bucket that has
    been idle has refilled anyway). Nothing is ever reset for everybody at once. Thread-safe.
    """

    def __init__(
        self, rate: settings.RateLimit, max_clients: int = 50_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # client -> (tokens, updated)
        self._lock = threading.Lock()

    def allow(self, client: str) -> float:
        """0.0 if the client may send now (and takes a token), else the seconds until it may."""
        now = self._clock()
        with self._lock:
            tokens, updated = self._buckets.pop(client, (float(self.rate.burst), now))
            tokens = min(float(self.rate.burst), tokens + (now - updated) * self.rate.per_second)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.rate.per_second
            self._buckets[client] = (tokens, now)
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
            return wait

    def __len__(self) -> int:
        return len(self._buckets)


def client_address(request: Request, trusted_proxies: int) -> str:
    """The client's address; behind `trusted_proxies` reverse proxies, the one they put in X-Forwarded-For."""
    peer = request.ip or "?"
    if trusted_proxies <= 0:
        return peer
    forwarded = [part.strip() for part in request.headers.get("x-forwarded-for", "").split(",") if part.strip()]
    if not forwarded:
        return peer
    return forwarded[-trusted_proxies] if len(forwarded) >= trusted_proxies else forwarded[0]


# ---- Rasa failures -----------------------------------------------------------------------------------

# Set per request: Rasa reports a failed action or tracker store only through its log, inside the same task.
_failure: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("keuzespiegel_failure", default=None)


# Errors after which the answer is still whole: a response placeholder Rasa could not fill is sent as written.
_HARMLESS_ERRORS = ("rasa.core.nlg",)


class _FailureNoticer(logging.Handler):
    """Marks the current request as failed when Rasa logs an error while handling it (text is never kept)."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)

    def emit(self, record: logging.LogRecord) -> None:
        failures = _failure.get()
        if failures is not None and not record.name.startswith(_HARMLESS_ERRORS):
            failures.append(record.name)


_NOTICER = _FailureNoticer()


def _install_noticer() -> None:
    rasa_logger = logging.getLogger("rasa")
    if _NOTICER not in rasa_logger.handlers:
        rasa_logger.addHandler(_NOTICER)


def _error(status: int, message: str, **headers: str) -> HTTPResponse:
    if headers:
        # The widget runs on the school's site, another origin: it may only read headers it is allowed to.
        headers["Access-Control-Expose-Headers"] = ", ".join(headers)
    return response.json({"error": message}, status=status, headers=headers or None)


class TurnFailed(Exception):
    """Rasa logged an error while handling the message (the logger's name is the message)."""


def _is_retry(body: dict[str, Any]) -> bool:
    metadata = body.get("metadata")
    return isinstance(metadata, dict) and metadata.get("retry") is True


async def stored_replies(request: Request, sender: str, message_id: str) -> Replies | None:
    """The replies to an earlier copy of this message, from the conversation store (None: not there)."""
    agent = getattr(request.app.ctx, "agent", None)
    if agent is None or agent.tracker_store is None:
        return None
    tracker = await agent.tracker_store.retrieve(sender)
    if tracker is None:
        return None
    return replies_after([event.as_dict() for event in tracker.events], sender, message_id)


def _parse_body(request: Request) -> dict[str, Any] | None:
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, dict) else None


class SafeRestInput(RestInput):
    """Rasa's REST channel (same URL: /webhooks/rest/webhook) with the limits in the module docstring."""

    def __init__(self, config: settings.Settings) -> None:
        self.config = config
        self.limiter = RateLimiter(self.config.rate_limit) if self.config.rate_limit else None
        self.gate = Gate(db_url=self.config.db_url, cap=self.config.workshop_cap)
        self.replays = Replays()
        self.admission = Admission(self.config.max_waiting)

    @classmethod
    def name(cls) -> str:
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> SafeRestInput:
        # Rasa builds the channel from credentials.yml and cannot hand it our settings: this is an entry point.
        return cls(settings.load())

    def _extract_input_channel(self, req: Request) -> str:
        return CHANNEL_NAME  # never what the client claims

    async def metadata_for(self, body: dict[str, Any], sender: str) -> dict[str, Any] | None:
        """The metadata Rasa may store: an admitted workshop code and the demo flag, nothing else."""
        metadata = body.get("metadata")
        if not isinstance(metadata, dict):
            return None
        allowed: dict[str, Any] = {}
        code = metadata.get("workshop")
        if isinstance(code, str) and 0 < len(code) <= 32:
            loop = asyncio.get_running_loop()
            admitted = await loop.run_in_executor(None, self.gate.admit, code, sender)
            if admitted:
                allowed["workshop"] = admitted
        if metadata.get("demo") is True:
            allowed["demo"] = True
        message_id = message_id_of(metadata)
        if message_id is not None:
            allowed["message_id"] = message_id  # stored with the message: a copy sent later is recognised
        return allowed or None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """GET / (health) and POST /webhook, as Rasa's REST channel, without streaming."""
        _install_noticer()
        hook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)

        @hook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @hook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if self.limiter is not None:
                wait = self.limiter.allow(client_address(request, self.config.trusted_proxies))
                if wait > 0:
                    return _error(429, RATE_LIMITED, **{"Retry-After": str(max(1, math.ceil(wait)))})
            body = _parse_body(request)
            if body is None:
                return _error(400, UNREADABLE)
            sender = body.get("sender")
            if not isinstance(sender, str) or not SENDER_ID.match(sender):
                return _error(400, UNREADABLE)
            message = body.get("message")
            if isinstance(message, str) and len(message) > MAX_MESSAGE_CHARS:
                # The safety net on 2,000 characters takes a while: not on the loop every chat shares.
                text = await asyncio.get_running_loop().run_in_executor(None, clean_text, message)
            else:
                text = clean_text(message)
            metadata = await self.metadata_for(body, sender)
            message_id = (metadata or {}).get("message_id")  # checked by metadata_for

            async def turn() -> Replies:
                collector = CollectingOutputChannel()
                failures: list[str] = []
                # In line for a turn inside the replay task: a copy sent meanwhile waits for this one.
                async with self.admission.turn((sender, message_id) if message_id is not None else None):
                    token = _failure.set(failures)
                    try:
                        await on_new_message(
                            UserMessage(text, collector, sender, input_channel=CHANNEL_NAME, metadata=metadata)
                        )
                    finally:
                        _failure.reset(token)
                if failures:
                    raise TurnFailed(failures[0])
                return collector.messages

            # Only a copy the widget marks as sent again is looked up in the conversation store.
            retried = message_id is not None and _is_retry(body)
            stored = functools.partial(stored_replies, request, sender, message_id) if retried else None
            try:
                replies = await self.replays.handle(sender, message_id, turn, stored)
            except Busy:
                # A quick "try again in a moment" beats an answer that arrives after the widget gave up.
                return _error(429, BUSY, **{"Retry-After": str(BUSY_RETRY_SECONDS)})
            except asyncio.CancelledError:
                logger.error("message for a conversation timed out")
                return _error(503, UNAVAILABLE)
            except TurnFailed as exc:
                logger.error("message could not be handled: Rasa logged an error (%s)", exc)
                return _error(503, UNAVAILABLE)
            except Exception as exc:  # noqa: BLE001 - any failure: the widget offers to send again
                logger.error("message could not be handled: %s", type(exc).__name__)
                return _error(503, UNAVAILABLE)
            return response.json(replies)

        return hook
