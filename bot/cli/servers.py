"""Start, watch and stop the three Keuzespiegel processes: action server, Rasa server, web server.

Used by `python -m bot run` for people and by the end-to-end tests, so both run the same thing.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from bot import ROOT
from bot.settings import RASA_REQUEST_MAX_BYTES, Settings
from bot.workshops.retention import purge_logs

# A log line that looks like it carries conversation data (a tracker, a parse result, a message body) is
# replaced before it reaches the disk; pupils' text never belongs in a log (docs/security.md).
_PRIVATE_LINE = re.compile(
    rb"""request_body|latest_message|parse_data|["'](?:text|message|value)["']\s*:|\bbody=b?['"]""", re.I
)
REDACTED = b"[keuzespiegel: line removed, it may have held a pupil's message]\n"


def child_env(config: Settings) -> dict[str, str]:
    """Environment for every process we start: telemetry off, settings passed on (the package is installed).

    The parent's own environment is copied first, so PATH, HOME and the like reach the child; every setting is
    then written out from `config`, so a child reads exactly what this process was given, whatever the parent's
    environment says."""
    env = dict(os.environ)
    for name, secret in (
        ("KEUZESPIEGEL_ADVISOR_TOKEN", config.advisor_token),
        ("KEUZESPIEGEL_RESULT_SECRET", config.result_secret),
    ):
        if secret:
            env[name] = secret
        else:
            env.pop(name, None)
    env.update(
        {
            "RASA_TELEMETRY_ENABLED": "false",
            "RASA_PORT": str(config.rasa_port),
            "ACTIONS_PORT": str(config.actions_port),
            "WEB_PORT": str(config.web_port),
            "KEUZESPIEGEL_HOST": config.host,
            "KEUZESPIEGEL_ACTIONS_HOST": config.actions_host,
            "KEUZESPIEGEL_DB_URL": config.db_url,
            "KEUZESPIEGEL_DATA_DIR": str(config.data_dir),
            "KEUZESPIEGEL_ACTIONS_URL": config.actions_url,
            "KEUZESPIEGEL_CORS_ORIGINS": ",".join(config.cors_origins),
            "KEUZESPIEGEL_RETENTION_DAYS": str(config.retention_days),
            "KEUZESPIEGEL_PUBLIC_URL": config.public_url or "",
            "KEUZESPIEGEL_RATE_LIMIT": (
                f"{config.rate_limit.rate}/{config.rate_limit.per:g}" if config.rate_limit else "off"
            ),
            "KEUZESPIEGEL_RATE_BURST": str(config.rate_limit.burst) if config.rate_limit else "",
            "KEUZESPIEGEL_TRUSTED_PROXIES": str(config.trusted_proxies),
            "KEUZESPIEGEL_WORKSHOP_CAP": str(config.workshop_cap),
            "KEUZESPIEGEL_MAX_WAITING": str(config.max_waiting),
            "KEUZESPIEGEL_PURGE_INTERVAL": str(config.purge_interval_s),
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONUNBUFFERED": "1",  # output reaches the log (and its filter) line by line
        }
    )
    return env


def rasa_env(config: Settings) -> dict[str, str]:
    """Only for the Rasa server: Sanic refuses bodies over 64 KB with 413, before any parsing."""
    return {"SANIC_REQUEST_MAX_SIZE": str(RASA_REQUEST_MAX_BYTES)}


def actions_env(config: Settings) -> dict[str, str]:
    """Only for the action server (no authentication of its own): listen on KEUZESPIEGEL_ACTIONS_HOST."""
    return {"SANIC_HOST": config.actions_host}


def rasa_command(*args: str) -> list[str]:
    """The rasa CLI of this virtual environment, through bot/plugins/rasa_main.py (about 9 s faster to start)."""
    return [sys.executable, "-m", "bot.plugins.rasa_main", *args]


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


class DailyLog:
    """A process's output in `<dir>/<name>-<YYYY-MM-DD>.log`: a new file every day, files older than the
    retention period deleted, lines that look like conversation data replaced."""

    def __init__(self, directory: Path, name: str, retention_days: int, clock: Callable[[], float] = time.time) -> None:
        self.directory = directory
        self.name = name
        self.retention_days = retention_days
        self._clock = clock
        self._day: str | None = None
        self._file: IO[bytes] | None = None
        self._lock = threading.Lock()

    def path_for(self, day: str) -> Path:
        return self.directory / f"{self.name}-{day}.log"

    @property
    def current_path(self) -> Path:
        return self.path_for(dt.date.fromtimestamp(self._clock()).isoformat())

    def write(self, line: bytes) -> None:
        if _PRIVATE_LINE.search(line):
            line = REDACTED
        with self._lock:
            day = dt.date.fromtimestamp(self._clock()).isoformat()
            if day != self._day or self._file is None:
                if self._file is not None:
                    self._file.close()
                self.directory.mkdir(parents=True, exist_ok=True)
                self._file = open(self.path_for(day), "ab")  # noqa: SIM115 - kept open for the day
                self._day = day
                purge_logs(self.directory, self.retention_days, now=self._clock())
            self._file.write(line)
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def pump(stream: IO[bytes], log: DailyLog) -> None:
    """Copy a child's output to its log, line by line, until the child closes it."""
    try:
        for line in iter(stream.readline, b""):
            log.write(line)
    finally:
        stream.close()
        log.close()


@dataclass
class Spec:
    """How to start one process and see that it is up."""

    cmd: list[str]
    health: str
    timeout: float
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class Stack:
    """The running processes, in start order.

    `extra_env` is added to every process's environment (after the settings from `config`)."""

    config: Settings
    log_dir: Path
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    specs: dict[str, Spec] = field(default_factory=dict)
    extra_env: dict[str, str] = field(default_factory=dict)

    def start(
        self,
        name: str,
        cmd: list[str],
        health: str,
        timeout: float,
        env: dict[str, str] | None = None,
        wait: bool = True,
    ) -> None:
        """Start a process; with wait=False, return at once and call `wait_ready(name)` later, so that several
        processes can start at the same time (each mostly waits on one core)."""
        self.specs[name] = Spec(cmd, health, timeout, dict(env or {}))
        self._spawn(name)
        if wait:
            self.wait_ready(name)

    def wait_ready(self, name: str) -> None:
        """Wait until the process answers on its health address; fail early if it died."""
        spec = self.specs[name]
        wait_for(spec.health, spec.timeout, self.procs[name])

    def _spawn(self, name: str) -> None:
        spec = self.specs[name]
        proc = subprocess.Popen(
            spec.cmd,
            cwd=ROOT,
            env={**child_env(self.config), **self.extra_env, **spec.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log = DailyLog(self.log_dir, name, self.config.retention_days)
        assert proc.stdout is not None
        threading.Thread(target=pump, args=(proc.stdout, log), name=f"log-{name}", daemon=True).start()
        self.procs[name] = proc

    def first_exited(self) -> str | None:
        """Name of a process that has exited, if any."""
        return next((name for name, proc in self.procs.items() if proc.poll() is not None), None)

    def kill(self, name: str, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        """Send a signal to one process (and its children) and wait until it is gone."""
        proc = self.procs[name]
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                pass
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def restart(self, *names: str, sig: int = signal.SIGTERM) -> None:
        """Stop these processes with `sig` and start them again with the same commands, all at the same time;
        waits until every one is healthy."""
        for name in names:
            self.kill(name, sig)
        for name in names:
            self._spawn(name)
        for name in names:
            self.wait_ready(name)

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
    config: Settings,
    web: bool = True,
    rasa: bool = True,
    log_dir: Path | None = None,
    models: Path | None = None,
    extra_env: dict[str, str] | None = None,
) -> Iterator[Stack]:
    """Start the action server, Rasa (REST channel, SQL tracker store) and the web server at the same time, and
    yield once all of them answer.

    Rasa listens on KEUZESPIEGEL_HOST, the action server on KEUZESPIEGEL_ACTIONS_HOST (127.0.0.1 by default).
    `models` is the model directory (default models/); benchmarks pass another one to compare trainings.
    `extra_env` reaches every process (the tests start server sets with settings of their own this way).
    """
    stack = Stack(config, log_dir or config.log_dir, extra_env=dict(extra_env or {}))
    try:
        stack.start(
            "actions",
            [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(config.actions_port)],
            f"http://{config.actions_host}:{config.actions_port}/health",
            timeout=90,
            env=actions_env(config),
            wait=False,
        )
        if rasa:
            stack.start(
                "rasa",
                rasa_command(
                    "run",
                    "--model",
                    str(models or ROOT / "models"),
                    "--endpoints",
                    "endpoints.yml",
                    "--credentials",
                    "credentials.yml",
                    "--interface",
                    config.host,
                    "--port",
                    str(config.rasa_port),
                    "--cors",
                    *config.cors_origins,
                ),
                f"{config.rasa_url}/webhooks/rest/",
                timeout=240,
                env=rasa_env(config),
                wait=False,
            )
        if web:
            stack.start(
                "web",
                [sys.executable, "-m", "bot.server.app"],
                f"{config.web_url}/healthz",
                timeout=60,
                wait=False,
            )
        for name in stack.specs:
            stack.wait_ready(name)
        yield stack
    finally:
        stack.stop()
