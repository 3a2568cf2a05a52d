"""Start, watch and stop the three Keuzespiegel processes: action server, Rasa server, web server.

Used by `python -m bot run` for people and by the end-to-end tests, so both run the same thing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bot import ROOT
from bot.settings import Settings

BIN = Path(sys.executable).parent


def child_env(config: Settings) -> dict[str, str]:
    """Environment for every process we start: telemetry off, settings passed on (the package is installed)."""
    env = dict(os.environ)
    env.update(
        {
            "RASA_TELEMETRY_ENABLED": "false",
            "RASA_PORT": str(config.rasa_port),
            "ACTIONS_PORT": str(config.actions_port),
            "WEB_PORT": str(config.web_port),
            "KEUZESPIEGEL_HOST": config.host,
            "KEUZESPIEGEL_DB_URL": config.db_url,
            "KEUZESPIEGEL_DATA_DIR": str(config.data_dir),
            "KEUZESPIEGEL_ACTIONS_URL": config.actions_url,
            "KEUZESPIEGEL_CORS_ORIGINS": ",".join(config.cors_origins),
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
        }
    )
    return env


def rasa_command(*args: str) -> list[str]:
    """The rasa CLI of this virtual environment."""
    return [str(BIN / "rasa"), *args]


def train(config: Settings) -> None:
    """Train only when data, domain or config changed: Rasa's fingerprint check skips the rest."""
    subprocess.run(
        rasa_command("train", "--domain", str(ROOT / "domain"), "--out", str(ROOT / "models")),
        cwd=ROOT,
        env=child_env(config),
        check=True,
    )


def wait_for(url: str, timeout: float, proc: subprocess.Popen | None = None) -> None:
    """Poll url until it answers 2xx; fail early if the process behind it died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process for {url} exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if 200 <= response.status < 300:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not come up within {timeout:.0f}s")


@dataclass
class Stack:
    """The running processes, in start order."""

    config: Settings
    log_dir: Path
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    def start(self, name: str, cmd: list[str], health: str, timeout: float) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=child_env(self.config), stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs[name] = proc
        wait_for(health, timeout, proc)

    def first_exited(self) -> str | None:
        """Name of a process that has exited, if any."""
        return next((name for name, proc in self.procs.items() if proc.poll() is not None), None)

    def stop(self) -> None:
        for proc in reversed(list(self.procs.values())):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.procs.clear()


@contextmanager
def running(
    config: Settings, web: bool = True, rasa: bool = True, log_dir: Path | None = None, models: Path | None = None
) -> Iterator[Stack]:
    """Start the action server, then Rasa (REST channel, SQL tracker store), then the web server.

    `models` is the model directory (default models/); benchmarks pass another one to compare trainings.
    """
    stack = Stack(config, log_dir or config.data_dir / "logs")
    try:
        stack.start(
            "actions",
            [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(config.actions_port)],
            f"http://{config.host}:{config.actions_port}/health",
            timeout=90,
        )
        if rasa:
            stack.start(
                "rasa",
                rasa_command(
                    "run", "--model", str(models or ROOT / "models"), "--endpoints", "endpoints.yml",
                    "--credentials", "credentials.yml", "--port", str(config.rasa_port),
                    "--cors", *config.cors_origins,
                ),
                f"{config.rasa_url}/webhooks/rest/",
                timeout=240,
            )
        if web:
            stack.start(
                "web",
                [sys.executable, "-m", "bot.server.app"],
                f"{config.web_url}/healthz",
                timeout=60,
            )
        yield stack
    finally:
        stack.stop()
