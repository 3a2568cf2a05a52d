"""Soak benchmark (`make bench-soak`): 200 conversations at once for 10 minutes against the real servers.

Starts the action server, the Rasa server and the web server as `make run` does (bot.cli.servers), with
production limits (rate limit, workshop cap, 64 KB requests), on ports of its own and a throwaway database.
Then 200 simulated pupils chat at the same time, each from its own loopback address (127.0.0.x, as pupils'
phones would), answering by button with a think time, starting a new conversation after each reveal.
About 5% of the requests are hostile: huge bodies, malformed JSON, bad sender ids, typed commands,
injections, over-long texts. An advisor's projector polls the workshop summaries every 5 seconds.

Pass criteria (issue 12): 0 lost conversations (every answer the bot accepted is in the tracker store,
every finished conversation met the persona its answers give), 0 5xx answers to valid messages, and
Rasa's memory (RSS) at the end at most 10% above its size after warm-up.

Results go to docs/bench/soak.md. Knobs (environment): SOAK_SECONDS (600), SOAK_CONVERSATIONS (200),
SOAK_THINK ("8-20" seconds between a reply and the next answer), SOAK_WARMUP (120), SOAK_HOSTILE (0.05),
SOAK_OUT (docs/bench/soak.md).
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import psutil
import sqlalchemy as sa

from bot import ROOT, settings
from bot.cli import servers
from bot.core import model
from bot.core.content import DONT_KNOW, STAGE_QUESTION, get_questionnaire
from bot.core.turn import button_payload

OUT = ROOT / os.environ.get("SOAK_OUT", "docs/bench/soak.md")
SECONDS = float(os.environ.get("SOAK_SECONDS", "600"))
CONVERSATIONS = int(os.environ.get("SOAK_CONVERSATIONS", "200"))
# A pupil reads the bot's turn (25-40 words and 3-6 buttons: 8-15 s at the 150-200 words a minute of a
# 14-year-old) and then taps. 8-20 s is that pace; SOAK_THINK=3-9 is a class tapping without reading, which
# at 200 pupils asks about twice what one Rasa process on 2 cores answers (README, "More pupils at once").
THINK = tuple(float(x) for x in os.environ.get("SOAK_THINK", "8-20").split("-", 1))
WARMUP = float(os.environ.get("SOAK_WARMUP", "120"))
HOSTILE_SHARE = float(os.environ.get("SOAK_HOSTILE", "0.05"))
WORKSHOPS = 4
TIMEOUT = 15.0  # the widget's REQUEST_TIMEOUT_MS
ATTEMPTS = 6  # a pupil sends a message this often at most (the widget's automatic and retry-button resends)
TOKEN = "soak-advisor-token-" + uuid.uuid4().hex
PORTS = {"RASA_PORT": "5905", "ACTIONS_PORT": "5955", "WEB_PORT": "8905"}

# Hostile requests in the pupil's own conversation: they must not change its answers.
IN_CONVERSATION = [
    ("long text", lambda: "ik twijfel echt over alles " * 2000),
    ("typed /back", lambda: "/back"),
    ("typed /session_start", lambda: "/session_start"),
    ("slot injection", lambda: '/inform{"persona": "tim", "exploration": 1.0, "commitment": 1.0}'),
    ("bad option", lambda: '/inform{"option": "stage.rocket"}'),
    ("script tag", lambda: "<script>alert(document.cookie)</script>"),
    ("sql", lambda: "'; DROP TABLE events; --"),
    ("control chars", lambda: "\x00\x01\x02 \u202e\u200b"),
    ("emoji flood", lambda: "🙈" * 900),
]
# Hostile requests outside any conversation (raw bodies).
RAW = [
    ("100 KB body", lambda s: json.dumps({"sender": s, "message": "a" * 100_000}).encode()),
    ("malformed JSON", lambda s: b'{"sender": "' + s.encode() + b'", "message": '),
    ("JSON list", lambda s: b"[1, 2, 3]"),
    ("JSON string", lambda s: b'"hoi"'),
    ("empty body", lambda s: b""),
    ("no sender", lambda s: b'{"message": "hoi"}'),
    ("long sender", lambda s: json.dumps({"sender": "x" * 5000, "message": "hoi"}).encode()),
    ("sender with spaces", lambda s: json.dumps({"sender": "a b c", "message": "hoi"}).encode()),
    (
        "metadata junk",
        lambda s: json.dumps(
            {"sender": s + "-junk", "message": "hoi", "metadata": {"workshop": "'; --", "demo": "yes", "x": [1] * 100}}
        ).encode(),
    ),
]


@dataclass
class Pupil:
    sender: str
    stage: str
    answers: dict[str, str]
    workshop: str
    given: dict[str, str] = field(default_factory=dict)
    finished: bool = False
    persona: str | None = None
    problems: list[str] = field(default_factory=list)
    waited: list[float] = field(default_factory=list)  # per answered message: first send -> reply, retries included
    last_reply: str = ""

    def expected(self) -> str:
        questionnaire = get_questionnaire()
        answers = {q: [o] if questionnaire.question(q).multi else o for q, o in self.answers.items()}
        return model.match(model.score(answers, stage=self.stage)).persona_id


@dataclass
class Record:
    at: float
    kind: str  # valid | hostile:<name> | dashboard
    status: int
    seconds: float


@dataclass
class Run:
    started: float
    records: list[Record] = field(default_factory=list)
    pupils: list[Pupil] = field(default_factory=list)
    memory: list[tuple[float, dict[str, float]]] = field(default_factory=list)


def make_pupil(rng: random.Random, workshop: str) -> Pupil:
    questionnaire = get_questionnaire()
    stage = rng.choice(["klas3", "bovenbouw", "bovenbouw", "examen", "examen", "student"])
    answers = {}
    for question in questionnaire.questions_for(stage):
        if question.id == STAGE_QUESTION:
            answers[STAGE_QUESTION] = stage
            continue
        options = [o.id for o in question.options] + [DONT_KNOW]
        answers[question.id] = rng.choice(options)
    return Pupil(f"soak-{uuid.uuid4()}", stage, answers, workshop)


def question_of(replies: Any) -> str | None:
    for reply in reversed(replies if isinstance(replies, list) else []):
        custom = reply.get("custom") if isinstance(reply, dict) else None
        if isinstance(custom, dict) and custom.get("type") == "question":
            return str(custom["question"])
    return None


def reveal_of(replies: Any) -> dict[str, Any] | None:
    for reply in replies if isinstance(replies, list) else []:
        custom = reply.get("custom") if isinstance(reply, dict) else None
        if isinstance(custom, dict) and custom.get("type") == "reveal":
            return custom
    return None


async def post(session: aiohttp.ClientSession, url: str, body: bytes, run: Run, kind: str) -> tuple[int, Any, float]:
    """One request: its status (599: no answer within the widget's timeout), parsed body and Retry-After."""
    started = time.monotonic()
    retry_after = 0.0
    try:
        async with session.post(
            url, data=body, headers={"Content-Type": "application/json"}, timeout=aiohttp.ClientTimeout(total=TIMEOUT)
        ) as response:
            raw = await response.read()
            status = response.status
            try:
                retry_after = float(response.headers.get("Retry-After", "0"))
            except ValueError:
                retry_after = 0.0
    except (aiohttp.ClientError, asyncio.TimeoutError):
        status, raw = 599, b""  # no answer at all: counted as a server error
    run.records.append(Record(started - run.started, kind, status, time.monotonic() - started))
    try:
        return status, json.loads(raw) if raw else None, retry_after
    except ValueError:
        return status, None, retry_after


async def pupil_loop(index: int, config: settings.Settings, codes: list[str], run: Run, end: float) -> None:
    rng = random.Random(index)
    url = f"{config.rasa_url}/webhooks/rest/webhook".replace("localhost", "127.0.0.1")
    address = f"127.0.{index // 250}.{2 + index % 250}"  # every pupil its own client address
    connector = aiohttp.TCPConnector(local_addr=(address, 0))
    async with aiohttp.ClientSession(connector=connector) as session:

        async def say(pupil: Pupil, text: str, kind: str = "valid") -> tuple[int, Any]:
            """Send as the widget does: one message id; after "busy" (429) wait Retry-After and send again by
            itself; after an error or no answer within 15 s the pupil presses "Opnieuw proberen"."""
            metadata: dict[str, Any] = {"workshop": pupil.workshop, "message_id": uuid.uuid4().hex}
            first = time.monotonic()
            status, replies = 0, None
            for _attempt in range(ATTEMPTS):
                body = {"sender": pupil.sender, "message": text, "metadata": metadata}
                status, replies, retry_after = await post(session, url, json.dumps(body).encode(), run, kind)
                if status == 200 or kind != "valid":
                    break
                if status == 429 and retry_after:
                    await asyncio.sleep(retry_after)
                else:
                    metadata = {**metadata, "retry": True}
                    await asyncio.sleep(rng.uniform(*THINK))
            if status == 200 and kind == "valid":
                pupil.waited.append(time.monotonic() - first)
                pupil.last_reply = " | ".join(
                    str(r.get("text"))[:80] for r in (replies or []) if isinstance(r, dict) and r.get("text")
                )
            return status, replies

        async def hostile(pupil: Pupil) -> None:
            if rng.random() < 0.5:
                name, make = rng.choice(IN_CONVERSATION)
                await say(pupil, make(), f"hostile:{name}")
            else:
                name, raw = rng.choice(RAW)
                await post(session, url, raw(pupil.sender + "-x"), run, f"hostile:{name}")

        await asyncio.sleep(rng.uniform(0, THINK[1]))  # pupils do not all start in the same second
        while time.monotonic() < end:
            pupil = make_pupil(rng, rng.choice(codes))
            run.pupils.append(pupil)
            status, replies = await say(pupil, "hoi")
            if status != 200:
                pupil.problems.append(f"opening got {status}")
                await asyncio.sleep(rng.uniform(*THINK))
                continue
            while True:
                reveal = reveal_of(replies)
                if reveal is not None:
                    pupil.finished, pupil.persona = True, reveal.get("persona")
                    break
                question = question_of(replies)
                if question is None:
                    pupil.problems.append(f"a reply with neither a question nor the reveal: {pupil.last_reply!r}")
                    break
                if question in pupil.given:
                    pupil.problems.append(f"{question} asked again after it was answered")
                    break
                await asyncio.sleep(rng.uniform(*THINK))
                if time.monotonic() >= end:
                    break  # the pupil is still busy when the bell rings
                if rng.random() < HOSTILE_SHARE / (1 - HOSTILE_SHARE):  # hostile / all requests = HOSTILE_SHARE
                    await hostile(pupil)
                option = pupil.answers[question]
                status, replies = await say(pupil, button_payload(question, option))
                if status != 200:
                    pupil.problems.append(f"answer to {question} got {status}")
                    break
                pupil.given[question] = option
            await asyncio.sleep(rng.uniform(*THINK))


async def projector(config: settings.Settings, codes: list[str], run: Run, end: float) -> None:
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as session:
        while time.monotonic() < end:
            for code in codes:
                started = time.monotonic()
                url = f"{config.web_url}/dashboard/api/workshops/{code}/summary"
                try:
                    async with session.get(url, timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as response:
                        await response.read()
                        status = response.status
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    status = 599
                run.records.append(Record(started - run.started, "dashboard", status, time.monotonic() - started))
            await asyncio.sleep(5)


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children, in MB."""
    process = psutil.Process(pid)
    total = process.memory_info().rss
    for child in process.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total / 1e6


async def memory_sampler(stack: servers.Stack, run: Run, end: float) -> None:
    while time.monotonic() < end:
        run.memory.append(
            (time.monotonic() - run.started, {name: rss_mb(proc.pid) for name, proc in stack.procs.items()})
        )
        await asyncio.sleep(10)


async def load(stack: servers.Stack, codes: list[str]) -> Run:
    run = Run(started=time.monotonic())
    end = run.started + SECONDS
    tasks = [pupil_loop(i, stack.config, codes, run, end) for i in range(CONVERSATIONS)]
    await asyncio.gather(memory_sampler(stack, run, end), projector(stack.config, codes, run, end), *tasks)
    run.memory.append((time.monotonic() - run.started, {name: rss_mb(proc.pid) for name, proc in stack.procs.items()}))
    return run


def stored_answers(db_url: str) -> dict[str, dict[str, Any]]:
    """sender -> question id -> last stored value, from the tracker store."""
    engine = sa.create_engine(db_url)
    query = sa.text(
        "SELECT sender_id, action_name, data FROM events WHERE type_name = 'slot' "
        "AND action_name LIKE 'q\\_%' ESCAPE '\\' ORDER BY id"
    )
    result: dict[str, dict[str, Any]] = {}
    with engine.connect() as connection:
        for sender, slot, data in connection.execute(query):
            result.setdefault(sender, {})[slot[2:]] = json.loads(data).get("value")
    engine.dispose()
    return result


def check(run: Run, db_url: str) -> list[tuple[Pupil, list[str]]]:
    """Conversations that lost something: an accepted answer not stored, a wrong persona, a broken flow."""
    stored = stored_answers(db_url)
    lost = []
    for pupil in run.pupils:
        problems = list(pupil.problems)
        mine = stored.get(pupil.sender, {})
        for question, option in pupil.given.items():
            if mine.get(question) != option:
                problems.append(f"{question}: sent {option!r}, stored {mine.get(question)!r}")
        if pupil.finished and pupil.persona != pupil.expected():
            problems.append(f"met {pupil.persona}, answers give {pupil.expected()}")
        if problems:
            lost.append((pupil, problems))
    return lost


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(
    run: Run,
    lost: list[tuple[Pupil, list[str]]],
    config: settings.Settings,
    startup: dict[str, float],
    load_average: tuple[float, float, float],
) -> tuple[str, bool]:
    valid = [r for r in run.records if r.kind == "valid"]
    hostile = [r for r in run.records if r.kind.startswith("hostile:")]
    dashboard = [r for r in run.records if r.kind == "dashboard"]
    valid_5xx = sum(r.status >= 500 for r in valid)
    valid_other = Counter(r.status for r in valid if r.status != 200)
    hostile_status = Counter(r.status for r in hostile)
    hostile_kinds = Counter(r.kind.split(":", 1)[1] for r in hostile)
    latencies = [r.seconds for r in valid if r.status == 200]
    busy = sum(r.status == 429 for r in valid)
    waited = [w for p in run.pupils for w in p.waited]
    rasa = [(t, m["rasa"]) for t, m in run.memory]
    warm = next((m for t, m in rasa if t >= WARMUP), rasa[-1][1])
    end_rss = rasa[-1][1]
    growth = (end_rss - warm) / warm
    finished = sum(p.finished for p in run.pupils)
    total_share = len(hostile) / max(1, len(hostile) + len(valid))
    criteria = [
        ("lost conversations", f"{len(lost)}", len(lost) == 0),
        ("5xx (or no answer) on valid messages", f"{valid_5xx} of {len(valid):,}", valid_5xx == 0),
        (
            "Rasa memory growth after warm-up",
            f"{growth * 100:+.1f}% ({warm:.0f} MB at {WARMUP:.0f} s -> {end_rss:.0f} MB at the end)",
            growth <= 0.10,
        ),
    ]
    passed = all(ok for _, _, ok in criteria)
    lines = [
        "# Soak benchmark",
        "",
        "`make bench-soak` (scripts/bench_soak.py): the action server, the Rasa server and the web server started as "
        "`make run` starts them (production limits: rate limit "
        + (f"{config.rate_limit.rate} per {config.rate_limit.per:g} s" if config.rate_limit else "off")
        + f" per client, workshop cap {config.workshop_cap}, 64 KB requests), a fresh SQLite tracker store. "
        f"{CONVERSATIONS} simulated pupils chat at the same time for {SECONDS / 60:.0f} minutes, each from its own "
        f"loopback address, answering by button after {THINK[0]:g}-{THINK[1]:g} s of thinking and starting a new "
        f"conversation after each reveal, spread over {WORKSHOPS} workshops. {HOSTILE_SHARE * 100:.0f}% of the "
        "requests are hostile (table below). The advisor's dashboard polls every workshop's summary every 5 s. "
        "Each pupil sends like the widget: one id per message, a wait of Retry-After and the same message again "
        f'after "busy", and after an error or no answer within {TIMEOUT:g} s the retry button (the same message, '
        f"marked as sent again) after a think time; {ATTEMPTS} tries at most.",
        "",
        f"**Result: {'PASS' if passed else 'FAIL'}**",
        "",
        "| criterion | measured | met |",
        "|---|---|---|",
        *[f"| {name} | {value} | {'yes' if ok else 'NO'} |" for name, value, ok in criteria],
        "",
        "| figure | value |",
        "|---|---|",
        f"| conversations started / reached the reveal | {len(run.pupils):,} / {finished:,} |",
        f"| valid messages answered 200 | {len(latencies):,} of {len(valid):,} "
        f"(other: {dict(valid_other) or 'none'}) |",
        f"| throughput | {len(valid) / SECONDS:.1f} valid messages/s, {len(run.records) / SECONDS:.1f} requests/s |",
        f"| reply time of valid messages: median / p95 / p99 / max | {statistics.median(latencies):.2f} / "
        f"{percentile(latencies, 0.95):.2f} / {percentile(latencies, 0.99):.2f} / {max(latencies):.2f} s |",
        f'| "busy" answers (429 with Retry-After; the client sends the message again, as the widget does) | '
        f"{busy:,} ({busy / max(1, len(valid)) * 100:.1f}% of valid requests) |",
        f"| time to the answer as the pupil sees it (busy waits and resends included): median / p95 / p99 / max | "
        f"{statistics.median(waited):.2f} / {percentile(waited, 0.95):.2f} / {percentile(waited, 0.99):.2f} / "
        f"{max(waited):.2f} s |",
        f"| hostile requests | {len(hostile):,} ({total_share * 100:.1f}% of chat requests); answers: "
        f"{dict(sorted(hostile_status.items()))} |",
        f"| dashboard summaries | {len(dashboard):,}, statuses {dict(Counter(r.status for r in dashboard))}, "
        f"median {statistics.median([r.seconds for r in dashboard]) * 1000:.0f} ms |",
        "| memory before the load (MB) | " + ", ".join(f"{k} {v:.0f}" for k, v in startup.items()) + " |",
        "| memory at the end (MB) | " + ", ".join(f"{k} {v:.0f}" for k, v in run.memory[-1][1].items()) + " |",
        "",
        "Rasa's resident memory during the run (MB, every minute):",
        "",
        "| minute | " + " | ".join(f"{int(t // 60)}" for t, _ in rasa[::6]) + " |",
        "|---|" + "---|" * len(rasa[::6]),
        "| Rasa | " + " | ".join(f"{m:.0f}" for _, m in rasa[::6]) + " |",
        "",
        "Hostile requests sent:",
        "",
        "| kind | count |",
        "|---|---|",
        *[f"| {kind} | {count} |" for kind, count in sorted(hostile_kinds.items())],
        "",
    ]
    silent = [r for r in valid if r.status >= 500]
    if silent:
        lines += [
            "Valid messages with a 5xx or no answer within the widget's timeout, by second of the run: "
            + ", ".join(f"{r.at:.0f} s ({r.status})" for r in silent[:20]),
            "",
        ]
    if lost:
        lines += ["Conversations that lost something (first 10):", ""]
        lines += [f"- `{p.sender}`: {'; '.join(problems)}" for p, problems in lost[:10]]
        lines.append("")
    lines += [
        f"Machine: {os.cpu_count()} cores; Python {platform.python_version()}, {platform.system()} "
        f"{platform.release()}. Load average at the end: {', '.join(f'{x:.1f}' for x in load_average)} "
        "(other jobs may share the machine).",
        "",
    ]
    return "\n".join(lines), passed


def main() -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="keuzespiegel-soak-"))
    os.environ.update(
        {
            **PORTS,
            "KEUZESPIEGEL_HOST": "localhost",
            "KEUZESPIEGEL_DATA_DIR": str(data_dir),
            "KEUZESPIEGEL_DB_URL": "",
            "KEUZESPIEGEL_CORS_ORIGINS": "",
            "KEUZESPIEGEL_ADVISOR_TOKEN": TOKEN,
            "KEUZESPIEGEL_RATE_LIMIT": "120/10",
            "KEUZESPIEGEL_RATE_BURST": "60",
            "RASA_TELEMETRY_ENABLED": "false",
        }
    )
    config = settings.load()
    if not any((ROOT / "models").glob("*.tar.gz")):
        servers.train(config)
    print(f"soak: {CONVERSATIONS} pupils for {SECONDS:.0f} s, data in {data_dir}", flush=True)
    with servers.running(config, log_dir=data_dir / "logs") as stack:
        import urllib.request

        codes = []
        for i in range(WORKSHOPS):
            request = urllib.request.Request(
                f"{config.web_url}/dashboard/api/workshops",
                data=json.dumps({"name": f"soak {i}"}).encode(),
                headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request) as response:
                codes.append(json.loads(response.read())["code"])
        startup = {name: rss_mb(proc.pid) for name, proc in stack.procs.items()}
        run = asyncio.run(load(stack, codes))
        load_average = os.getloadavg()
        crashed = stack.first_exited()
    lost = check(run, config.db_url)
    text, passed = report(run, lost, config, startup, load_average)
    if crashed:
        text += f"\nThe {crashed} process exited during the run.\n"
        passed = False
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    print(text)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
