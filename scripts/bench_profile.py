#!/usr/bin/env python
"""Profile one turn of Keuzespiegel: where the time of a message goes (writes docs/bench/profile.md).

Loads the trained model from models/ in this process (the same Agent that `rasa run` uses, SQLite tracker
store in a temporary directory) and starts the real action server. Scripted pupils (tests/e2e/pupils.yml for
free text, the persona demo answers for buttons) talk to the agent; every turn is split into:

- NLU (the whole NLU pipeline: tokenizer, featurizers, DIET, the project's classifiers);
- policies (every prediction of the next action: memoization + rules, with the tracker featurization);
- action server round trips (per action; with request and response sizes), and what the action server itself
  spends on the same request (replayed in-process through rasa_sdk's executor);
- tracker store load and save;
- the rest (events, slot updates, NLG, the form loop).

Then two conversations run again under cProfile; the hottest functions are listed.

Usage: .venv/bin/python scripts/bench_profile.py [--conversations 8] [--no-write]
Heavy: run it under `flock /tmp/ks-heavy.lock`.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import io
import json
import logging
import os
import platform
import pstats
import statistics
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import yaml  # noqa: E402

from bot import ROOT, settings  # noqa: E402
from bot.cli import servers  # noqa: E402
from bot.core.content import get_personas  # noqa: E402
from bot.core.turn import button_payload  # noqa: E402

OUT = ROOT / "docs" / "bench" / "profile.md"
READING_START = "<!-- reading: kept when the script rewrites this file -->"
READING_END = "<!-- end of reading -->"
AFTER_REVEAL = ["wat deed tim na zijn studie?", "heeft joost ooit getwijfeld?"]
ACTIONS_PORT = 5255


class Recorder:
    """Seconds and call counts per stage, per turn."""

    def __init__(self) -> None:
        self.turn: dict[str, list[float]] = defaultdict(list)
        self.turns: list[dict[str, Any]] = []
        self.requests: list[tuple[str, int, int]] = []  # action, request bytes, response bytes
        self.payloads: list[dict[str, Any]] = []  # action server requests, replayed later

    def add(self, key: str, seconds: float) -> None:
        self.turn[key].append(seconds)

    def close_turn(self, total: float, events: int, kind: str) -> None:
        self.turns.append({"total": total, "events": events, "kind": kind, "parts": dict(self.turn)})
        self.turn = defaultdict(list)


REC = Recorder()


def instrument() -> None:
    """Wrap the Rasa methods that make up a turn with timers (class level, so every instance is timed)."""
    from rasa.core.actions.action import RemoteAction
    from rasa.core.processor import MessageProcessor
    from rasa.utils.endpoints import EndpointConfig

    from bot.plugins.tracker_store import ConfiguredSQLTrackerStore

    def timed_async(cls: type, name: str, key: str | None = None) -> None:
        original = getattr(cls, name)

        async def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return await original(self, *args, **kwargs)
            finally:
                label = key or f"action server: {self.name()}"
                REC.add(label, time.perf_counter() - start)

        setattr(cls, name, wrapper)

    def timed_sync(cls: type, name: str, key: str) -> None:
        original = getattr(cls, name)

        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(self, *args, **kwargs)
            finally:
                REC.add(key, time.perf_counter() - start)

        setattr(cls, name, wrapper)

    timed_async(MessageProcessor, "parse_message", "NLU")
    timed_sync(MessageProcessor, "_predict_next_with_tracker", "policies")
    timed_async(RemoteAction, "run")
    # The project's store (endpoints.yml): its retrieve and save, with the memory of recent conversations.
    timed_async(ConfiguredSQLTrackerStore, "retrieve", "tracker store: load")
    timed_async(ConfiguredSQLTrackerStore, "save", "tracker store: save")

    original_request = EndpointConfig.request

    async def request(self: Any, *args: Any, **kwargs: Any) -> Any:
        body = kwargs.get("json")
        response = await original_request(self, *args, **kwargs)
        if isinstance(body, dict) and "next_action" in body:
            REC.requests.append((body["next_action"], len(json.dumps(body)), len(json.dumps(response or {}))))
            if len(REC.payloads) < 400:
                REC.payloads.append(body)
        return response

    EndpointConfig.request = request


def latest_model() -> str:
    models = sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise SystemExit("bench-profile: no trained model in models/; run `make run` or `rasa train` first")
    return str(models[-1])


def scripts() -> list[tuple[str, dict[str, str]]]:
    """(kind, answers by question id): free-text pupils from the e2e suite and button pupils per persona."""
    pupils = yaml.safe_load((ROOT / "tests" / "e2e" / "pupils.yml").read_text(encoding="utf-8"))
    text = [("free text", p) for persona in pupils.values() for p in persona]
    buttons = []
    for persona in get_personas().values():
        answers = {
            qid: button_payload(qid, chosen[0] if isinstance(chosen, list) else chosen)
            for qid, chosen in persona.demo_answers.items()
        }
        buttons.append(("buttons", answers))
    mixed: list[tuple[str, dict[str, str]]] = []
    for i in range(max(len(text), len(buttons))):
        if i < len(text):
            mixed.append(text[i])
        if i < len(buttons):
            mixed.append(buttons[i])
    return mixed


async def send(agent: Any, sender: str, text: str, kind: str) -> list[dict[str, Any]]:
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    output = CollectingOutputChannel()
    start = time.perf_counter()
    await agent.handle_message(UserMessage(text, output, sender, input_channel="rest"))
    total = time.perf_counter() - start
    # For the event count, read from the database (not part of the turn, and not taking the tracker the next
    # turn gets from the store's memory).
    tracker = await agent.tracker_store.retrieve_full_tracker(sender)
    REC.close_turn(total, len(tracker.events) if tracker else 0, kind)
    return output.messages


def question_of(messages: list[dict[str, Any]]) -> str | None:
    for message in reversed(messages):
        custom = message.get("custom")
        if isinstance(custom, dict) and custom.get("type") == "question":
            return custom["question"]
    return None


def revealed(messages: list[dict[str, Any]]) -> bool:
    return any(isinstance(m.get("custom"), dict) and m["custom"].get("type") == "reveal" for m in messages)


async def conversation(agent: Any, kind: str, answers: dict[str, str]) -> int:
    sender = f"profile-{uuid.uuid4()}"
    messages = await send(agent, sender, "hoi", kind)
    turns = 1
    for _ in range(40):
        if revealed(messages):
            break
        question = question_of(messages)
        if question is None or question not in answers:
            raise SystemExit(f"bench-profile: the script has no answer for {question!r} ({kind})")
        messages = await send(agent, sender, answers[question], kind)
        turns += 1
    else:
        raise SystemExit("bench-profile: no reveal after 40 turns")
    for text in AFTER_REVEAL:
        await send(agent, sender, text, kind)
        turns += 1
    return turns


async def replay_actions() -> dict[str, list[float]]:
    """Seconds the action server's own code needs per request (no HTTP, no JSON transport)."""
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")
    seconds: dict[str, list[float]] = defaultdict(list)
    for body in REC.payloads:
        payload = json.loads(json.dumps(body))  # what the server parses from the wire
        start = time.perf_counter()
        await executor.run(payload)
        seconds[body["next_action"]].append(time.perf_counter() - start)
    return seconds


async def run(conversations: int) -> dict[str, Any]:
    from rasa.core.agent import load_agent
    from rasa.core.utils import AvailableEndpoints
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    # As `rasa run` without --debug: no debug lines (printing them would be measured as part of the turn).
    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)
    instrument()
    endpoints = AvailableEndpoints.read_endpoints(str(ROOT / "endpoints.yml"))
    load_start = time.perf_counter()
    agent = await load_agent(model_path=latest_model(), endpoints=endpoints)
    load_s = time.perf_counter() - load_start
    plan = scripts()
    await conversation(agent, *plan[0])  # warm-up: first-call costs (graph tracing, connections)
    REC.turns.clear()
    REC.requests.clear()
    REC.payloads.clear()
    turns = 0
    for i in range(conversations):
        turns += await conversation(agent, *plan[i % len(plan)])
    measured = list(REC.turns)
    requests = list(REC.requests)
    replay = await replay_actions()

    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(2):
        await conversation(agent, *plan[i])
    profiler.disable()
    return {"load_s": load_s, "turns": measured, "requests": requests, "replay": replay, "profiler": profiler}


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(result: dict[str, Any]) -> str:
    turns = result["turns"]
    totals = [t["total"] for t in turns]
    mean_total = statistics.mean(totals)
    keys = sorted({k for t in turns for k in t["parts"]})
    stage_rows = []
    known = 0.0
    for key in keys:
        per_turn = [sum(t["parts"].get(key, [])) for t in turns]
        calls = [len(t["parts"].get(key, [])) for t in turns]
        mean = statistics.mean(per_turn)
        known += mean
        stage_rows.append((key, statistics.mean(calls), mean))
    stage_rows.sort(key=lambda row: -row[2])
    other = mean_total - known

    lines = [
        "# Profile of one turn",
        "",
        "Generated by `scripts/bench_profile.py`: the trained model in this process (the same Agent as `rasa run`),",
        "the real action server over HTTP, the SQLite tracker store of `make run`; scripted pupils (free text from",
        "`tests/e2e/pupils.yml` and button answers) from the first message to the reveal and two questions after it.",
        "",
        "| | |",
        "|---|---|",
        f"| date | {dt.datetime.now():%Y-%m-%d %H:%M} |",
        f"| machine | {os.cpu_count()} cores, Python {platform.python_version()} |",
        f"| model | `{Path(latest_model()).name}` (loaded in {result['load_s']:.1f} s) |",
        f"| turns measured | {len(turns)} |",
        f"| **turn, mean / p50 / p95** | **{ms(mean_total)} / {ms(pct(totals, 0.5))} / {ms(pct(totals, 0.95))} ms** |",
        "",
        "## Where a turn's time goes (mean per turn)",
        "",
        "| stage | calls per turn | ms per turn | share |",
        "|---|---:|---:|---:|",
    ]
    for key, calls, mean in stage_rows:
        lines.append(f"| {key} | {calls:.2f} | {ms(mean)} | {mean / mean_total:.0%} |")
    lines.append(
        f"| rest (events, slots, NLG, form loop, Python around it) | | {ms(other)} | {other / mean_total:.0%} |"
    )

    kinds = sorted({t["kind"] for t in turns})
    lines += [
        "",
        "## Free text and buttons",
        "",
        "| kind | turns | mean ms | p95 ms | NLU ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for kind in kinds:
        subset = [t for t in turns if t["kind"] == kind]
        nlu = statistics.mean(sum(t["parts"].get("NLU", [])) for t in subset)
        tot = [t["total"] for t in subset]
        lines.append(f"| {kind} | {len(subset)} | {ms(statistics.mean(tot))} | {ms(pct(tot, 0.95))} | {ms(nlu)} |")

    lines += [
        "",
        "## Growth through the conversation",
        "",
        "| events in the tracker | turns | mean ms | policies ms | tracker load+save ms |",
        "|---|---:|---:|---:|---:|",
    ]
    buckets: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for t in turns:
        buckets[min(t["events"] // 50, 5)].append(t)
    for bucket in sorted(buckets):
        subset = buckets[bucket]
        label = f"{bucket * 50}-{bucket * 50 + 49}" if bucket < 5 else "250+"
        pol = statistics.mean(sum(t["parts"].get("policies", [])) for t in subset)
        store = statistics.mean(
            sum(t["parts"].get("tracker store: load", [])) + sum(t["parts"].get("tracker store: save", []))
            for t in subset
        )
        lines.append(
            f"| {label} | {len(subset)} | {ms(statistics.mean(t['total'] for t in subset))} | {ms(pol)} | {ms(store)} |"
        )

    by_action: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for name, request, response in result["requests"]:
        by_action[name].append((request, response))
    lines += [
        "",
        "## Action server calls: payload sizes and the action server's own time",
        "",
        "Round trip = Rasa's `RemoteAction.run` (serialise the tracker, HTTP, the action server, apply events).",
        "Own time = the same requests replayed in-process through rasa_sdk's executor (no HTTP, no JSON transport).",
        "",
        "| action | calls | request bytes, mean / max | response bytes, mean | own time, mean ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, sizes in sorted(by_action.items(), key=lambda kv: -len(kv[1])):
        own = result["replay"].get(name, [])
        own_ms = ms(statistics.mean(own)) if own else "-"
        lines.append(
            f"| {name} | {len(sizes)} | {statistics.mean(s[0] for s in sizes):,.0f} / {max(s[0] for s in sizes):,} | "
            f"{statistics.mean(s[1] for s in sizes):,.0f} | {own_ms} |"
        )
    all_requests = [r for _, r, _ in result["requests"]]
    if all_requests:
        lines.append("")
        lines.append(
            f"Per turn: {len(all_requests) / len(turns):.2f} action server calls, "
            f"{sum(all_requests) / len(turns) / 1024:.0f} KiB sent to the action server."
        )

    stream = io.StringIO()
    stats = pstats.Stats(result["profiler"], stream=stream)
    stats.sort_stats("cumulative").print_stats(35)
    cumulative = _trim(stream.getvalue())
    stream = io.StringIO()
    stats = pstats.Stats(result["profiler"], stream=stream)
    stats.sort_stats("tottime").print_stats(25)
    own = _trim(stream.getvalue())
    lines += [
        "",
        "## cProfile of two conversations (Rasa process only)",
        "",
        "<details><summary>by cumulative time</summary>",
        "",
        "```",
        cumulative,
        "```",
        "</details>",
        "",
        "<details><summary>by own time</summary>",
        "",
        "```",
        own,
        "```",
        "</details>",
    ]
    return "\n".join(lines) + "\n"


def _trim(text: str) -> str:
    site = str(Path(sys.executable).resolve().parent.parent)
    keep = []
    for line in text.splitlines():
        line = line.replace(site + "/lib/python3.10/site-packages/", "").replace(str(ROOT) + "/", "")
        if line.strip():
            keep.append(line.rstrip())
    return "\n".join(keep)


def write(text: str) -> None:
    reading = ""
    if OUT.exists():
        old = OUT.read_text(encoding="utf-8")
        if READING_START in old and READING_END in old:
            reading = old[old.index(READING_START) : old.index(READING_END) + len(READING_END)]
    if not reading:
        reading = f"{READING_START}\n## Reading\n\n(to be written)\n{READING_END}"
    title, _, rest = text.partition("\n\n")
    OUT.write_text(f"{title}\n\n{reading}\n\n{rest}", encoding="utf-8")
    print(f"bench-profile: wrote {OUT.relative_to(ROOT)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=8)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ks-profile-") as tmp:
        os.environ.update(
            {
                "KEUZESPIEGEL_DATA_DIR": tmp,
                "KEUZESPIEGEL_DB_URL": "",
                "ACTIONS_PORT": str(ACTIONS_PORT),
                "KEUZESPIEGEL_HOST": "localhost",
            }
        )
        config = settings.load()
        os.environ["KEUZESPIEGEL_ACTIONS_URL"] = config.actions_url
        with servers.running(config, web=False, rasa=False, log_dir=Path(tmp) / "logs"):
            result = asyncio.run(run(args.conversations))
    text = report(result)
    if args.no_write:
        print(text)
    else:
        write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
