"""Benchmark: dashboard summary for one workshop of 1,000 conversations (`make bench-dashboard`).

Fills a temporary SQLite tracker store through Rasa's SQLTrackerStore with real Rasa events
(answers from the real questionnaire, scores and persona from bot.core.model), then times
bot.workshops.store.load_conversations + bot.workshops.summary.summarize. Writes docs/bench/summary.md.
"""

from __future__ import annotations

import asyncio
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

from rasa.core.tracker_store import SQLTrackerStore  # noqa: E402
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered  # noqa: E402
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402

from bot import ROOT  # noqa: E402
from bot.core import model
from bot.core.content import DONT_KNOW, encode_answer, get_questionnaire, slot_for  # noqa: E402
from bot.core.turn import button_payload  # noqa: E402
from bot.workshops import store, summary

CONVERSATIONS = 1000
HALFWAY = 0.1  # share that stops halfway
DEMO = 0.02  # share of demo conversations
RUNS = 7
TARGET_S = 1.0
CODE = "K7M3QD"
OUT = ROOT / "docs" / "bench" / "dashboard.md"


def conversation(sender: str, rng: random.Random, start: float) -> list[Any]:
    """The events Rasa stores for one pupil: greeting, every question, scores and the reveal."""
    questionnaire = get_questionnaire()
    demo = rng.random() < DEMO
    metadata = {"workshop": CODE, **({"demo": True} if demo else {})}
    ts = start
    events: list[Any] = [
        ActionExecuted("action_session_start", timestamp=ts),
        ActionExecuted("action_listen", timestamp=ts),
    ]
    ts += 2
    greeting = UserUttered("hoi", intent={"name": "greet"}, metadata=metadata, timestamp=ts)
    events += [greeting, SlotSet("workshop", CODE, timestamp=ts)]
    if demo:
        events.append(SlotSet("demo", True, timestamp=ts))
    stage = rng.choice(["klas3", "bovenbouw", "bovenbouw", "examen", "examen", "student"])
    questions = questionnaire.questions_for(stage)
    stop = rng.randrange(1, len(questions)) if rng.random() < HALFWAY else len(questions)
    answers: dict[str, Any] = {}
    for question in questions[:stop]:
        ts += rng.uniform(4, 25)
        custom = {"custom": {"type": "question", "question": question.id}}
        events += [
            ActionExecuted("questionnaire_form", timestamp=ts),
            BotUttered(question.text_for(stage), data=custom, timestamp=ts),
            ActionExecuted("action_listen", timestamp=ts),
        ]
        options = [o.id for o in question.options]
        if question.id == "stage":
            chosen = [stage]
        elif question.multi:
            chosen = rng.sample(options, rng.randint(1, min(2, len(options))))
        else:
            chosen = [DONT_KNOW] if rng.random() < 0.05 else [rng.choice(options)]
        answers[question.id] = chosen if question.multi else chosen[0]
        ts += rng.uniform(2, 15)
        text = button_payload(question.id, chosen[0])
        answer = UserUttered(text, intent={"name": "inform"}, metadata=metadata, timestamp=ts)
        events += [answer, SlotSet(slot_for(question.id), encode_answer(chosen), timestamp=ts)]
    if stop == len(questions):
        scores = model.score(answers, stage=stage)
        found = model.match(scores)
        ts += 1
        events += [
            ActionExecuted("action_reveal", timestamp=ts),
            SlotSet("exploration", scores.exploration, timestamp=ts),
            SlotSet("commitment", scores.commitment, timestamp=ts),
            SlotSet("reconsideration", scores.reconsideration, timestamp=ts),
            SlotSet("persona", found.persona_id, timestamp=ts),
            SlotSet("fit", found.fit, timestamp=ts),
            BotUttered(
                "Je lijkt het meest op ...",
                data={"custom": {"type": "reveal", "persona": found.persona_id}},
                timestamp=ts,
            ),
            ActionExecuted("action_listen", timestamp=ts),
        ]
    return events


def fill(db_url: str) -> tuple[int, float]:
    """Store the conversations; returns (number of event rows, seconds)."""
    tracker_store = SQLTrackerStore(host=db_url)
    rng = random.Random(20240611)
    started = time.perf_counter()
    rows = 0

    async def save_all() -> None:
        nonlocal rows
        for i in range(CONVERSATIONS):
            events = conversation(f"bench-{i:04d}", rng, 1_760_000_000.0 + i * 1.7)
            rows += len(events)
            await tracker_store.save(DialogueStateTracker.from_events(f"bench-{i:04d}", events))

    asyncio.run(save_all())
    tracker_store.engine.dispose()
    return rows, time.perf_counter() - started


def summary_once(db_url: str) -> dict[str, Any]:
    return summary.summarize(store.load_conversations(CODE, db_url=db_url))


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="keuzespiegel-bench-") as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        rows, fill_s = fill(db_url)
        summary = summary_once(db_url)  # warm-up: imports, content cache, engine
        timings = []
        load_timings = []
        for _ in range(RUNS):
            t0 = time.perf_counter()
            frame = store.load_conversations(CODE, db_url=db_url)
            t1 = time.perf_counter()
            summary.summarize(frame)
            t2 = time.perf_counter()
            timings.append(t2 - t0)
            load_timings.append(t1 - t0)
        tracemalloc.start()
        summary_once(db_url)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        size_mb = (Path(tmp) / "bench.db").stat().st_size / 1e6

    median = statistics.median(timings)
    verdict = "met" if median < TARGET_S else "NOT met"
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        "# Dashboard benchmark",
        "",
        "`make bench-dashboard` (scripts/bench_dashboard.py): one workshop of "
        f"{CONVERSATIONS:,} conversations in a temporary SQLite tracker store, written through Rasa's "
        "SQLTrackerStore with real Rasa events (answers from the real questionnaire, scores and persona "
        "from `bot.core.model`; ~10% stop halfway, ~2% demo). Timed: `bot.workshops.store.load_conversations` + "
        "`bot.workshops.summary.summarize`, the work behind one dashboard refresh.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| conversations / event rows | {CONVERSATIONS:,} / {rows:,} ({size_mb:.1f} MB SQLite) |",
        f"| started / finished / demo left out | {summary['started']} / {summary['finished']} / "
        f"{summary['demo_left_out']} |",
        f"| summary, median of {RUNS} runs | **{median * 1000:.0f} ms** (target < {TARGET_S * 1000:.0f} ms: "
        f"{verdict}) |",
        f"| of which the SQL read + pivot | {statistics.median(load_timings) * 1000:.0f} ms |",
        f"| fastest / slowest run | {min(timings) * 1000:.0f} / {max(timings) * 1000:.0f} ms |",
        f"| peak Python memory of one summary (tracemalloc) | {peak / 1e6:.1f} MB |",
        f"| filling the store (not part of a refresh) | {fill_s:.1f} s |",
        "",
        f"Machine: {os.cpu_count()} cores, {cpu}; Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}. Load average during the run: {load} (other jobs on "
        "the machine make single runs slower; the median smooths that out).",
        "",
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return 0 if median < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
