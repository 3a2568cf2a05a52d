"""Rasa's starter bot ("moodbot", `rasa init --no-prompt`) as the floor for the load and cold-start benchmarks.

Created and trained by the benchmark itself under var/bench/moodbot (kept between runs; --fresh-moodbot
makes a new one), then served with `rasa run` on the REST channel, like Keuzespiegel's Rasa server.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MOODBOT_DIR = ROOT / "var" / "bench" / "moodbot"
RASA = str(Path(sys.executable).with_name("rasa"))
ENV = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2"}


def ensure_moodbot(fresh: bool = False) -> Path:
    """`rasa init --no-prompt` (which also trains it) in var/bench/moodbot; returns the directory."""
    if fresh and MOODBOT_DIR.exists():
        shutil.rmtree(MOODBOT_DIR)
    if not any((MOODBOT_DIR / "models").glob("*.tar.gz")):
        MOODBOT_DIR.mkdir(parents=True, exist_ok=True)
        print("bench: creating and training moodbot (rasa init --no-prompt)...", flush=True)
        start = time.monotonic()
        with (MOODBOT_DIR.parent / "moodbot-init.log").open("wb") as log:
            subprocess.run(
                [RASA, "init", "--no-prompt", "--init-dir", str(MOODBOT_DIR)],
                cwd=MOODBOT_DIR,
                env=ENV,
                stdout=log,
                stderr=subprocess.STDOUT,
                check=True,
            )
        print(f"bench: moodbot trained in {time.monotonic() - start:.0f} s", flush=True)
    return MOODBOT_DIR


def start_moodbot(port: int, log_path: Path) -> subprocess.Popen:
    """`rasa run` of moodbot on `port` (REST channel), in its own process group."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("ab")
    return subprocess.Popen(
        [RASA, "run", "--model", "models", "--port", str(port), "--credentials", "credentials.yml"],
        cwd=MOODBOT_DIR,
        env=ENV,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def first_answer(url: str, text: str, timeout: float, proc: subprocess.Popen | None = None) -> float:
    """Post `text` to a REST channel until it answers with at least one message; returns when it did."""
    deadline = time.monotonic() + timeout
    body = json.dumps({"sender": f"coldstart-{time.time_ns()}", "message": text}).encode()
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {proc.returncode}")
        request = urllib.request.Request(
            f"{url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                if response.status == 200 and json.loads(response.read().decode() or "[]"):
                    return time.monotonic()
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError, ValueError):
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} gave no answer within {timeout:.0f}s")
