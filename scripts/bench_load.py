#!/usr/bin/env python
"""Load benchmark with locust (`make bench-load`): writes docs/bench/load.md and docs/bench/load.json.

In one run, on this machine, against the same simulated pupils (benchmarks/load/locustfile.py):

- moodbot: Rasa's starter bot (`rasa init --no-prompt`, trained by the benchmark), `rasa run`;
- Keuzespiegel as `make run` starts it (one action server, one Rasa server, SQLite, the web server);
- the cluster of `make run-cluster` with one and with two Rasa servers (as many action servers; PostgreSQL,
  Redis lock store, nginx, the web server).

Scenarios per target: one user back to back, 30 users back to back (the most one setup can do), and 30, 100 and
300 pupils with 3-8 s think time; the cluster also the pupil counts of CAPACITY_STEPS, to find its capacity at
p95 <= 1 s with one and with two Rasa servers. Reported: p50/p95/p99 per message, errors, messages per second, and CPU
(share of one core, averaged over the scenario) and peak memory per process, including locust itself.

Usage: .venv/bin/python scripts/bench_load.py [--quick] [--fresh-moodbot] [--targets ...] [--no-write]
                                              [--only NAME ...] [--render]
Heavy and long (about 40 minutes): run it under `flock /tmp/ks-heavy.lock`.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import dataclasses
import datetime as dt
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
from bench_moodbot import ENV, ROOT, ensure_moodbot, first_answer, start_moodbot

# All simulated pupils come from one address (127.0.0.1, or nginx in the cluster): the per-address rate limit of
# the REST channel (KEUZESPIEGEL_RATE_LIMIT) would refuse them as one client. Real classes come from many phones.
os.environ["KEUZESPIEGEL_RATE_LIMIT"] = "off"

from bot import settings
from bot.cli import cluster as cluster_cli
from bot.cli import servers

OUT_MD = ROOT / "docs" / "bench" / "load.md"
OUT_JSON = ROOT / "docs" / "bench" / "load.json"
READING = "## Reading (written by hand"
LOCUSTFILE = ROOT / "benchmarks" / "load" / "locustfile.py"
TARGETS = ("moodbot", "make run", "cluster, 1 Rasa", "cluster, 2 Rasa")


@dataclasses.dataclass(frozen=True)
class Scenario:
    name: str
    users: int
    think: str  # "0" back to back, "3,8" pupils
    seconds: int  # measured time, after all users have started


# The pupil counts every setup gets, and the extra steps the cluster gets so that its capacity at p95 <= 1 s
# (the most messages a second it answers with p95 at most 1 s and no errors) can be read off with one and with
# two Rasa servers. The steps are about 15 % apart near where each setup's p95 passes 1 s (one Rasa server
# near 100 pupils, two near 175), so neither capacity is read off a coarse step.
PUPILS = (30, 100, 300)
CAPACITY_STEPS = (70, 85, 115, 125, 150, 175, 200)
CAPACITY_P95_MS = 1000.0


def scenarios(quick: bool, seconds: int = 60, capacity: bool = False, only: list[str] | None = None) -> list[Scenario]:
    """`seconds` is the measured time of each pupil scenario; the back-to-back ones take half of it.
    `capacity` adds the cluster's extra pupil counts. `only`: just the scenarios with these names, e.g.
    "100 pupils" (a quick look at one load while working on it; not the committed benchmark)."""
    if quick:
        return [Scenario("1 user, back to back", 1, "0", 10), Scenario("30 pupils", 30, "3,8", 15)]
    short = max(15, seconds // 2)
    counts = sorted({*PUPILS, *(CAPACITY_STEPS if capacity else ()), *_pupil_counts(only or [])})
    every = [
        Scenario("1 user, back to back", 1, "0", short),
        Scenario("30 users, back to back", 30, "0", short),
        *(Scenario(f"{n} pupils", n, "3,8", seconds) for n in counts),
    ]
    return [s for s in every if s.name in only] if only else every


def _pupil_counts(names: list[str]) -> list[int]:
    return [int(name.split()[0]) for name in names if name.endswith(" pupils") and name.split()[0].isdigit()]


def capacity(results: list[dict], target: str) -> dict | None:
    """The pupil scenario of `target` with the most messages a second at p95 <= 1 s and no errors."""
    within = [
        r
        for r in results
        if r["target"] == target
        and r["think"] != "0"
        and r["errors"] == 0
        and r["p95_ms"] is not None
        and r["p95_ms"] <= CAPACITY_P95_MS
    ]
    return max(within, key=lambda r: r["msgs_per_s"], default=None)


@dataclasses.dataclass
class Target:
    name: str
    bot: str  # BENCH_BOT for the locustfile
    url: str
    procs: dict[str, subprocess.Popen]
    rasa_processes: int


# --- starting the four setups -------------------------------------------------------------------------------


@contextlib.contextmanager
def moodbot_target(logs: Path) -> Iterator[Target]:
    port = 5605
    proc = start_moodbot(port, logs / "moodbot.log")
    try:
        first_answer(f"http://localhost:{port}", "hello", 600, proc)
        yield Target("moodbot", "moodbot", f"http://127.0.0.1:{port}", {"rasa": proc}, 1)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=60)


def _config(data_dir: Path, rasa: int, actions: int, web: int) -> settings.Settings:
    return dataclasses.replace(
        settings.load(),
        rasa_port=rasa,
        actions_port=actions,
        web_port=web,
        host="localhost",
        db_url=f"sqlite:///{data_dir / 'keuzespiegel.db'}",
        data_dir=data_dir,
        cors_origins=(f"http://localhost:{web}",),
    )


@contextlib.contextmanager
def make_run_target(data_dir: Path) -> Iterator[Target]:
    config = _config(data_dir, 5805, 5855, 8805)
    with servers.running(config, web=True, log_dir=data_dir / "logs") as stack:
        yield Target("make run", "keuzespiegel", f"http://127.0.0.1:{config.rasa_port}", dict(stack.procs), 1)


@contextlib.contextmanager
def cluster_target(data_dir: Path, rasa_servers: int) -> Iterator[Target]:
    config = _config(data_dir, 5905, 5955, 8905)
    shape = settings.ClusterSettings(rasa_servers, rasa_servers, 5910, 5960, 5450, 6399)
    data_dir.chmod(0o755)  # PostgreSQL runs as the postgres user when this runs as root
    with cluster_cli.running_cluster(config, shape, data_dir / "cluster") as stack:
        name = f"cluster, {rasa_servers} Rasa"
        yield Target(name, "keuzespiegel", f"http://127.0.0.1:{config.rasa_port}", dict(stack.procs), rasa_servers)


# --- measuring ----------------------------------------------------------------------------------------------


def _tree(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _cpu_seconds(proc: psutil.Process) -> float:
    total = 0.0
    for member in _tree(proc):
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            times = member.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
    return total


def _rss(proc: psutil.Process) -> int:
    total = 0
    for member in _tree(proc):
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += member.memory_info().rss
    return total


class Sampler:
    """CPU seconds (start to end) and peak resident memory of each process tree during a scenario."""

    def __init__(self, procs: dict[str, int]) -> None:
        self.procs = {name: psutil.Process(pid) for name, pid in procs.items()}
        self.peak = dict.fromkeys(self.procs, 0)
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stop_event.wait(1.0):
            for name, proc in self.procs.items():
                self.peak[name] = max(self.peak[name], _rss(proc))
                if proc.is_running():
                    self.last_cpu[name] = _cpu_seconds(proc)  # for a process (locust) that is gone at the end

    def start(self) -> None:
        self.cpu0 = {name: _cpu_seconds(proc) for name, proc in self.procs.items()}
        self.last_cpu = dict(self.cpu0)
        self.t0 = time.monotonic()
        self.thread.start()

    def stop(self) -> dict[str, dict[str, float]]:
        wall = time.monotonic() - self.t0
        self.stop_event.set()
        self.thread.join()
        result = {}
        for name, proc in self.procs.items():
            now = _cpu_seconds(proc) if proc.is_running() else self.last_cpu[name]
            cpu = (max(now, self.last_cpu[name]) - self.cpu0[name]) / wall
            result[name] = {"cpu": round(cpu, 3), "rss_mb": round(max(self.peak[name], _rss(proc)) / 2**20)}
        return result


def run_locust(target: Target, scenario: Scenario, work: Path, record: bool = True) -> dict[str, Any]:
    prefix = work / f"{target.name}-{scenario.name}".replace(" ", "_").replace(",", "")
    spawn_rate = max(1, scenario.users // 10)
    ramp = scenario.users / spawn_rate
    cmd = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
        "-u", str(scenario.users), "-r", str(spawn_rate), "-t", f"{int(ramp + scenario.seconds)}s",
        "--host", target.url, "--csv", str(prefix), "--reset-stats", "--only-summary", "--stop-timeout", "90",
        "--loglevel", "WARNING",
    ]  # fmt: skip
    env = {**ENV, "BENCH_BOT": target.bot, "BENCH_THINK": scenario.think}
    with (work / "locust.log").open("ab") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        time.sleep(ramp)  # measure CPU after all users have started, like locust's --reset-stats
        sampler = Sampler({**{n: p.pid for n, p in target.procs.items()}, "locust": proc.pid})
        sampler.start()
        proc.wait(timeout=ramp + scenario.seconds + 300)
        usage = sampler.stop()
    if not record:
        return {}
    rows = list(csv.DictReader((prefix.parent / f"{prefix.name}_stats.csv").open()))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    # Reply times and throughput: the messages the bot took on. "Busy" answers (429, sent again by the pupil's
    # widget after Retry-After) are a row of their own and are counted, not mixed into the reply times.
    answered = next((r for r in rows if r["Name"] == "/webhooks/rest/webhook"), total)
    busy = next((r for r in rows if r["Name"].startswith("busy")), None)
    count = int(answered["Request Count"])
    failures_csv = prefix.parent / f"{prefix.name}_failures.csv"
    why: dict[str, int] = {}
    if failures_csv.exists():
        for row in csv.DictReader(failures_csv.open()):
            why[row["Error"][:80]] = why.get(row["Error"][:80], 0) + int(row["Occurrences"])
    return {
        "target": target.name,
        "scenario": scenario.name,
        "users": scenario.users,
        "think": scenario.think,
        "messages": count,
        "errors": int(total["Failure Count"]),
        "busy": int(busy["Request Count"]) if busy else 0,
        "error_kinds": why,
        "msgs_per_s": round(float(answered["Requests/s"]), 2),
        "p50_ms": float(answered["50%"]) if count else None,
        "p95_ms": float(answered["95%"]) if count else None,
        "p99_ms": float(answered["99%"]) if count else None,
        "processes": usage,
        "rasa_processes": target.rasa_processes,
    }


# --- the report -----------------------------------------------------------------------------------------------


def _fmt_ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _usage(processes: dict[str, dict[str, float]]) -> str:
    return ", ".join(f"{name} {u['cpu'] * 100:.0f}% / {u['rss_mb']:,} MB" for name, u in processes.items())


def _find(results: list[dict], target: str, scenario: str) -> dict | None:
    return next((r for r in results if r["target"] == target and r["scenario"] == scenario), None)


def checks(results: list[dict]) -> list[str]:
    lines = []

    def line(ok: bool | None, text: str) -> None:
        mark = "n/a" if ok is None else ("yes" if ok else "**no**")
        lines.append(f"| {text} | {mark} |")

    mood1, ks1 = _find(results, "moodbot", "1 user, back to back"), _find(results, "make run", "1 user, back to back")
    if mood1 and ks1:
        line(
            ks1["p50_ms"] <= 2 * mood1["p50_ms"] and ks1["p95_ms"] <= 2 * mood1["p95_ms"],
            f"one user: p50 / p95 at most 2x moodbot's ({_fmt_ms(ks1['p50_ms'])} / {_fmt_ms(ks1['p95_ms'])} ms vs "
            f"{_fmt_ms(mood1['p50_ms'])} / {_fmt_ms(mood1['p95_ms'])} ms)",
        )
    mood30, ks30 = (
        _find(results, "moodbot", "30 users, back to back"),
        _find(results, "make run", "30 users, back to back"),
    )
    if mood30 and ks30:
        line(
            ks30["msgs_per_s"] >= 0.5 * mood30["msgs_per_s"],
            f"throughput per Rasa process at least half of moodbot's ({ks30['msgs_per_s']:.1f} vs "
            f"{mood30['msgs_per_s']:.1f} msgs/s)",
        )
    class30 = _find(results, "make run", "30 pupils")
    if class30:
        line(
            class30["p95_ms"] <= 300,
            f"a class of 30 on `make run`: p95 at most 300 ms ({_fmt_ms(class30['p95_ms'])} ms)",
        )
    cap1, cap2 = capacity(results, "cluster, 1 Rasa"), capacity(results, "cluster, 2 Rasa")
    if cap1 and cap2:
        factor = cap2["msgs_per_s"] / cap1["msgs_per_s"]
        line(
            factor >= 1.6,
            "capacity at p95 at most 1 s (the most messages a second answered with p95 at most 1 s and no errors): "
            f"two Rasa servers at least 1.6x one ({factor:.2f}x: {cap2['msgs_per_s']:.1f} msgs/s at "
            f"{cap2['scenario']}, p95 {_fmt_ms(cap2['p95_ms'])} ms, against {cap1['msgs_per_s']:.1f} msgs/s at "
            f"{cap1['scenario']}, p95 {_fmt_ms(cap1['p95_ms'])} ms)",
        )
    for scenario in ("30 users, back to back", "300 pupils"):
        one, two = _find(results, "cluster, 1 Rasa", scenario), _find(results, "cluster, 2 Rasa", scenario)
        if one and two and one["msgs_per_s"]:
            factor = two["msgs_per_s"] / one["msgs_per_s"]
            line(
                factor >= 1.6 and two["p95_ms"] <= 1000,
                f"{scenario}: two Rasa servers give at least 1.6x the throughput of one at p95 at most 1 s "
                f"({factor:.2f}x, p95 {_fmt_ms(two['p95_ms'])} ms)",
            )
    ours = [r for r in results if r["target"] != "moodbot"]  # moodbot is the reference, not held to the target
    errors, reference = sum(r["errors"] for r in ours), sum(r["errors"] for r in results if r["target"] == "moodbot")
    line(
        errors == 0,
        f"0 errors ({errors} in {sum(r['messages'] for r in ours):,} messages of Keuzespiegel; moodbot {reference})",
    )
    mood_mem = max((r["processes"]["rasa"]["rss_mb"] for r in results if r["target"] == "moodbot"), default=None)
    ks_mem = max(
        (u["rss_mb"] for r in results if r["target"] != "moodbot" for n, u in r["processes"].items() if "rasa" in n),
        default=None,
    )
    if mood_mem and ks_mem:
        line(ks_mem <= 1.3 * mood_mem, f"Rasa's memory at most 1.3x moodbot's ({ks_mem:,} vs {mood_mem:,} MB peak)")
    return lines


def write(results: list[dict], meta: dict[str, Any]) -> None:
    OUT_JSON.write_text(json.dumps({"meta": meta, "results": results}, indent=1) + "\n", encoding="utf-8")
    lines = [
        "# Load benchmark",
        "",
        "Generated by `scripts/bench_load.py` (`make bench-load`) with locust "
        f"{meta['locust']}, all on this {meta['cores']}-core machine (locust included) in one run",
        f"({meta['date']}, {meta['minutes']:.0f} min; {meta['seconds']} s measured per pupil scenario after all users"
        " had started, half of that for the back-to-back ones).",
        "Simulated pupils (`benchmarks/load/locustfile.py`) answer",
        "every question, half with a button and half with free text, ask a question after the reveal and start again;",
        "moodbot's users greet, tell a mood, answer and say goodbye. Latency is per message, at the client.",
        'A Keuzespiegel server lets messages wait in line, oldest first; one that would wait too long gets "busy" (429',
        "with Retry-After, `bot/plugins/admission.py`); the simulated",
        "pupil then waits and sends the message again, as the widget does. Those answers are counted under",
        '"busy, sent again" and are not errors; msgs/s and the latencies are those of the messages answered.',
        "CPU is the share of one core a process tree used, averaged over the measured time; memory is its peak RSS.",
        "Raw numbers: `docs/bench/load.json`.",
        "",
        "## Targets",
        "",
        "| target | met |",
        "|---|---|",
        *checks(results),
    ]
    for name, error in meta.get("failures", {}).items():
        lines += ["", f"**{name} could not be measured:** `{error}`"]
    for scenario in dict.fromkeys(r["scenario"] for r in results):
        lines += [
            "",
            f"## {scenario}",
            "",
            "| setup | msgs/s | msgs/s per Rasa process | p50 ms | p95 ms | p99 ms | errors | busy, sent again "
            "| CPU / peak memory per process |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for r in results:
            if r["scenario"] != scenario:
                continue
            lines.append(
                f"| {r['target']} | {r['msgs_per_s']:.1f} | {r['msgs_per_s'] / r['rasa_processes']:.1f} | "
                f"{_fmt_ms(r['p50_ms'])} | {_fmt_ms(r['p95_ms'])} | {_fmt_ms(r['p99_ms'])} | {r['errors']} | "
                f"{r.get('busy', 0)} | {_usage(r['processes'])} |"
            )
        kinds = {r["target"]: r.get("error_kinds") for r in results if r["scenario"] == scenario}
        for target, why in ((t, w) for t, w in kinds.items() if w):
            lines.append(f"\nErrors of {target}: " + ", ".join(f"{n} x `{e}`" for e, n in why.items()))
    # The reading written by hand below the tables stays until someone rewrites it for the new numbers.
    old = OUT_MD.read_text(encoding="utf-8") if OUT_MD.exists() else ""
    reading = old[old.find(READING) :] if READING in old else ""
    OUT_MD.write_text("\n".join(lines) + "\n" + ("\n" + reading if reading else ""), encoding="utf-8")
    print(f"bench-load: wrote {OUT_MD.relative_to(ROOT)} and {OUT_JSON.relative_to(ROOT)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short scenarios, to try the benchmark itself")
    parser.add_argument("--targets", nargs="*", default=list(TARGETS), choices=TARGETS)
    parser.add_argument("--seconds", type=int, default=60, help="measured seconds per pupil scenario")
    parser.add_argument("--fresh-moodbot", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--only", nargs="*", help='only these scenarios, e.g. "100 pupils" (implies --no-write)')
    parser.add_argument("--render", action="store_true", help="write load.md again from load.json, run nothing")
    args = parser.parse_args(argv)
    if args.render:
        saved = json.loads(OUT_JSON.read_text(encoding="utf-8"))
        write(saved["results"], saved["meta"])
        return 0
    if args.only:
        args.no_write = True
    if not any((ROOT / "models").glob("*.tar.gz")):
        raise SystemExit("bench-load: no trained model in models/; run `make run` or `rasa train` first")
    if "moodbot" in args.targets:
        ensure_moodbot(args.fresh_moodbot)
    started = time.monotonic()
    results: list[dict] = []
    failures: dict[str, str] = {}
    warmup = Scenario("warm-up", 4, "0", 10)
    with tempfile.TemporaryDirectory(prefix="ks-load-") as tmp:
        work = Path(tmp)
        work.chmod(0o755)  # the cluster's PostgreSQL runs as the postgres user and must reach its data under here
        for name in args.targets:
            data_dir = work / name.replace(" ", "_").replace(",", "")
            data_dir.mkdir()
            if name == "moodbot":
                setup = moodbot_target(data_dir)
            elif name == "make run":
                setup = make_run_target(data_dir)
            else:
                setup = cluster_target(data_dir, int(name.split(", ")[1][0]))
            print(f"bench-load: starting {name}...", flush=True)
            try:
                with setup as target:
                    run_locust(target, warmup, work, record=False)
                    for scenario in scenarios(args.quick, args.seconds, name.startswith("cluster"), args.only):
                        result = run_locust(target, scenario, work)
                        results.append(result)
                        print(
                            f"bench-load: {name}, {scenario.name}: {result['msgs_per_s']} msgs/s, "
                            f"p50 {result['p50_ms']} p95 {result['p95_ms']} p99 {result['p99_ms']} ms, "
                            f"errors {result['errors']}, busy {result['busy']}",
                            flush=True,
                        )
            except Exception as exc:  # noqa: BLE001 - the other setups still run; the report names the failure
                failures[name] = f"{type(exc).__name__}: {exc}"
                print(f"bench-load: {name} failed: {failures[name]}", flush=True)
    import locust

    meta = {
        "date": f"{dt.datetime.now():%Y-%m-%d %H:%M}",
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "locust": locust.__version__,
        "minutes": (time.monotonic() - started) / 60,
        "quick": args.quick,
        "seconds": args.seconds,
        "failures": failures,
    }
    if not args.no_write:
        write(results, meta)
    else:
        print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
