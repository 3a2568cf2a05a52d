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
