"""Start the real servers once for the end-to-end suite, on test ports with a throwaway database."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import ROOT, settings

# E2E_PORT_OFFSET lets two test runs share a machine without port clashes.
from bot.cli import servers

_OFFSET = int(os.environ.get("E2E_PORT_OFFSET", "0"))
TEST_ENV = {
    "RASA_PORT": str(5105 + _OFFSET),
    "ACTIONS_PORT": str(5155 + _OFFSET),
    "WEB_PORT": str(8105 + _OFFSET),
    "KEUZESPIEGEL_HOST": "localhost",
    "KEUZESPIEGEL_DB_URL": "",
    "KEUZESPIEGEL_CORS_ORIGINS": "",
    "KEUZESPIEGEL_ADVISOR_TOKEN": "e2e-advisor-token-7f3a",
    "KEUZESPIEGEL_RETENTION_DAYS": "30",
    "RASA_TELEMETRY_ENABLED": "false",
}


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("keuzespiegel-e2e")


@pytest.fixture(scope="session")
def stack(data_dir: Path) -> Iterator[settings.Settings]:
    """Action server, Rasa server and web server, running for the whole session."""
    saved = {key: os.environ.get(key) for key in [*TEST_ENV, "KEUZESPIEGEL_DATA_DIR"]}
    os.environ.update(TEST_ENV)
    os.environ["KEUZESPIEGEL_DATA_DIR"] = str(data_dir)
    config = settings.load()
    if not any((ROOT / "models").glob("*.tar.gz")):
        servers.train(config)
    try:
        with servers.running(config, log_dir=data_dir / "logs"):
            yield config
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

