"""Issue 12 attacked over HTTP: every row of the security review against the real servers.

These run on a stack of their own (conftest.own_stack) with production settings the shared stack does
not have: the default-style rate limit, a workshop cap of 3 and a public https address (as behind a
TLS proxy). Requests to Rasa leave from chosen loopback addresses (127.0.0.x), so the per-client rate
limit sees different clients.
"""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot import ROOT, settings
from bot.cli import servers
from bot.core.content import get_personas
from bot.plugins import channels
from bot.server import dashboard
from tests.e2e.chat import Chat
from tests.e2e.conftest import TEST_ENV, ServerSets, own_stack, server_set

pytestmark = pytest.mark.e2e

TOKEN = TEST_ENV["KEUZESPIEGEL_ADVISOR_TOKEN"]
PUBLIC = "https://bot.school.example"
CAP = 5
SAFETY_WORDS = ("0800-0432", "113")
MARKER = "zqxmarker" + uuid.uuid4().hex[:10]


@server_set("secure")
def secure_servers(directory: Path) -> AbstractContextManager[servers.Stack]:
    return own_stack(
        directory,
        300,
        KEUZESPIEGEL_RATE_LIMIT="60/10",
        KEUZESPIEGEL_RATE_BURST="30",
        KEUZESPIEGEL_WORKSHOP_CAP=str(CAP),
        KEUZESPIEGEL_PUBLIC_URL=PUBLIC,
        KEUZESPIEGEL_PURGE_INTERVAL="2",
    )


@pytest.fixture(scope="module")
def secure(server_sets: ServerSets) -> servers.Stack:
    return server_sets.get("secure")


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str]


def request(
    url: str,
    body: bytes | None = None,
    method: str = "POST",
    source: str = "127.0.0.1",
    headers: dict[str, str] | None = None,
    timeout: float = 60,
) -> Answer:
    """One HTTP request from a chosen local address (each 127.0.0.x is its own client for the rate limit)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or "localhost"
    if host == "localhost":
        host = "127.0.0.1"
    connection = http.client.HTTPConnection(host, parts.port, timeout=timeout, source_address=(source, 0))
    try:
        connection.request(
            method,
            parts.path + (f"?{parts.query}" if parts.query else ""),
            body=body,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        response = connection.getresponse()
        raw = response.read()
        try:
            parsed: Any = json.loads(raw)
        except ValueError:
            parsed = raw
        return Answer(response.status, parsed, {k.lower(): v for k, v in response.getheaders()})
    finally:
        connection.close()


def webhook(config: settings.Settings) -> str:
    return f"{config.rasa_url}/webhooks/rest/webhook"


def send(
    config: settings.Settings, sender: str, message: Any, metadata: Any = None, source: str = "127.0.0.1", **extra: Any
) -> Answer:
    body: dict[str, Any] = {"sender": sender, "message": message, **extra}
    if metadata is not None:
        body["metadata"] = metadata
    return request(webhook(config), json.dumps(body).encode(), source=source)


def texts(answer: Answer) -> str:
    assert answer.status == 200, (answer.status, answer.body)
    return "\n".join(r.get("text", "") for r in answer.body if isinstance(r, dict))


def events(config: settings.Settings, sender: str) -> list[tuple[str, str | None, dict[str, Any]]]:
    engine = sa.create_engine(config.db_url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT type_name, action_name, data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender}
        ).fetchall()
    engine.dispose()
    return [(row[0], row[1], json.loads(row[2])) for row in rows]


def slot(config: settings.Settings, sender: str, name: str) -> Any:
    values = [
        data.get("value") for kind, slot_name, data in events(config, sender) if kind == "slot" and slot_name == name
    ]
    return values[-1] if values else None


def web(
    config: settings.Settings,
    path: str,
    data: bytes | None = None,
    method: str | None = None,
    headers: dict[str, str] | None = None,
    source: str = "127.0.0.1",
) -> Answer:
    return request(
        f"{config.web_url}{path}",
        data,
        method=method or ("POST" if data is not None else "GET"),
        headers=headers,
        source=source,
    )


def advisor(
    config: settings.Settings, path: str, data: dict[str, Any] | None = None, source: str = "127.0.0.1"
) -> Answer:
    body = json.dumps(data).encode() if data is not None else None
    return web(config, path, body, headers={"Authorization": f"Bearer {TOKEN}"}, source=source)


def demo_payloads(persona: str) -> dict[str, str]:
    return {
        qid: button_payload_for(qid, chosen[0] if isinstance(chosen, list) else chosen)
        for qid, chosen in get_personas()[persona].demo_answers.items()
    }


def button_payload_for(question: str, option: str) -> str:
    return "/inform" + json.dumps({"option": f"{question}.{option}"})


def play_buttons(chat: Chat, persona: str, opening: str = "hoi") -> dict[str, Any]:
    return chat.play(demo_payloads(persona), opening=opening)


# ---- row 1: one message freezes every chat --------------------------------------------------------------


def test_a_body_over_64_kb_is_refused_with_413(secure: servers.Stack) -> None:
    config = secure.config
    for size in (100_000, 400_000):
        answer = send(config, f"big-{size}", "a" * size)
        assert answer.status == 413, answer.status
    assert send(config, "after-big", "hoi").status == 200


def timed(config: settings.Settings, sender: str, text: str, source: str) -> float:
    started = time.perf_counter()
    assert send(config, sender, text, source=source).status == 200
    return time.perf_counter() - started


def test_a_long_message_does_not_stall_other_chats(secure: servers.Stack) -> None:
    """60,000 characters (just under the 64 KB limit) while others chat: their replies stay quick.

    Before the fix the safety net read the whole text inside Rasa's event loop: 1 MB cost 28 s of CPU,
    60,000 characters about 1.7 s, and every other chat waited meanwhile."""
    config = secure.config
    long_text = "ik twijfel echt over alles en nog wat " * 1600
    assert 60_000 <= len(long_text.encode()) < 64 * 1024 - 200
    short = sorted(timed(config, f"short-{i}", "hoi", "127.0.0.13") for i in range(3))[1]
    long = sorted(timed(config, f"longer-{i}", long_text, "127.0.0.13") for i in range(3))[1]
    assert long < short + 0.5, (long, short)

    def others(i: int) -> float:
        started = time.perf_counter()
        assert send(config, f"bystander-{i}", "hoi", source="127.0.0.11").status == 200
        return time.perf_counter() - started

    with ThreadPoolExecutor(max_workers=8) as pool:
        long_ones = [pool.submit(send, config, f"long-{i}", long_text, None, "127.0.0.12") for i in range(4)]
        latencies = list(pool.map(others, range(8)))
        replies = [future.result() for future in long_ones]
    for reply in replies:
        assert "lang bericht" in texts(reply)
    assert max(latencies) < 5.0, latencies
    # The tracker keeps the intent, never the 60,000 characters.
    stored = [data.get("text") for kind, _, data in events(config, "long-0") if kind == "user"]
    assert stored == [channels.TOO_LONG_MESSAGE]


# ---- row 8: the safety net bypassed; /back rewinds ------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["/greet{} ik wil niet meer leven", '/inform{"option":"stage.klas3"} ik wil dood', "/greet@1.0 zelfmoord"]
)
def test_slash_tricks_still_get_the_safety_reply(secure: servers.Stack, text: str) -> None:
    chat = Chat(secure.config)
    chat.send("hoi")
    replies = chat.send(text)
    said = "\n".join(Chat.texts(replies))
    assert all(word in said for word in SAFETY_WORDS), chat.pretty()


def test_typed_back_restart_and_session_start_rewind_nothing(secure: servers.Stack) -> None:
    config = secure.config
    answers = demo_payloads("tim")
    chat = Chat(config)
    replies = chat.send("hoi")
    asked = []
    for _ in range(3):
        question = Chat.question(replies)["question"]
        asked.append(question)
        replies = chat.send(answers[question])
    next_question = Chat.question(replies)["question"]
    for text in ("/back", "/restart", "/session_start", "/action_restart", "/rewind", '/inform{"option": "x"}'):
        chat.send(text)
    stored = events(config, chat.sender)
    kinds = [kind for kind, _, _ in stored]
    actions = [name for kind, name, _ in stored if kind == "action"]
    # Rasa's own commands never ran: no restart, no step back, no second session. (A "rewind" event may
    # appear: that is the fallback taking back the one message it did not understand, as for any nonsense.)
    assert "restart" not in kinds and kinds.count("session_started") == 1, kinds
    assert not {"action_restart", "action_back", "action_session_start"} & set(actions[1:]), actions
    chosen = {
        qid: (value[0] if isinstance(value, list) else value)
        for qid, value in get_personas()["tim"].demo_answers.items()
    }
    for question in asked:
        assert slot(config, chat.sender, f"q_{question}") == chosen[question], f"{question} was lost"
    # "restart" as plain text reads as "opnieuw beginnen", which the bot first asks to confirm: the pupil
    # says no, the same question comes back, and the conversation reaches Tim with every earlier answer.
    replies = chat.send("/deny")
    if Chat.question(replies) is None:
        replies = chat.send("/resume")
    # The commands count as messages the bot did not understand: the open question may have been skipped after
    # two of them (no pupil is ever stuck), but no earlier question comes back and nothing was wiped.
    question = Chat.question(replies)
    assert question is not None and question["question"] not in asked, chat.pretty()
    assert question["index"] >= len(asked) + 1 and next_question not in asked, chat.pretty()
    turns = len(chat.transcript)
    reveal = chat.play(answers, opening=answers[question["question"]])
    assert reveal["persona"] in {"joost", "luuk", "tim"}, chat.pretty()
    later = {q["question"] for _, replies in chat.transcript[turns:] if (q := Chat.question(replies))}
    assert not later & set(asked), chat.pretty()
    for question in asked:
        assert slot(config, chat.sender, f"q_{question}") == chosen[question]


# ---- row 7: sender ids and channel names -------------------------------------------------------------------


def test_sender_ids_and_channel_names_are_checked(secure: servers.Stack) -> None:
    config = secure.config
    assert send(config, "s" * 100_000, "hoi").status == 413
    for sender in ("s" * 65, "", "a b", "../../x", None, 42):
        answer = send(config, sender, "hoi")  # type: ignore[arg-type]
        assert answer.status == 400 and answer.body == {"error": channels.UNREADABLE}, sender
    answer = request(webhook(config), json.dumps({"message": "hoi"}).encode())
    assert answer.status == 400, "a missing sender no longer means one shared 'default' conversation"
    sender = "s" * 64
    assert send(config, sender, "hoi", input_channel="evil-channel").status == 200
    channels_seen = {data.get("input_channel") for kind, _, data in events(config, sender) if kind == "user"}
    assert channels_seen == {"rest"}


# ---- row 10: bad input gives 500s ----------------------------------------------------------------------------


def test_bad_bodies_and_paths_get_4xx(secure: servers.Stack) -> None:
    config = secure.config
    for raw in (b"[]", b'"hoi"', b"", b"{", b"null", b"[1, 2]"):
        answer = request(webhook(config), raw)
        assert answer.status == 400 and answer.body == {"error": channels.UNREADABLE}, raw
    assert web(config, "/widget/a%00.js").status == 404
    cookie = f"{dashboard.COOKIE}={'9' * 4300}.abc"
    assert web(config, "/dashboard/api/workshops", headers={"Cookie": cookie}, source="127.0.0.45").status == 401
    assert web(config, "/dashboard", headers={"Cookie": cookie}, source="127.0.0.45").status == 401
    created = advisor(config, "/dashboard/api/workshops", {"name": "$\\frac{a$"})
    assert created.status == 201
    report = advisor(config, f"/dashboard/api/workshops/{created.body['code']}/report.png")
    assert report.status == 200 and report.body[:4] == b"\x89PNG"


# ---- row 3: workshop codes ---------------------------------------------------------------------------------------


def test_only_open_existing_workshops_with_room_are_joined(secure: servers.Stack) -> None:
    config = secure.config
    code = advisor(config, "/dashboard/api/workshops", {"name": "klas met plafond"}).body["code"]
    for sender, meta in (("ws-unknown", {"workshop": "ZZZZZZ"}), ("ws-junk", {"workshop": "<b>x</b>"})):
        assert send(config, sender, "hoi", meta).status == 200
        assert slot(config, sender, "workshop") is None
    joined = [f"ws-{i}" for i in range(CAP)]
    for sender in joined:
        assert send(config, sender, "hoi", {"workshop": code.lower()}).status == 200
        assert slot(config, sender, "workshop") == code
    assert send(config, "ws-too-many", "hoi", {"workshop": code}).status == 200
    assert slot(config, "ws-too-many", "workshop") is None, f"the cap is {CAP}"
    assert send(config, joined[0], "klas 3", {"workshop": code}).status == 200  # members keep going
    summary = advisor(config, f"/dashboard/api/workshops/{code}/summary").body
    assert summary["started"] == CAP

    second = advisor(config, "/dashboard/api/workshops", {"name": "wordt gesloten"}).body["code"]
    assert send(config, "before-close", "hoi", {"workshop": second}).status == 200
    closed = subprocess.run(
        [sys.executable, "-m", "bot", "workshop", "close", second],
        cwd=ROOT,
        env=servers.child_env(config),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert closed.returncode == 0 and "closed" in closed.stdout, closed.stderr
    time.sleep(6)  # the channel caches a workshop's state for 5 s
    assert send(config, "after-close", "hoi", {"workshop": second}).status == 200
    assert slot(config, "after-close", "workshop") is None
    assert slot(config, "before-close", "workshop") == second
    listed = {w["code"]: w["open"] for w in advisor(config, "/dashboard/api/workshops").body["workshops"]}
    assert listed[second] is False and listed[code] is True
    via_api = advisor(config, f"/dashboard/api/workshops/{code}/close", {})
    assert via_api.status == 200 and via_api.body["open"] is False


def test_rate_limit_per_client(secure: servers.Stack) -> None:
    """A script flooding from one address gets 429 with a Dutch message; a pupil elsewhere is not affected.

    The flood sends bodies the channel refuses (400) once past the limiter, so it is fast whatever Rasa's speed."""
    config = secure.config
    limit = config.rate_limit
    assert limit is not None and (limit.rate, limit.per, limit.burst) == (60, 10.0, 30)

    def flood(i: int) -> Answer:
        return request(webhook(config), b"[]", source="127.0.0.66")

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(flood, range(150)))
    elapsed = time.monotonic() - started
    # Real messages from the flooding address, all at once: the bucket refills one message per 1/6 s, so a
    # single message sent after the flood could find a fresh token on a slow machine; twenty cannot.
    with ThreadPoolExecutor(max_workers=20) as pool:
        real = pool.map(lambda i: send(config, f"flooder-{i}", "hoi", source="127.0.0.66"), range(20))
        after = [answer.status for answer in real]
    pupil = send(config, "pupil-elsewhere", "hoi", source="127.0.0.67")
    statuses = [a.status for a in answers]
    assert set(statuses) <= {400, 429}
    # A bucket of 30, refilled at 6 a second: no more got through than that.
    passed = statuses.count(400)
    assert limit.burst <= passed <= limit.burst + limit.per_second * elapsed + 1, (passed, elapsed)
    assert statuses.count(429) >= 50, statuses
    limited = next(a for a in answers if a.status == 429)
    assert limited.body == {"error": channels.RATE_LIMITED}
    assert int(limited.headers["retry-after"]) >= 1
    assert set(after) <= {200, 429} and after.count(429) >= 10, f"the flooding address is still limited: {after}"
    assert pupil.status == 200, "another address is not"


# ---- row 4: a pupil can lock the advisor out -------------------------------------------------------------


def test_wrong_guesses_do_not_lock_the_advisor_out(secure: servers.Stack) -> None:
    config = secure.config
    wrong = {"Authorization": "Bearer " + "x" * 30}
    guesser = "127.0.0.44"  # the school's NAT address, shared by the guessing pupil and the advisor
    statuses = [web(config, "/dashboard/api/workshops", headers=wrong, source=guesser).status for _ in range(25)]
    assert statuses[:20] == [401] * 20 and set(statuses[20:]) == {429}
    assert advisor(config, "/dashboard/api/workshops", source=guesser).status == 200
    login = web(
        config,
        "/dashboard/login",
        urllib.parse.urlencode({"token": TOKEN}).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": PUBLIC},
        source=guesser,
    )
    assert login.status == 303
    cookie = login.headers["set-cookie"].split(";")[0]
    assert web(config, "/dashboard/api/workshops", headers={"Cookie": cookie}, source=guesser).status == 200
    wrong_login = web(
        config,
        "/dashboard/login",
        urllib.parse.urlencode({"token": "x" * 30}).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": PUBLIC},
        source=guesser,
    )
    assert wrong_login.status == 429, "failures from that address are still slowed down"


def test_a_short_advisor_token_stops_the_server_at_startup(secure: servers.Stack) -> None:
    env = {**servers.child_env(secure.config), "KEUZESPIEGEL_ADVISOR_TOKEN": "kort-token", "WEB_PORT": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "bot.server.app"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "KEUZESPIEGEL_ADVISOR_TOKEN" in result.stderr and "24" in result.stderr


# ---- row 11: behind a TLS proxy ------------------------------------------------------------------------------


def test_public_url_drives_secure_cookie_and_origin_check(secure: servers.Stack) -> None:
    config = secure.config
    form = urllib.parse.urlencode({"token": TOKEN}).encode()
    kind = {"Content-Type": "application/x-www-form-urlencoded"}
    ok = web(config, "/dashboard/login", form, headers={**kind, "Origin": PUBLIC})
    assert ok.status == 303
    assert "Secure" in ok.headers["set-cookie"] and "HttpOnly" in ok.headers["set-cookie"]
    for origin in (config.web_url, "http://bot.school.example", "https://evil.example"):
        refused = web(config, "/dashboard/login", form, headers={**kind, "Origin": origin})
        assert refused.status == 403, origin
    link = advisor(config, "/dashboard/api/workshops", {"name": "proxy"}).body["link"]
    assert link.startswith(PUBLIC + "/?workshop=")


# ---- row 6: internal servers on all interfaces ----------------------------------------------------------------


def listening(port: int) -> set[str]:
    """Local addresses with a listening TCP socket on `port`, from /proc/net/tcp and tcp6."""
    found = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, port_hex = fields[1].split(":")
            if fields[3] == "0A" and int(port_hex, 16) == port:  # 0A = LISTEN
                if width == 8:
                    found.add(socket.inet_ntop(socket.AF_INET, bytes.fromhex(address)[::-1]))
                else:
                    raw = b"".join(bytes.fromhex(address[i : i + 8])[::-1] for i in range(0, 32, 8))
                    found.add(socket.inet_ntop(socket.AF_INET6, raw))
    return found


def test_internal_servers_listen_only_where_configured(secure: servers.Stack) -> None:
    config = secure.config
    actions = listening(config.actions_port)
    assert actions == {"127.0.0.1"}, actions
    rasa = listening(config.rasa_port)
    assert rasa and not rasa & {"0.0.0.0", "::"}, rasa
    assert rasa <= {"127.0.0.1", "::1"}, f"KEUZESPIEGEL_HOST is localhost, got {rasa}"


# ---- row 5: retention and logs -----------------------------------------------------------------------------


def test_logs_never_hold_a_pupils_text(secure: servers.Stack) -> None:
    """Messages carrying a unique marker, in every shape that used to reach a log; then grep every log file."""
    config = secure.config
    code = advisor(config, "/dashboard/api/workshops", {"name": "logtest"}).body["code"]
    shapes = [
        f"ik heet {MARKER}",
        f"/{MARKER}",
        f"/ik wil dood {MARKER}",
        f"/greet{{{MARKER}}}",
        f'/inform{{"option": "{MARKER}.x"}}',
        f'/inform{{"option": "stage.{MARKER}"}}',
        f"{MARKER} ik wil niet meer leven",
        f"{MARKER} " * 200,
        "{" + MARKER + "}",
    ]
    sender = "logs-" + uuid.uuid4().hex
    for text in shapes:
        assert send(config, sender, text, {"workshop": code}).status == 200
    assert send(config, sender, "hoi", {"workshop": MARKER}).status == 200
    stored = json.dumps([data for _, _, data in events(config, sender)])
    assert MARKER in stored, "the messages did arrive (and are kept only in the database)"
    time.sleep(1.5)  # let the log pumps write what the servers printed
    log_files = [p for p in secure.log_dir.rglob("*") if p.is_file()]
    assert {p.name.split("-")[0] for p in log_files} >= {"rasa", "actions", "web"}
    leaking = [p.name for p in log_files if MARKER.encode() in p.read_bytes()]
    assert leaking == []


def test_the_running_server_purges_old_conversations_and_logs(secure: servers.Stack) -> None:
    """No restart needed: the web server purges every KEUZESPIEGEL_PURGE_INTERVAL (2 s on this stack)."""
    config = secure.config
    old, recent = "purge-old-" + uuid.uuid4().hex, "purge-new-" + uuid.uuid4().hex
    for sender in (old, recent):
        assert send(config, sender, "hoi").status == 200
    engine = sa.create_engine(config.db_url)
    with engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE events SET timestamp = timestamp - :age WHERE sender_id = :s"),
            {"age": 31 * 86400, "s": old},
        )
    engine.dispose()
    stale_log = secure.log_dir / "rasa-2001-01-01.log"
    stale_log.write_text("an old line\n")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (events(config, old) or stale_log.exists()):
        time.sleep(0.5)
    assert events(config, old) == []
    assert events(config, recent)
    assert not stale_log.exists()


# ---- rows 2 and 9: the projector ------------------------------------------------------------------------------


def test_the_dashboard_only_grows(secure: servers.Stack) -> None:
    """Row 2 live: after 3 pupils are shown, one starts over, one sends a demo flag, one switches code,
    and a 4th finishes. The projector must not change, and counts below 3 stay hidden (row 9)."""
    config = secure.config
    code = advisor(config, "/dashboard/api/workshops", {"name": "alleen groeien"}).body["code"]
    other = advisor(config, "/dashboard/api/workshops", {"name": "andere"}).body["code"]
    pupils = []
    for persona in ("tim", "tim", "joost"):
        chat = Chat(config, metadata={"workshop": code})
        assert play_buttons(chat, persona)["persona"] == persona
        pupils.append(chat)
    summary = "/dashboard/api/workshops/{}/summary"
    before = advisor(config, summary.format(code)).body
    assert before["shown"] == 3
    counts = {p["id"]: p["count"] for p in before["personas"]}
    assert counts == {"joost": "<3", "luuk": "<3", "tim": "<3"}, counts
    assert all(round(p["exploration"] * 10, 6) == round(p["exploration"] * 10) for p in before["points"])

    starter, demo, switcher = pupils
    starter.send("/start_over")
    if "confirm_start_over" in (ROOT / "domain" / "domain.yml").read_text(encoding="utf-8"):
        starter.send("/confirm_start_over")
    demo.metadata = {"workshop": code, "demo": True}
    demo.send("/ask_why")
    switcher.metadata = {"workshop": other}
    switcher.send("/meet_other")
    fourth = Chat(config, metadata={"workshop": code})
    play_buttons(fourth, "luuk")
    after = advisor(config, summary.format(code)).body
    for key in ("shown", "points", "personas", "questions", "demo_left_out"):
        assert after[key] == before[key], key
    assert after["finished"] == 4
    assert advisor(config, summary.format(other)).body["started"] == 0
