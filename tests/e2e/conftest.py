"""Start the real servers for the end-to-end suite, on test ports with throwaway databases.

Every set of servers the collected tests need (the shared one, and the sets of modules that need settings of
their own or stop servers) starts at the same time when the first of them is asked for: one Rasa server takes
about 30 s to start, mostly on one core, so starting the sets one after another left the second core idle.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest

from bot import ROOT, settings
from bot.cli import servers

# E2E_PORT_OFFSET lets two test runs share a machine without port clashes.
_OFFSET = int(os.environ.get("E2E_PORT_OFFSET", "0"))
TEST_ENV = {
    "RASA_PORT": str(5105 + _OFFSET),
    "ACTIONS_PORT": str(5155 + _OFFSET),
    "WEB_PORT": str(8105 + _OFFSET),
    "KEUZESPIEGEL_HOST": "localhost",
    "KEUZESPIEGEL_DB_URL": "",
    "KEUZESPIEGEL_CORS_ORIGINS": "",
    "KEUZESPIEGEL_ADVISOR_TOKEN": "e2e-advisor-token-7f3a-c2d94e",  # at least 24 characters, or no start
    "KEUZESPIEGEL_RETENTION_DAYS": "30",
    "RASA_TELEMETRY_ENABLED": "false",
    # The functional tests send every message from one address, fast; test_security.py checks the
    # production rate limit on a stack of its own.
    "KEUZESPIEGEL_RATE_LIMIT": "100000/10",
}

# How to start the servers behind a fixture: given a fresh directory, a context manager that yields what the
# fixture hands out once the servers answer, and stops them when it ends.
Starter = Callable[[Path], AbstractContextManager[Any]]
STARTERS: dict[str, Starter] = {}


def server_set(fixture: str) -> Callable[[Starter], Starter]:
    """Register how to start the servers that fixture `fixture` hands out (see `ServerSets`)."""

    def register(starter: Starter) -> Starter:
        STARTERS[fixture] = starter
        return starter

    return register


@contextmanager
def running_stack(env: dict[str, str], log_dir: Path) -> Iterator[servers.Stack]:
    """The three servers with these settings on top of TEST_ENV (trained first if there is no model yet).

    The settings go to the servers directly; the test process's own environment is never changed, since
    other sets may be starting at the same moment in other threads."""
    overrides = {**TEST_ENV, **env}
    config = settings.load({**os.environ, **overrides})
    ensure_model(config)
    with servers.running(config, log_dir=log_dir, extra_env=overrides) as started:
        yield started


_training = threading.Lock()


def ensure_model(config: settings.Settings) -> None:
    """Train once if there is no model yet (`make test` trains before this suite; a lone run may not have)."""
    with _training:
        if not any((ROOT / "models").glob("*.tar.gz")):
            servers.train(config)


@contextmanager
def own_stack(data_dir: Path, port_offset: int, **env: str) -> Iterator[servers.Stack]:
    """A separate set of the three servers with settings of its own (ports TEST_ENV's + port_offset).

    For tests that need other settings than the shared `stack` (production rate limit, a public https
    address) or that kill and restart servers; yields the Stack, so a test can stop and start processes.
    """
    overrides = {
        "RASA_PORT": str(5105 + _OFFSET + port_offset),
        "ACTIONS_PORT": str(5155 + _OFFSET + port_offset),
        "WEB_PORT": str(8105 + _OFFSET + port_offset),
        "KEUZESPIEGEL_DATA_DIR": str(data_dir),
        **env,
    }
    with running_stack(overrides, data_dir / "logs") as started:
        yield started


class ServerSets:
    """The registered server sets this session uses, all starting at once; `get` waits for one of them.

    A set that fails to start fails only the tests that use it (its error is raised by `get`)."""

    def __init__(self, starters: dict[str, Starter], base: Path) -> None:
        self._lock = threading.Lock()
        self._open: list[AbstractContextManager[Any]] = []
        self._pool = ThreadPoolExecutor(max_workers=max(1, len(starters)), thread_name_prefix="server-set")
        self.directories = {name: base / name for name in starters}
        self._started: dict[str, Future[Any]] = {
            name: self._pool.submit(self._enter, starter, self.directories[name]) for name, starter in starters.items()
        }

    def _enter(self, starter: Starter, directory: Path) -> Any:
        directory.mkdir(parents=True, exist_ok=True)
        manager = starter(directory)
        value = manager.__enter__()
        with self._lock:
            self._open.append(manager)
        return value

    def get(self, fixture: str) -> Any:
        return self._started[fixture].result()

    def close(self) -> None:
        """Stop every set at the same time, also those still starting (waits for them first)."""
        self._pool.shutdown(wait=True)

        def stop(manager: AbstractContextManager[Any]) -> Exception | None:
            try:
                manager.__exit__(None, None, None)
            except Exception as error:  # noqa: BLE001 - stop the others, then report
                return error
            return None

        with ThreadPoolExecutor(max_workers=max(1, len(self._open))) as stopping:
            errors = [error for error in stopping.map(stop, self._open) if error is not None]
        if errors:
            raise errors[0]


@pytest.fixture(scope="session")
def server_sets(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerSets]:
    used = {name for item in request.session.items for name in getattr(item, "fixturenames", ())}
    sets = ServerSets(
        {name: starter for name, starter in STARTERS.items() if name in used},
        tmp_path_factory.mktemp("keuzespiegel-e2e"),
    )
    try:
        yield sets
    finally:
        sets.close()


@server_set("stack")
def shared_stack(directory: Path) -> AbstractContextManager[servers.Stack]:
    """Action server, Rasa server and web server with TEST_ENV, for every module without needs of its own."""
    return running_stack({"KEUZESPIEGEL_DATA_DIR": str(directory)}, directory / "logs")


@pytest.fixture(scope="session")
def stack(server_sets: ServerSets) -> settings.Settings:
    return server_sets.get("stack").config
