#!/usr/bin/env python
"""Training cost and NLU quality of the pipeline in config.yml (writes docs/bench/train.md).

1. Trains the whole model from scratch (`rasa train --force`, NLU + rules) and prints how long it took
   (target: at most 120 s on the 2-core machine with nothing else running).
2. Splits data/nlu once 80/20 (stratified by Rasa, fixed seed), trains the NLU of each compared config on the
   80 % and reports intent accuracy and macro-F1 on the 20 %, with the NLU training time.

Usage: .venv/bin/python scripts/bench_train.py [--compare REF_OR_FILE ...] [--skip-full] [--no-write]
`--compare` takes a git revision (its config.yml is used) or a config file; config.yml itself is always measured.
Heavy: run it under `flock /tmp/ks-heavy.lock`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "bench" / "train.md"
TARGET_S = 120.0
SEED = 7
ENV = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}


CPU_SECONDS: list[float] = []  # CPU time (user + system) of each rasa run, in the order of the runs


def rasa(*args: str, log: Path) -> float:
    """Run the rasa CLI of this venv (through bot/plugins/rasa_main.py); returns the wall-clock seconds
    (CPU seconds go to CPU_SECONDS)."""
    command = [sys.executable, "-m", "bot.plugins.rasa_main", *args]  # as make test and `make run` train
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    with log.open("ab") as handle:
        proc = subprocess.run(command, cwd=ROOT, env=ENV, stdout=handle, stderr=subprocess.STDOUT)
    if proc.returncode:
        raise SystemExit(f"bench-train: rasa {' '.join(args)} failed ({proc.returncode}); see {log}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU_SECONDS.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return time.monotonic() - start


def config_text(ref: str) -> str:
    path = Path(ref)
    if path.exists():
        return path.read_text(encoding="utf-8")
    return subprocess.run(
        ["git", "show", f"{ref}:config.yml"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout


def diet_summary(text: str) -> str:
    """DIET settings and featurizers of a config, in one line for the table."""
    pipeline = yaml.safe_load(text)["pipeline"]
    parts = []
    for step in pipeline:
        name = step["name"].rsplit(".", 1)[-1]
        if name == "DIETClassifier":
            keys = {k: v for k, v in step.items() if k not in ("name", "random_seed", "constrain_similarities")}
            parts.append("DIET " + ", ".join(f"{k}={v}" for k, v in keys.items()))
        elif name in ("LogisticRegressionClassifier", "CRFEntityExtractor", "SklearnIntentClassifier"):
            parts.append(name)
        elif name == "CountVectorsFeaturizer" and step.get("analyzer", "word") != "word":
            parts.append(f"char n-grams {step.get('min_ngram', 1)}-{step.get('max_ngram', 1)}")
    return "; ".join(parts)


def full_training(log: Path) -> float:
    """From scratch into models/, where `make run` and `make test` then find it up to date."""
    return rasa("train", "--force", "--domain", str(ROOT / "domain"), "--out", str(ROOT / "models"), log=log)


def split_eval(label: str, text: str, split: Path, work: Path, log: Path) -> dict:
    config = work / f"config-{label}.yml"
    config.write_text(text, encoding="utf-8")
    models = work / f"models-{label}"
    seconds = rasa(
        "train",
        "nlu",
        "--nlu",
        str(split / "training_data.yml"),
        "--config",
        str(config),
        "--out",
        str(models),
        "--fixed-model-name",
        label,
        log=log,
    )
    cpu = CPU_SECONDS[-1]
    results = work / f"results-{label}"
    rasa(
        "test",
        "nlu",
        "--nlu",
        str(split / "test_data.yml"),
        "--model",
        str(models / f"{label}.tar.gz"),
        "--out",
        str(results),
        "--no-plot",
        "--successes",
        log=log,
    )
    report = json.loads((results / "intent_report.json").read_text())
    predictions = []
    for name in ("intent_successes.json", "intent_errors.json"):
        if (results / name).exists():
            predictions += json.loads((results / name).read_text())
    # `rasa test nlu` undoes the FallbackClassifier before scoring; count how often it would have said "sorry".
    fallback = fallback_settings(text)
    low = [p for p in predictions if p["intent_prediction"]["confidence"] < fallback["threshold"]]
    return {
        "label": label,
        "summary": diet_summary(text),
        "train_s": seconds,
        "train_cpu_s": cpu,
        "accuracy": report["accuracy"],
        "macro_f1": report["macro avg"]["f1-score"],
        "support": report["macro avg"]["support"],
        "fallback": len(low) / max(1, len(predictions)),
        "fallback_threshold": fallback["threshold"],
    }


def fallback_settings(text: str) -> dict[str, float]:
    for step in yaml.safe_load(text)["pipeline"]:
        if step["name"] == "FallbackClassifier":
            return {"threshold": float(step.get("threshold", 0.3))}
    return {"threshold": 0.0}


def write(full_s: float | None, full_cpu: float | None, rows: list[dict], out: Path) -> None:
    lines = [
        "# Training time and NLU quality",
        "",
        "Generated by `scripts/bench_train.py` on the 2-core machine (run under `flock /tmp/ks-heavy.lock`, so no",
        "other heavy job shared the cores).",
        "",
        "| | |",
        "|---|---|",
        f"| date | {dt.datetime.now():%Y-%m-%d %H:%M} |",
        f"| machine | {os.cpu_count()} cores, Python {platform.python_version()} |",
    ]
    if full_s is not None:
        verdict = "meets" if full_s <= TARGET_S else "misses"
        lines.append(
            f"| **`rasa train --force` (NLU + rules, from scratch)** | **{full_s:.0f} s** wall clock ({verdict} the "
            f"{TARGET_S:.0f} s target), {full_cpu:.0f} s CPU time (user + system, both cores) |"
        )
    lines += [
        "",
        f"## NLU on one 80/20 split (`rasa data split nlu --random-seed {SEED}`)",
        "",
        "Each config is trained on the same 80 % and tested on the same 20 % (intent accuracy and macro-F1 over",
        "the intents; `nlu_fallback` counts as an error).",
        "",
        "| config | pipeline | NLU training, wall / CPU | intent accuracy | intent macro-F1 | below the fallback "
        "threshold | test examples |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['label']} | {row['summary']} | {row['train_s']:.0f} s / {row['train_cpu_s']:.0f} s | "
            f"{row['accuracy']:.3f} | "
            f"{row['macro_f1']:.3f} | {row['fallback']:.1%} (< {row['fallback_threshold']}) | {row['support']} |"
        )
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"bench-train: wrote {out.relative_to(ROOT)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", nargs="*", default=[], help="git revisions or config files to compare")
    parser.add_argument("--skip-full", action="store_true", help="skip the full training from scratch")
    parser.add_argument("--skip-split", action="store_true", help="skip the 80/20 NLU comparison")
    parser.add_argument("--only-compare", action="store_true", help="measure only the --compare configs")
    parser.add_argument("--no-write", action="store_true", help="print only, do not write docs/bench/train.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ks-train-") as tmp:
        work = Path(tmp)
        log = work / "rasa.log"
        full_s = full_cpu = None
        if not args.skip_full:
            full_s = full_training(log)
            full_cpu = CPU_SECONDS[-1]
            print(
                f"bench-train: rasa train from scratch took {full_s:.1f} s, {full_cpu:.0f} CPU s "
                f"(target {TARGET_S:.0f} s)",
                flush=True,
            )
        rows = []
        if not args.skip_split:
            split = work / "split"
            rasa(
                "data",
                "split",
                "nlu",
                "--nlu",
                "data/nlu",
                "--training-fraction",
                "0.8",
                "--random-seed",
                str(SEED),
                "--out",
                str(split),
                log=log,
            )
            for ref in args.compare:
                label = Path(ref).stem if Path(ref).exists() else ref
                rows.append(split_eval(label, config_text(ref), split, work, log))
                print(f"bench-train: {rows[-1]}", flush=True)
            if not args.only_compare:
                current = (ROOT / "config.yml").read_text(encoding="utf-8")
                rows.append(split_eval("current", current, split, work, log))
                print(f"bench-train: {rows[-1]}", flush=True)
        if not args.no_write:
            write(full_s, full_cpu, rows, OUT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
