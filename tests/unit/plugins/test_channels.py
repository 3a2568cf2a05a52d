"""The REST channel: nothing a client sends can freeze, break or steer the bot (issue 12, rows 1, 3, 7, 8, 10).

The HTTP tests run the channel's blueprint in a real Sanic server on a free port, with a stand-in for
Rasa's message handler, so every check is made on real requests.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from actions import actions
from bot import settings
from bot.core.content import get_questionnaire
from bot.core.turn import button_payload
from bot.plugins import channels
from bot.plugins.admission import TURNS_AT_ONCE
from bot.plugins.channels import (
    DISTRESS_MESSAGE,
    EMPTY_MESSAGE,
    MAX_MESSAGE_CHARS,
    SAFETY_SCAN_CHARS,
    TOO_LONG_MESSAGE,
    RateLimiter,
    SafeRestInput,
    clean_text,
    is_allowed_payload,
)
from bot.workshops import registry

# ---- text ------------------------------------------------------------------------------------------


def test_empty_and_blank_messages_become_the_empty_intent() -> None:
    for text in ["", "   ", "\n\t", None, "\x00", {"a": 1}, [1, 2], "/", "//{}"]:
        assert clean_text(text) == EMPTY_MESSAGE, text


def test_long_messages_get_a_request_to_be_shorter() -> None:
    assert clean_text("heel " * 2000) == TOO_LONG_MESSAGE
    assert clean_text("a" * (MAX_MESSAGE_CHARS + 1)) == TOO_LONG_MESSAGE
    assert clean_text("a" * MAX_MESSAGE_CHARS) == "a" * MAX_MESSAGE_CHARS


def test_a_long_message_in_distress_goes_to_the_safety_path() -> None:
    text = "ik weet het niet meer " * 60 + " ik wil dood"
    assert MAX_MESSAGE_CHARS < len(text) <= SAFETY_SCAN_CHARS
    assert clean_text(text) == DISTRESS_MESSAGE


def test_only_the_first_2000_characters_of_a_long_message_are_read() -> None:
    """The safety net's cost is bounded: distress beyond the first 2,000 characters is not looked for."""
    padding = "x" * SAFETY_SCAN_CHARS
    assert clean_text(padding + " ik wil dood") == TOO_LONG_MESSAGE
    assert clean_text("ik wil dood " + padding) == DISTRESS_MESSAGE


def test_a_huge_message_costs_no_more_than_a_long_one() -> None:
    """Row 1: 400,000 characters stalled every chat for 6 s. Now the cost does not grow with the length."""

    def cost(text: str) -> float:
        started = time.perf_counter()
        for _ in range(5):
            assert clean_text(text) == TOO_LONG_MESSAGE
        return (time.perf_counter() - started) / 5

    sentence = "ik twijfel heel erg over alles "
    long_one = cost((sentence * 70)[: MAX_MESSAGE_CHARS + 1] + "x" * (SAFETY_SCAN_CHARS - MAX_MESSAGE_CHARS))
    huge = cost(sentence * 33_000)  # about 1 MB
    assert huge < 2 * long_one + 0.02, (huge, long_one)
    assert huge < 0.5, f"{huge * 1000:.0f} ms per 1 MB message"


def test_a_long_message_with_a_milder_sign_gets_the_check_in() -> None:
    text = "ik voel me zo eenzaam op school " * 40
    assert MAX_MESSAGE_CHARS < len(text) <= SAFETY_SCAN_CHARS
    assert clean_text(text) == channels.CHECK_IN_MESSAGE


def test_normal_messages_pass_unchanged_apart_from_whitespace() -> None:
    assert clean_text("  van alles geprobeerd  ") == "van alles geprobeerd"
    assert clean_text(42) == "42"
    assert clean_text("ja\x07 echt") == "ja  echt"


# ---- payloads ----------------------------------------------------------------------------------------


def test_every_button_the_bot_puts_out_is_allowed() -> None:
    questionnaire = get_questionnaire()
    for question in questionnaire.questions:
        for option in (*question.option_ids, "dont_know"):
            payload = button_payload(question.id, option)
            assert is_allowed_payload(payload), payload
            assert clean_text(payload) == payload
    fixed = [
        "/ask_why",
        "/meet_other",
        "/start_over",
        "/resume",
        "/affirm",
        "/deny",
        "/empty_message",
        "/too_long",
        "/distress",
        "/check_in",
        "/confirm_start_over",
        "/skip_feedback",
        '/ask_persona{"persona": "joost"}',
        '/ask_persona{"persona":"tim"}',
        '/feedback{"rating": 5}',
        '/feedback{"rating": "1"}',
    ]
    for payload in fixed:
        assert is_allowed_payload(payload) and clean_text(payload) == payload, payload


def test_every_button_the_actions_send_reaches_rasa_unchanged() -> None:
    """A button the channel turned into plain text would do nothing: "Met wie kan ik praten?" (/talk) did."""
    buttons = [
        *actions.after_reveal_buttons(),
        actions.resume_button(),
        actions.talk_button(),
        *actions.confirm_buttons(),
    ]
    for button in buttons:
        payload = button["payload"]
        assert is_allowed_payload(payload) and clean_text(payload) == payload, payload


def test_multi_answers_only_for_multi_questions_and_real_options() -> None:
    questionnaire = get_questionnaire()
    multi = next(q for q in questionnaire.questions if q.multi)
    single = next(q for q in questionnaire.questions if not q.multi)
    two = ",".join(multi.option_ids[:2])
    assert is_allowed_payload(f'/inform{{"option": "{multi.id}.{two}"}}')
    assert not is_allowed_payload(f'/inform{{"option": "{single.id}.{",".join(single.option_ids[:2])}"}}')
    twice = f"{multi.option_ids[0]},{multi.option_ids[0]}"
    assert not is_allowed_payload(f'/inform{{"option": "{multi.id}.{twice}"}}')
    assert not is_allowed_payload('/inform{"option": "stage.rocket"}')
    assert not is_allowed_payload('/inform{"option": "nope.klas3"}')


@pytest.mark.parametrize(
    "text",
    [
        "/greet{} ik wil niet meer leven",
        '/inform{"option":"stage.klas3"} ik wil dood',
        "/greet@1.0 zelfmoord",
        "//ik wil dood",
        "/ik wil dood",
        "\\greet ik wil er niet meer zijn",
    ],
)
def test_slash_text_cannot_get_around_the_safety_net(text: str) -> None:
    """Row 8: these got no safety reply. Typed "/" text is plain text, and checked."""
    assert clean_text(text) == DISTRESS_MESSAGE


@pytest.mark.parametrize(
    "text, plain",
    [
        ("/back", "back"),
        ("/restart", "restart"),
        ("/session_start", "session_start"),
        ('/inform{"persona":"tim","exploration":1.0}', 'inform "persona":"tim","exploration":1.0'),
        ('/ask_why{"persona": "tim"}', 'ask_why "persona": "tim"'),
        ("/greet@1.0", "greet@1.0"),
        ('/inform{"option": "stage.klas3"} extra', 'inform "option": "stage.klas3" extra'),
        ('/feedback{"rating": 9}', 'feedback "rating": 9'),
    ],
)
def test_other_slash_text_becomes_plain_text(text: str, plain: str) -> None:
    cleaned = clean_text(text)
    assert cleaned == plain
    assert not cleaned.startswith("/")


def test_the_allowlist_is_one_constant() -> None:
    assert isinstance(channels.ALLOWED_PAYLOADS, tuple) and len(channels.ALLOWED_PAYLOADS) >= 4
    assert all(
        pattern.pattern.startswith("^/") and pattern.pattern.endswith("$") for pattern in channels.ALLOWED_PAYLOADS
    )


# ---- rate limit ------------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_allows_a_burst_then_the_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(settings.RateLimit(rate=20, per=10, burst=10), clock=clock)
    assert [limiter.allow("a") for _ in range(10)] == [0.0] * 10
    wait = limiter.allow("a")
    assert wait == pytest.approx(0.5)  # 2 messages a second
    assert limiter.allow("b") == 0.0, "another client has its own bucket"
    clock.now += 0.5
    assert limiter.allow("a") == 0.0
    assert limiter.allow("a") > 0
    clock.now += 60
    assert [limiter.allow("a") for _ in range(10)] == [0.0] * 10, "the bucket refills, up to the burst"
    assert limiter.allow("a") > 0


def test_rate_limiter_memory_is_bounded_without_resetting_everyone() -> None:
    clock = Clock()
    limiter = RateLimiter(settings.RateLimit(rate=2, per=10, burst=2), max_clients=100, clock=clock)
    limiter.allow("attacker")
    limiter.allow("attacker")
    for i in range(99):
        limiter.allow(f"pupil-{i}")
    assert limiter.allow("attacker") > 0, "still limited: it was used recently"
    for i in range(99, 500):
        limiter.allow(f"pupil-{i}")
    assert len(limiter) == 100


# ---- over HTTP -------------------------------------------------------------------------------------

_apps = itertools.count()
Handler = Callable[[UserMessage], Awaitable[None]]


async def echo(message: UserMessage) -> None:
    """Stands in for Rasa: answers with what it was given."""
    await message.output_channel.send_text_message(
        message.sender_id,
        json.dumps({"text": message.text, "channel": message.input_channel, "metadata": message.metadata}),
    )


def serve(channel: SafeRestInput, handler: Handler, body: Callable[[str], Awaitable[None]]) -> None:
    async def run() -> None:
        Sanic.test_mode = True  # lets Sanic 21.12 build more than one app in a process
        app = Sanic(f"channel_test_{next(_apps)}")
        app.config.REQUEST_MAX_SIZE = settings.RASA_REQUEST_MAX_BYTES
        app.blueprint(channel.blueprint(handler), url_prefix="/webhooks/rest")
        server = await app.create_server(host="127.0.0.1", port=0, return_asyncio_server=True, access_log=False)
        assert server is not None
        await server.startup()
        port = server.server.sockets[0].getsockname()[1]
        try:
            await body(f"http://127.0.0.1:{port}/webhooks/rest/webhook")
        finally:
            server.close()
            await server.wait_closed()

    asyncio.run(run())


async def post(url: str, data: Any = None, raw: bytes | None = None) -> tuple[int, Any, Any]:
    async with aiohttp.ClientSession() as session:
        payload = raw if raw is not None else json.dumps(data).encode()
        async with session.post(url, data=payload, headers={"Content-Type": "application/json"}) as response:
            text = await response.text()
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = text
            return response.status, parsed, response.headers


def make_channel(tmp_path: Path, **changes: Any) -> SafeRestInput:
    config = dataclasses.replace(
        settings.load(), db_url=f"sqlite:///{tmp_path / 'tracker.db'}", rate_limit=None, **changes
    )
    return SafeRestInput(config)


def said(body: Any) -> dict[str, Any]:
    return json.loads(body[0]["text"])


def test_bodies_that_are_not_a_message_get_400_not_500(tmp_path: Path) -> None:
    """Rows 7 and 10: a JSON list, a string, an empty body, a missing or odd sender are refused cleanly."""
    seen: list[UserMessage] = []

    async def record(message: UserMessage) -> None:
        seen.append(message)

    async def body(url: str) -> None:
        for raw in (b"", b"[]", b'"hoi"', b"42", b"null", b"{", b"\xff\xfe", b'[{"sender": "a"}]'):
            status, answer, _ = await post(url, raw=raw)
            assert status == 400, raw
            assert answer == {"error": channels.UNREADABLE}
        for sender in (None, "", "x" * 65, "a b", "../etc", "<script>", 42, ["a"], "é"):
            status, _, _ = await post(url, {"sender": sender, "message": "hoi"})
            assert status == 400, sender
        status, _, _ = await post(url, {"message": "hoi"})
        assert status == 400, "no shared 'default' conversation"
        assert seen == []
        status, _, _ = await post(url, {"sender": "a" * 64, "message": "hoi"})
        assert status == 200

    serve(make_channel(tmp_path), record, body)


def test_channel_name_is_fixed_and_text_is_cleaned(tmp_path: Path) -> None:
    async def body(url: str) -> None:
        status, answer, _ = await post(url, {"sender": "s1", "message": "/restart", "input_channel": "evil"})
        assert status == 200
        assert said(answer) == {"text": "restart", "channel": "rest", "metadata": None}
        _, answer, _ = await post(url, {"sender": "s1", "message": "x" * 50_000})
        assert said(answer)["text"] == TOO_LONG_MESSAGE
        _, answer, _ = await post(url, {"sender": "s1", "message": {"text": "hoi"}})
        assert said(answer)["text"] == EMPTY_MESSAGE

    serve(make_channel(tmp_path), echo, body)


def test_request_over_64_kb_is_refused(tmp_path: Path) -> None:
    async def body(url: str) -> None:
        status, _, _ = await post(url, {"sender": "s1", "message": "a" * 100_000})
        assert status == 413

    serve(make_channel(tmp_path), echo, body)


def test_metadata_keeps_only_open_workshops_with_room(tmp_path: Path) -> None:
    """Row 3: unknown and closed codes are dropped; a full workshop takes no new conversations."""
    db_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    open_one = registry.create_workshop("open", db_url=db_url)
    closed = registry.create_workshop("closed", db_url=db_url)
    registry.close_workshop(closed.code, db_url=db_url)
    channel = make_channel(tmp_path, workshop_cap=2)

    async def body(url: str) -> None:
        async def metadata(sender: str, meta: Any) -> Any:
            status, answer, _ = await post(url, {"sender": sender, "message": "hoi", "metadata": meta})
            assert status == 200
            return said(answer)["metadata"]

        assert await metadata("a", {"workshop": open_one.code.lower(), "demo": True}) == {
            "workshop": open_one.code,
            "demo": True,
        }
        assert await metadata("b", {"workshop": "ZZZZZZ"}) is None
        assert await metadata("b", {"workshop": closed.code}) is None
        assert await metadata("b", {"workshop": "x" * 5000, "demo": "yes", "evil": 1}) is None
        assert await metadata("b", ["workshop"]) is None
        assert await metadata("b", {"workshop": open_one.code}) == {"workshop": open_one.code}
        assert await metadata("c", {"workshop": open_one.code}) is None, "cap of 2 reached"
        assert await metadata("a", {"workshop": open_one.code}) == {"workshop": open_one.code}

    serve(channel, echo, body)


def test_rate_limit_answers_429_in_dutch(tmp_path: Path) -> None:
    channel = make_channel(tmp_path)
    channel.limiter = RateLimiter(settings.RateLimit(rate=1, per=60, burst=3))

    async def body(url: str) -> None:
        statuses = []
        for i in range(6):
            status, answer, headers = await post(url, {"sender": f"s{i}", "message": "hoi"})
            statuses.append(status)
        assert statuses == [200, 200, 200, 429, 429, 429]
        assert answer == {"error": channels.RATE_LIMITED}
        assert int(headers["Retry-After"]) >= 1

    serve(channel, echo, body)


def test_a_failure_inside_rasa_is_a_503_the_widget_can_retry(tmp_path: Path) -> None:
    """Row 'faults': Rasa swallows a failed action (it only logs it) and used to answer 200 with nothing."""

    async def action_server_away(message: UserMessage) -> None:
        logging.getLogger("rasa.core.processor").error("Encountered an exception while running action 'x'.")

    async def database_locked(message: UserMessage) -> None:
        raise RuntimeError("database is locked")

    async def fine(message: UserMessage) -> None:
        logging.getLogger("rasa.core.processor").warning("a warning is no failure")
        logging.getLogger("rasa.core.nlg.interpolator").error("a placeholder left as written is no failure")
        await echo(message)

    for handler, expected in ((action_server_away, 503), (database_locked, 503), (fine, 200)):

        async def body(url: str, expected: int = expected) -> None:
            status, answer, _ = await post(url, {"sender": "s1", "message": "hoi"})
            assert status == expected
            if expected == 503:
                assert answer == {"error": channels.UNAVAILABLE}

        serve(make_channel(tmp_path), handler, body)


def test_a_message_sent_again_is_answered_once(tmp_path: Path) -> None:
    """The widget sends a message again with the same id after a timeout: one turn, the same replies."""
    seen: list[str] = []

    async def slow(message: UserMessage) -> None:
        seen.append(message.text)
        await asyncio.sleep(0.3)
        await echo(message)

    async def body(url: str) -> None:
        message = {"sender": "s1", "message": "hoi", "metadata": {"message_id": "m-1"}}
        again = {**message, "metadata": {"message_id": "m-1", "retry": True}}
        first, copy = await asyncio.gather(post(url, message), post(url, again))
        assert first[0] == copy[0] == 200
        assert first[1] == copy[1]
        assert said(first[1])["metadata"] == {"message_id": "m-1"}  # the id is stored, the retry flag is not
        # The client gave up before the answer; the copy it sends later gets the answer of that one turn.
        try:
            async with aiohttp.ClientSession() as session:
                data = json.dumps({**message, "metadata": {"message_id": "m-2"}}).encode()
                await session.post(url, data=data, timeout=aiohttp.ClientTimeout(total=0.05))
        except asyncio.TimeoutError:
            pass
        status, answer, _ = await post(url, {**message, "metadata": {"message_id": "m-2", "retry": True}})
        assert status == 200 and said(answer)["metadata"] == {"message_id": "m-2"}
        assert seen == ["hoi", "hoi"]

    serve(make_channel(tmp_path), slow, body)


def test_a_full_server_answers_busy_at_once(tmp_path: Path) -> None:
    channel = make_channel(tmp_path, max_waiting=1)
    release = asyncio.Event()

    async def slow(message: UserMessage) -> None:
        await release.wait()
        await echo(message)

    async def until(condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + 30
        while not condition():
            assert time.monotonic() < deadline, "the server never got there"
            await asyncio.sleep(0.01)

    async def body(url: str) -> None:
        # TURNS_AT_ONCE messages run and one waits in line (max_waiting=1): the next one is told "busy" at once.
        held = [asyncio.ensure_future(post(url, {"sender": f"s{i}", "message": "hoi"})) for i in range(TURNS_AT_ONCE)]
        await until(lambda: channel.admission.running == TURNS_AT_ONCE)
        held.append(asyncio.ensure_future(post(url, {"sender": "waiting", "message": "hoi"})))
        await until(lambda: channel.admission.waiting == 1)
        started = time.monotonic()
        busy = await post(url, {"sender": "late", "message": "hoi"})
        assert busy[0] == 429
        assert time.monotonic() - started < 5, "at once, not after a wait"
        assert busy[1] == {"error": channels.BUSY}
        assert busy[2]["Retry-After"] == str(channels.BUSY_RETRY_SECONDS)
        assert busy[2]["Access-Control-Expose-Headers"] == "Retry-After", "the widget on another origin reads it"
        release.set()
        assert [status for status, _, _ in await asyncio.gather(*held)] == [200] * (TURNS_AT_ONCE + 1)
        status, _, _ = await post(url, {"sender": "late", "message": "hoi"})  # room again afterwards
        assert status == 200

    serve(channel, slow, body)
