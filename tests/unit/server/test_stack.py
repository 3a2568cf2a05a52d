"""The process launcher's start, wait and restart with real (tiny) processes: several start at the same time."""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path

import pytest

from bot import settings
from bot.cli import servers


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_server(directory: Path, port: int) -> list[str]:
    return [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(directory)]


@pytest.fixture()
def stack(tmp_path: Path) -> servers.Stack:
    (tmp_path / "www").mkdir()
    (tmp_path / "www" / "index.html").write_text("ok", encoding="utf-8")
    config = settings.load({"KEUZESPIEGEL_DATA_DIR": str(tmp_path)})
    return servers.Stack(config, tmp_path / "logs", extra_env={"KEUZESPIEGEL_TEST_MARK": "on"})


def test_processes_started_without_waiting_run_side_by_side(stack: servers.Stack, tmp_path: Path) -> None:
    ports = {name: free_port() for name in ("one", "two")}
    try:
        for name, port in ports.items():
            stack.start(name, http_server(tmp_path / "www", port), f"http://127.0.0.1:{port}/", 30, wait=False)
        assert set(stack.procs) == {"one", "two"}, "both started before either was waited for"
        for name in ports:
            stack.wait_ready(name)
        first_pids = {name: proc.pid for name, proc in stack.procs.items()}

        stack.restart("one", "two")
        assert all(stack.procs[name].pid != first_pids[name] for name in ports)
        assert all(stack.procs[name].poll() is None for name in ports)
    finally:
        stack.stop()
    assert stack.procs == {}


def test_waiting_fails_early_when_the_process_dies(stack: servers.Stack) -> None:
    started = time.monotonic()
    try:
        stack.start("dies", [sys.executable, "-c", "raise SystemExit(3)"], "http://127.0.0.1:9/", 60, wait=False)
        with pytest.raises(RuntimeError, match="exited with code 3"):
            stack.wait_ready("dies")
    finally:
        stack.stop()
    assert time.monotonic() - started < 30, "not the whole 60 s timeout"


def test_every_process_gets_the_extra_environment(stack: servers.Stack, tmp_path: Path) -> None:
    out = tmp_path / "env.txt"
    script = f"import os, pathlib; pathlib.Path({str(out)!r}).write_text(os.environ['KEUZESPIEGEL_TEST_MARK'])"
    try:
        stack.start("probe", [sys.executable, "-c", script], "http://127.0.0.1:9/", 30, wait=False)
        stack.procs["probe"].wait(timeout=30)
    finally:
        stack.stop()
    assert out.read_text() == "on"
