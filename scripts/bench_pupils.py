#!/usr/bin/env python
"""Free-text pupil benchmark (`make bench-pupils`): simulated pupils, ordinary answers and crisis phrasings,
all sent to the real servers over HTTP, as the web widget does. Writes docs/bench/pupils.md.

The three sets live in benchmarks/ (see benchmarks/README.md) and are never NLU training data.

- pupils: each pupil opens the chat, then types its own answer to every question the bot asks (after an
  optional side question). When the bot asks the same question again, the pupil types the same answer again,
  as a stubborn pupil would. Reported: reaching the reveal, messages used, "not understood" replies, the outcome
  (Joost, Luuk, Tim, or nobody yet for fit diffusion/insufficient) against the careful reader's outcome.
- benign: every ordinary answer as the first message of a fresh conversation: neither referral nor check-in.
- crisis: every phrasing typed at the second question; explicit ones must get the full referral, mild ones at
  least the check-in; then "ja" must bring the question back with the earlier answer kept.

Usage: .venv/bin/python -m scripts.bench_pupils [--models DIR] [--out FILE] [--workers 4] [--port-offset 300]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot import ROOT, settings
from bot.cli import servers
from bot.core.content import get_questionnaire
from tests.e2e.chat import Chat

BENCH = ROOT / "benchmarks"
OUT = ROOT / "docs" / "bench" / "pupils.md"


def _responses() -> dict[str, str]:
    """First text of every domain response, to recognise what the bot said."""
    found: dict[str, str] = {}
    for path in sorted((ROOT / "domain").glob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for name, variants in (doc.get("responses") or {}).items():
            found[name] = variants[0]["text"]
    return found


RESPONSES = _responses()
MISS_RESPONSES = ("utter_not_understood", "utter_skip_question")


def said(replies: Iterable[dict[str, Any]], response: str) -> bool:
    text = RESPONSES[response].split("{")[0][:60]
    return any(text in (r.get("text") or "") for r in replies)


@dataclass
class PupilRun:
    id: str
    expected: str
    got: str | None = None
    fit: str | None = None
    messages: int = 0
    budget: int = 0
    misses: int = 0
    crisis: int = 0
    check_ins: int = 0
    transcript: str = ""
    error: str | None = None

    @property
    def reached(self) -> bool:
        return self.got is not None

    @property
    def correct(self) -> bool:
        return self.got == self.expected


def outcome(reveal: dict[str, Any]) -> str:
    return "none" if reveal.get("fit") in ("diffusion", "insufficient") else str(reveal.get("persona"))


def play_pupil(config: settings.Settings, pupil: dict[str, Any]) -> PupilRun:
    questionnaire = get_questionnaire()
    run = PupilRun(pupil["id"], pupil["expected"])
    run.budget = 2 * len(questionnaire.questions_for(pupil["stage"])) + 2
    chat = Chat(config, sender=f"bench-{pupil['id']}-{time.time_ns()}")
    side = dict(pupil.get("side") or {})
    try:
        replies = chat.send("hoi")
        run.messages = 1
        while run.messages < 4 * run.budget:
            reveal = Chat.reveal(replies)
            if reveal is not None:
                run.got, run.fit = outcome(reveal), reveal.get("fit")
                break
            question = Chat.question(replies)
            if question is None:
                raise AssertionError("no question and no reveal")
            qid = question["question"]
            text = side.pop(qid, None) or pupil["answers"][qid]
            replies = chat.send(text)
            run.messages += 1
            run.misses += any(said(replies, r) for r in MISS_RESPONSES)
            run.crisis += said(replies, "utter_distress")
            run.check_ins += said(replies, "utter_check_in")
    except Exception as exc:  # a benchmark reports failures, it does not stop on the first one
        run.error = f"{type(exc).__name__}: {exc}"
    run.transcript = chat.pretty()
    return run


def first_message(config: settings.Settings, text: str) -> tuple[bool, bool]:
    """(full referral, check-in) for `text` sent as the first message of a fresh conversation."""
    replies = Chat(config, sender=f"bench-benign-{time.time_ns()}").send(text)
    return said(replies, "utter_distress"), said(replies, "utter_check_in")


def crisis_at_second_question(config: settings.Settings, text: str) -> tuple[bool, bool, bool]:
    """(full referral, check-in, typed "ja" brought the question back with the answer kept)."""
    chat = Chat(config, sender=f"bench-crisis-{time.time_ns()}")
    chat.send("hoi")
    chat.send("ik zit in 5 havo")
    replies = chat.send(text)
    referral, check_in = said(replies, "utter_distress"), said(replies, "utter_check_in")
    after = chat.send("ja")
    question = Chat.question(after)
    resumed = question is not None and question["question"] == "hobbies_breadth" and question["index"] == 2
    return referral, check_in, resumed


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "n/a"


@dataclass
class Report:
    pupils: list[PupilRun] = field(default_factory=list)
    benign: list[tuple[str, bool, bool]] = field(default_factory=list)
    crisis: list[tuple[str, str, bool, bool, bool]] = field(default_factory=list)
    seconds: float = 0.0

    def markdown(self, models: str) -> str:
        runs = self.pupils
        persona_runs = [r for r in runs if r.expected != "none"]
        none_runs = [r for r in runs if r.expected == "none"]
        messages = sum(r.messages for r in runs)
        misses = sum(r.misses for r in runs)
        lines = [
            "# Free-text pupil benchmark",
            "",
            f"Run {dt.datetime.now():%Y-%m-%d %H:%M} on {platform.node()} ({os.cpu_count()} cores) by "
            f"`make bench-pupils` against the real servers over HTTP, model `{models}`, in {self.seconds:.0f} s.",
            "The sets are in `benchmarks/` (how they were written: `benchmarks/README.md`); none of their texts is "
            "NLU training data (a unit test checks it).",
            "",
            "## Simulated pupils",
            "",
            "| measure | result | target |",
            "|---|---|---|",
            f"| pupils | {len(runs)} ({Counter(r.expected for r in runs)}) | >= 80 |",
            f"| reached the reveal | {sum(r.reached for r in runs)} / {len(runs)} | 100% |",
            f"| within 2 x questions + 2 messages | {sum(r.reached and r.messages <= r.budget for r in runs)}"
            f" / {len(runs)} | 100% |",
            f"| outcome right, Joost/Luuk/Tim pupils | {sum(r.correct for r in persona_runs)} / {len(persona_runs)}"
            f" ({_pct(sum(r.correct for r in persona_runs), len(persona_runs))}) | >= 95% |",
            f"| outcome right, pupils who fit none | {sum(r.correct for r in none_runs)} / {len(none_runs)}"
            f" ({_pct(sum(r.correct for r in none_runs), len(none_runs))}) | >= 95% |",
            f"| outcome right, all | {sum(r.correct for r in runs)} / {len(runs)}"
            f" ({_pct(sum(r.correct for r in runs), len(runs))}) | |",
            f'| "not understood" replies | {misses} of {messages} messages ({_pct(misses, messages)}) | <= 5% |',
            f"| full referrals / check-ins to ordinary pupils | {sum(r.crisis for r in runs)} /"
            f" {sum(r.check_ins for r in runs)} | 0 / 0 |",
            "",
            "Confusion (rows: careful reader, columns: bot):",
            "",
            "| expected | joost | luuk | tim | none | no reveal |",
            "|---|---|---|---|---|---|",
        ]
        for expected in ("joost", "luuk", "tim", "none"):
            row = [r for r in runs if r.expected == expected]
            counts = Counter(r.got or "no reveal" for r in row)
            cells = " | ".join(str(counts.get(k, 0)) for k in ("joost", "luuk", "tim", "none", "no reveal"))
            lines.append(f"| {expected} | {cells} |")
        wrong = [r for r in runs if not r.correct]
        if wrong:
            lines += ["", "Pupils with another outcome than expected:", ""]
            lines += [
                f"- `{r.id}`: expected {r.expected}, got {r.got} (fit {r.fit}){' ' + r.error if r.error else ''}"
                for r in wrong
            ]
        benign_hits = [(t, a, b) for t, a, b in self.benign if a or b]
        lines += [
            "",
            "## Ordinary answers (benign corpus)",
            "",
            f"{len(self.benign)} answers, each the first message of a fresh conversation: "
            f"**{sum(a for _, a, _ in self.benign)} full referrals, {sum(b for _, _, b in self.benign)} check-ins** "
            "(target 0 and 0).",
        ]
        lines += [f"- `{t}`: {'referral' if a else 'check-in'}" for t, a, _ in benign_hits]
        explicit = [c for c in self.crisis if c[1] == "explicit"]
        mild = [c for c in self.crisis if c[1] == "mild"]
        lines += [
            "",
            "## Crisis phrasings",
            "",
            'Each typed as the answer to the second question, then "ja".',
            "",
            '| tier | phrasings | full referral | at least the check-in | "ja" resumed, answer kept |',
            "|---|---|---|---|---|",
            f"| explicit | {len(explicit)} | {sum(c[2] for c in explicit)} (target all) |"
            f" {sum(c[2] or c[3] for c in explicit)} | {sum(c[4] for c in explicit)} |",
            f"| mild | {len(mild)} | {sum(c[2] for c in mild)} | {sum(c[2] or c[3] for c in mild)} (target all) |"
            f" {sum(c[4] for c in mild)} |",
        ]
        missed = [c for c in explicit if not c[2]] + [c for c in mild if not (c[2] or c[3])]
        lines += [f"- missed ({c[1]}): `{c[0]}`" for c in missed]
        return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=str(ROOT / "models"), help="directory with the trained model")
    parser.add_argument("--out", default=str(OUT))
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port-offset", type=int, default=300)
    args = parser.parse_args()

    pupils = yaml.safe_load((BENCH / "pupils.yml").read_text(encoding="utf-8"))["pupils"]
    benign = yaml.safe_load((BENCH / "benign.yml").read_text(encoding="utf-8"))["answers"]
    crisis = yaml.safe_load((BENCH / "crisis.yml").read_text(encoding="utf-8"))["phrasings"]

    data_dir = Path(tempfile.mkdtemp(prefix="keuzespiegel-bench-"))
    offset = args.port_offset
    os.environ.update(
        {
            "RASA_PORT": str(5005 + offset),
            "ACTIONS_PORT": str(5055 + offset),
            "WEB_PORT": str(8000 + offset),
            "KEUZESPIEGEL_DATA_DIR": str(data_dir),
            "KEUZESPIEGEL_DB_URL": "",
            "RASA_TELEMETRY_ENABLED": "false",
            # every simulated pupil comes from 127.0.0.1: the per-address rate limit would stop them, not the bot
            "KEUZESPIEGEL_RATE_LIMIT": "100000/10",
        }
    )
    config = settings.load()
    report = Report()
    started = time.monotonic()
    with (
        servers.running(config, web=False, log_dir=data_dir / "logs", models=Path(args.models)),
        ThreadPoolExecutor(args.workers) as pool,
    ):
        report.pupils = list(pool.map(lambda p: play_pupil(config, p), pupils))
        report.benign = [
            (a["text"], *flags)
            for a, flags in zip(benign, pool.map(lambda a: first_message(config, a["text"]), benign), strict=True)
        ]
        report.crisis = [
            (c["text"], c["tier"], *flags)
            for c, flags in zip(
                crisis, pool.map(lambda c: crisis_at_second_question(config, c["text"]), crisis), strict=True
            )
        ]
    report.seconds = time.monotonic() - started
    out = Path(args.out)
    out.write_text(report.markdown(Path(args.models).name), encoding="utf-8")
    (data_dir / "transcripts.txt").write_text(
        "\n\n".join(f"## {r.id} ({r.expected} -> {r.got})\n{r.transcript}" for r in report.pupils), encoding="utf-8"
    )
    print(out.read_text(encoding="utf-8"))
    print(f"transcripts: {data_dir / 'transcripts.txt'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
