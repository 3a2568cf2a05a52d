"""Start the real servers once for the end-to-end suite, on test ports with a throwaway database."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """These environment variables for the block, then the ones from before (unset ones unset again)."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def running_stack(env: dict[str, str], log_dir: Path) -> Iterator[servers.Stack]:
    """The three servers with these settings (trained first if there is no model yet)."""
    with environment(env):
        config = settings.load()
        if not any((ROOT / "models").glob("*.tar.gz")):
            servers.train(config)
        with servers.running(config, log_dir=log_dir) as started:
            yield started


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("keuzespiegel-e2e")


@pytest.fixture(scope="session")
def stack(data_dir: Path) -> Iterator[settings.Settings]:
    """Action server, Rasa server and web server, running for the whole session."""
    with running_stack({**TEST_ENV, "KEUZESPIEGEL_DATA_DIR": str(data_dir)}, data_dir / "logs") as started:
        yield started.config


@contextmanager
def own_stack(data_dir: Path, port_offset: int, **env: str) -> Iterator[servers.Stack]:
    """A separate set of the three servers with settings of its own (ports TEST_ENV's + port_offset).

    For tests that need other settings than the shared `stack` (production rate limit, a public https
    address) or that kill and restart servers; yields the Stack, so a test can stop and start processes.
    """
    overrides = {
        **TEST_ENV,
        "RASA_PORT": str(5105 + _OFFSET + port_offset),
        "ACTIONS_PORT": str(5155 + _OFFSET + port_offset),
        "WEB_PORT": str(8105 + _OFFSET + port_offset),
        "KEUZESPIEGEL_DATA_DIR": str(data_dir),
        **env,
    }
    with running_stack(overrides, data_dir / "logs") as started:
        yield started
