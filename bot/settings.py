"""Runtime configuration, read from environment variables in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from bot import ROOT


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise SystemExit(f"{name} must be a whole number, got {value!r}") from exc


@dataclass(frozen=True)
class Settings:
    """Ports, addresses, storage and retention for all Keuzespiegel processes."""

    rasa_port: int
    actions_port: int
    web_port: int
    host: str
    db_url: str
    retention_days: int
    cors_origins: tuple[str, ...]
    advisor_token: str | None
    data_dir: Path

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def web_url(self) -> str:
        return f"http://{self.host}:{self.web_port}"

    @property
    def actions_url(self) -> str:
        return f"http://{self.host}:{self.actions_port}/webhook"

    @property
    def is_sqlite(self) -> bool:
        return self.db_url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        return Path(self.db_url.split("///", 1)[1])


def load() -> Settings:
    """Read the settings from the environment, with defaults that work on a fresh clone."""
    data_dir = Path(os.environ.get("KEUZESPIEGEL_DATA_DIR", str(ROOT / "var"))).resolve()
    web_port = _int("WEB_PORT", 8000)
    host = os.environ.get("KEUZESPIEGEL_HOST", "localhost")
    db_url = os.environ.get("KEUZESPIEGEL_DB_URL", "").strip() or f"sqlite:///{data_dir / 'keuzespiegel.db'}"
    origins_env = os.environ.get("KEUZESPIEGEL_CORS_ORIGINS", "").strip()
    if origins_env:
        origins = tuple(o.strip() for o in origins_env.split(",") if o.strip())
    else:
        origins = (f"http://localhost:{web_port}", f"http://127.0.0.1:{web_port}")
    token = os.environ.get("KEUZESPIEGEL_ADVISOR_TOKEN", "").strip() or None
    return Settings(
        rasa_port=_int("RASA_PORT", 5005),
        actions_port=_int("ACTIONS_PORT", 5055),
        web_port=web_port,
        host=host,
        db_url=db_url,
        retention_days=_int("KEUZESPIEGEL_RETENTION_DAYS", 30),
        cors_origins=origins,
        advisor_token=token,
        data_dir=data_dir,
    )


# --- Cluster (`python -m bot cluster`, `make run-cluster`) -------------------------------------------------


@dataclass(frozen=True)
class ClusterSettings:
    """Extra settings of the cluster: how many servers, and the ports of the services it starts.

    The balancer (nginx) listens on `Settings.rasa_port` for the REST channel and on `Settings.actions_port`
    for the action servers, so clients and `endpoints.yml` use the same addresses as under `make run`.
    """

    rasa_servers: int
    action_servers: int
    rasa_base_port: int
    actions_base_port: int
    postgres_port: int
    redis_port: int

    def rasa_ports(self) -> list[int]:
        return [self.rasa_base_port + i for i in range(1, self.rasa_servers + 1)]

    def actions_ports(self) -> list[int]:
        return [self.actions_base_port + i for i in range(1, self.action_servers + 1)]


def load_cluster() -> ClusterSettings:
    """Cluster settings from the environment; ports default next to the ones of `make run`."""
    rasa_servers = _int("KEUZESPIEGEL_RASA_SERVERS", 2)
    action_servers = _int("KEUZESPIEGEL_ACTION_SERVERS", 2)
    if not 1 <= rasa_servers <= 16 or not 1 <= action_servers <= 16:
        raise SystemExit("KEUZESPIEGEL_RASA_SERVERS and KEUZESPIEGEL_ACTION_SERVERS must be between 1 and 16")
    return ClusterSettings(
        rasa_servers=rasa_servers,
        action_servers=action_servers,
        rasa_base_port=_int("KEUZESPIEGEL_RASA_BASE_PORT", 5010),
        actions_base_port=_int("KEUZESPIEGEL_ACTIONS_BASE_PORT", 5060),
        postgres_port=_int("KEUZESPIEGEL_POSTGRES_PORT", 5433),
        redis_port=_int("KEUZESPIEGEL_REDIS_PORT", 6380),
    )


def redis_url() -> str | None:
    """Rasa's lock store (`redis://[:password@]host:port/db`); unset means Rasa's in-memory lock store."""
    return os.environ.get("KEUZESPIEGEL_REDIS_URL", "").strip() or None
