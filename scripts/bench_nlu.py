#!/usr/bin/env python
"""NLU benchmark: 5-fold cross-validation of the intent classifier on data/nlu.

Runs

    rasa test nlu --nlu data/nlu --config config.yml --cross-validation --folds 5 --out results/nlu_cv

(with RASA_TELEMETRY_ENABLED=false), reads results/nlu_cv/intent_report.json and writes
docs/bench/nlu.md: date, folds, number of examples and intents, macro-F1 / weighted-F1 /
accuracy, a per-intent table, the most confused intent pairs and the entity scores.
Exits with status 1 when the intent macro-F1 is below the threshold (default 0.90).

Usage: .venv/bin/python scripts/bench_nlu.py [--folds 5] [--threshold 0.90] [--skip-run]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SUMMARY_KEYS = {"accuracy", "macro avg", "weighted avg", "micro avg"}


def count_examples(nlu_dir: Path) -> tuple[Counter, dict[str, set[str]]]:
    """Examples per intent and entity values found in the NLU YAML files."""
    per_intent: Counter = Counter()
    entities: dict[str, set[str]] = {}
    for path in sorted(nlu_dir.glob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in doc.get("nlu", []) or []:
            if "intent" not in block:
                continue
            for line in str(block.get("examples", "")).splitlines():
                line = line.strip()
                if not line.startswith("- "):
                    continue
                per_intent[block["intent"]] += 1
                for m in re.finditer(r"\[([^\]]+)\](?:\((\w+)\)|\{([^}]*)\})", line):
                    if m.group(2):
                        entities.setdefault(m.group(2), set()).add(m.group(1).lower())
                    else:
                        spec = json.loads("{" + m.group(3) + "}")
                        entities.setdefault(spec["entity"], set()).add(str(spec.get("value", m.group(1))))
    return per_intent, entities


def run_cv(folds: int, out: Path, config: Path, nlu: Path) -> float:
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    rasa = Path(sys.executable).with_name("rasa")
    cmd = [
        str(rasa) if rasa.exists() else "rasa",
        "test",
        "nlu",
        "--nlu",
        str(nlu.relative_to(ROOT)),
        "--config",
        str(config.relative_to(ROOT)),
        "--cross-validation",
        "--folds",
        str(folds),
        "--out",
        str(out.relative_to(ROOT)),
    ]
    print("bench-nlu:", " ".join(cmd), flush=True)
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=ROOT, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"bench-nlu: rasa test nlu failed with exit code {proc.returncode}")
    return time.monotonic() - start


def confused_pairs(report: dict, limit: int = 12) -> list[tuple[str, str, int]]:
    pairs = []
    for intent, row in report.items():
        if intent in SUMMARY_KEYS or not isinstance(row, dict):
            continue
        for other, n in (row.get("confused_with") or {}).items():
            pairs.append((intent, other, int(n)))
    pairs.sort(key=lambda p: (-p[2], p[0], p[1]))
    return pairs[:limit]


def error_examples(out: Path, limit: int = 25) -> list[dict]:
    path = out / "intent_errors.json"
    if not path.exists():
        return []
    errors = json.loads(path.read_text(encoding="utf-8"))
    errors.sort(key=lambda e: -float((e.get("intent_prediction") or {}).get("confidence") or 0))
    return errors[:limit]


def entity_scores(out: Path) -> dict | None:
    path = out / "DIETClassifier_report.json"
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def previous_history(target: Path) -> list[str]:
    """History rows of an earlier report, plus a row for the earlier report itself."""
    if not target.exists():
        return []
    old = target.read_text(encoding="utf-8")
    rows: list[str] = []
    if "## History" in old:
        section = old.split("## History", 1)[1]
        rows = [ln for ln in section.splitlines() if ln.startswith("| 20")]
    date = re.search(r"\| date \| ([^|]+) \|", old)
    macro = re.search(r"\| \*\*intent macro-F1\*\* \| \*\*([0-9.]+)\*\*", old)
    acc = re.search(r"\| intent accuracy \| ([0-9.]+) \|", old)
    n = re.search(r"\| examples \| (\d+) \|", old)
    if date and macro:
        row = (
            f"| {date.group(1).strip()} | {n.group(1) if n else ''} | {macro.group(1)} | "
            f"{acc.group(1) if acc else ''} |"
        )
        if row not in rows:
            rows.append(row)
    return rows[-20:]


def fmt(x: float) -> str:
    return f"{x:.3f}"


def write_markdown(
    target: Path,
    report: dict,
    folds: int,
    per_intent: Counter,
    entities: dict[str, set[str]],
    out: Path,
    seconds: float | None,
    threshold: float,
) -> tuple[float, float, float]:
    macro = report["macro avg"]["f1-score"]
    weighted = report["weighted avg"]["f1-score"]
    accuracy = report.get("accuracy")
    if isinstance(accuracy, dict):  # older report layouts
        accuracy = accuracy.get("f1-score", 0.0)
    accuracy = float(accuracy or 0.0)
    intents = sorted(k for k in report if k not in SUMMARY_KEYS and isinstance(report[k], dict))
    history = previous_history(target)

    lines = [
        "# NLU benchmark",
        "",
        "Generated by `scripts/bench_nlu.py` (`make bench-nlu`): stratified "
        f"{folds}-fold cross-validation of the full NLU pipeline in `config.yml` "
        "(Rasa undoes `nlu_fallback` from the FallbackClassifier before scoring; `nlu_fallback` set by other "
        "components, such as the unknown-words classifier, counts as an error) "
        "on the training data in `data/nlu/`.",
        "",
        "| | |",
        "|---|---|",
        f"| date | {dt.datetime.now().strftime('%Y-%m-%d %H:%M')} |",
        f"| folds | {folds} |",
        f"| examples | {sum(per_intent.values())} |",
        f"| intents | {len(per_intent)} |",
        f"| **intent macro-F1** | **{fmt(macro)}** (threshold {threshold:.2f}) |",
        f"| intent weighted-F1 | {fmt(weighted)} |",
        f"| intent accuracy | {fmt(accuracy)} |",
    ]
    if seconds is not None:
        lines.append(f"| run time | {seconds / 60:.1f} min |")
    lines += [
        "",
        "## Per intent",
        "",
        "| intent | examples | precision | recall | F1 | support |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for intent in sorted(intents, key=lambda i: report[i]["f1-score"]):
        row = report[intent]
        lines.append(
            f"| {intent} | {per_intent.get(intent, 0)} | {fmt(row['precision'])} | {fmt(row['recall'])} | "
            f"{fmt(row['f1-score'])} | {row['support']} |"
        )
    pairs = confused_pairs(report)
    lines += ["", "## Most confused pairs", "", "| true intent | predicted as | count |", "|---|---|---:|"]
    lines += [f"| {a} | {b} | {n} |" for a, b, n in pairs] or ["| - | - | 0 |"]

    ents = entity_scores(out)
    if ents:
        lines += [
            "",
            "## Entities (DIETClassifier)",
            "",
            "| entity | precision | recall | F1 | support |",
            "|---|---:|---:|---:|---:|",
        ]
        for name, row in ents.items():
            if isinstance(row, dict) and "f1-score" in row and name not in {"no_entity"}:
                lines.append(
                    f"| {name} | {fmt(row['precision'])} | {fmt(row['recall'])} | "
                    f"{fmt(row['f1-score'])} | {row.get('support', '')} |"
                )
    if entities:
        lines += [
            "",
            "Entity values in the training data: "
            + "; ".join(f"`{k}`: {', '.join(sorted(v))}" for k, v in sorted(entities.items())),
        ]

    errors = error_examples(out)
    if errors:
        lines += ["", "## Most confident errors", "", "| text | true | predicted | confidence |", "|---|---|---|---:|"]
        for e in errors:
            pred = e.get("intent_prediction") or {}
            text = str(e.get("text", "")).replace("|", "\\|")
            lines.append(
                f"| {text} | {e.get('intent')} | {pred.get('name')} | {float(pred.get('confidence') or 0):.2f} |"
            )
    if history:
        lines += [
            "",
            "## History",
            "",
            "Earlier runs (newest last):",
            "",
            "| date | examples | macro-F1 | accuracy |",
            "|---|---:|---:|---:|",
            *history,
        ]
    lines.append("")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(lines), encoding="utf-8")
    return macro, weighted, accuracy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--threshold", type=float, default=0.90)
    parser.add_argument("--nlu", default="data/nlu")
    parser.add_argument("--config", default="config.yml")
    parser.add_argument("--out", default="results/nlu_cv")
    parser.add_argument("--doc", default="docs/bench/nlu.md")
    parser.add_argument("--skip-run", action="store_true", help="only rewrite the report from an earlier run")
    args = parser.parse_args(argv)

    nlu, config, out, doc = (ROOT / args.nlu, ROOT / args.config, ROOT / args.out, ROOT / args.doc)
    seconds = None if args.skip_run else run_cv(args.folds, out, config, nlu)
    report_path = out / "intent_report.json"
    if not report_path.exists():
        print(f"bench-nlu: {report_path} not found", file=sys.stderr)
        return 2
    report = json.loads(report_path.read_text(encoding="utf-8"))
    per_intent, entities = count_examples(nlu)
    macro, weighted, accuracy = write_markdown(
        doc, report, args.folds, per_intent, entities, out, seconds, args.threshold
    )
    print(
        f"bench-nlu: macro-F1 {macro:.3f}, weighted-F1 {weighted:.3f}, accuracy {accuracy:.3f} "
        f"-> {os.path.relpath(doc, ROOT)}"
    )
    if macro < args.threshold:
        print(f"bench-nlu: FAIL macro-F1 {macro:.3f} < {args.threshold:.2f}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
