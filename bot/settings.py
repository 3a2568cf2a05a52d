"""Runtime configuration, read from environment variables in one place.

`load()` is called once per entry point, and the `Settings` it returns are passed down (as in Flask's
`create_app(config)`); no other module reads the environment. The entry points:

- `bot/cli/main.py` `main()`: every `python -m bot ...` command (`cluster` also calls `load_cluster()`);
- `bot/server/app.py` `main()`: the web server (`python -m bot.server.app`);
- the Rasa plug-ins that Rasa itself builds from credentials.yml and endpoints.yml, and so cannot be handed
  settings: `bot/plugins/channels.py` (`from_credentials`), `tracker_store.py` and `lock_store.py` (`redis_url()`);
- benchmark and recording scripts under scripts/.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bot import ROOT

# The dashboard token guards minors' answers: shorter secrets are refused at startup.
MIN_TOKEN_LENGTH = 24
# Rasa (Sanic) refuses request bodies above this size with 413 before any work is done.
RASA_REQUEST_MAX_BYTES = 64 * 1024
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*s?\s*$")


class ConfigError(SystemExit):
    """A setting has a value the bot cannot run with; the message says which and why."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int | None = None) -> int:
    value = env.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from exc
    if minimum is not None and number < minimum:
        raise ConfigError(f"{name} must be {minimum} or more, got {number}")
    return number


@dataclass(frozen=True)
class RateLimit:
    """A token bucket: `rate` messages per `per` seconds on average, at most `burst` at once."""

    rate: int
    per: float
    burst: int

    @property
    def per_second(self) -> float:
        return self.rate / self.per


def parse_rate(name: str, value: str, burst: str) -> RateLimit | None:
    """'120/10' -> 120 messages per 10 s; 'off' -> no limit. Burst defaults to half the count."""
    text = value.strip().lower()
    if text in ("off", "0", "none"):
        return None
    match = _RATE.match(text)
    if not match or int(match.group(1)) < 1 or float(match.group(2)) <= 0:
        raise ConfigError(f"{name} must look like 120/10 (messages per seconds) or off, got {value!r}")
    rate = int(match.group(1))
    size = max(1, rate // 2)
    if burst.strip():
        try:
            size = int(burst)
        except ValueError as exc:
            raise ConfigError(f"KEUZESPIEGEL_RATE_BURST must be a whole number, got {burst!r}") from exc
        if size < 1:
            raise ConfigError(f"KEUZESPIEGEL_RATE_BURST must be 1 or more, got {size}")
    return RateLimit(rate=rate, per=float(match.group(2)), burst=size)


def _public_url(value: str) -> str | None:
    value = value.strip().rstrip("/")
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"KEUZESPIEGEL_PUBLIC_URL must be an http(s) address like https://bot.school.nl, got {value!r}"
        )
    return value


@dataclass(frozen=True)
class Settings:
    """Ports, addresses, storage, retention and limits for all Keuzespiegel processes."""

    rasa_port: int
    actions_port: int
    web_port: int
    host: str
    db_url: str
    retention_days: int
    cors_origins: tuple[str, ...]
    advisor_token: str | None
    data_dir: Path
    actions_host: str = "127.0.0.1"
    public_url: str | None = None
    rate_limit: RateLimit | None = RateLimit(rate=120, per=10.0, burst=60)
    trusted_proxies: int = 0
    workshop_cap: int = 60
    max_waiting: int = 200  # messages that may wait in line for a Rasa process; more get "busy" (0: no cap)
    purge_interval_s: int = 3600
    result_secret: str | None = None  # key of the "Mijn keuzespiegel" links; None: a random key in data_dir

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def web_url(self) -> str:
        return f"http://{self.host}:{self.web_port}"

    @property
    def public_base(self) -> str:
        """The address people use to reach the web server (behind a TLS proxy: KEUZESPIEGEL_PUBLIC_URL)."""
        return self.public_url or self.web_url

    @property
    def actions_url(self) -> str:
        return f"http://{self.actions_host}:{self.actions_port}/webhook"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def is_sqlite(self) -> bool:
        return self.db_url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        return Path(self.db_url.split("///", 1)[1])


def check_token(token: str | None) -> str | None:
    """The advisor token, or None for "dashboard off"; a short token stops the program with a clear error."""
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        raise ConfigError(
            f"KEUZESPIEGEL_ADVISOR_TOKEN is {len(token)} characters long; use at least {MIN_TOKEN_LENGTH}, e.g. "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(24))'"
        )
    return token


def check_result_secret(secret: str | None) -> str | None:
    """The key for the pupils' result links, or None for "a random key kept in the data directory";
    a short key stops the program with a clear error (a guessable key would open every pupil's result)."""
    if secret is not None and len(secret) < MIN_TOKEN_LENGTH:
        raise ConfigError(
            f"KEUZESPIEGEL_RESULT_SECRET is {len(secret)} characters long; use at least {MIN_TOKEN_LENGTH}, e.g. "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(24))'"
        )
    return secret


def load(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings from the environment (or from `environ`), with defaults that work on a fresh clone.

    Passing `environ` lets a caller load settings for a server set of its own without changing the process's
    environment, which other threads may be reading at the same time (the end-to-end tests start several)."""
    env = os.environ if environ is None else environ
    data_dir = Path(env.get("KEUZESPIEGEL_DATA_DIR", str(ROOT / "var"))).resolve()
    web_port = _int(env, "WEB_PORT", 8000)
    host = env.get("KEUZESPIEGEL_HOST", "localhost")
    db_url = env.get("KEUZESPIEGEL_DB_URL", "").strip() or f"sqlite:///{data_dir / 'keuzespiegel.db'}"
    public_url = _public_url(env.get("KEUZESPIEGEL_PUBLIC_URL", ""))
    origins_env = env.get("KEUZESPIEGEL_CORS_ORIGINS", "").strip()
    if origins_env:
        origins = tuple(o.strip() for o in origins_env.split(",") if o.strip())
    else:
        origins = (f"http://localhost:{web_port}", f"http://127.0.0.1:{web_port}")
        if public_url:
            parts = urlsplit(public_url)
            origins = (*origins, f"{parts.scheme}://{parts.netloc}")
    token = check_token(env.get("KEUZESPIEGEL_ADVISOR_TOKEN", "").strip() or None)
    return Settings(
        rasa_port=_int(env, "RASA_PORT", 5005),
        actions_port=_int(env, "ACTIONS_PORT", 5055),
        web_port=web_port,
        host=host,
        db_url=db_url,
        retention_days=_int(env, "KEUZESPIEGEL_RETENTION_DAYS", 30, minimum=1),
        cors_origins=origins,
        advisor_token=token,
        data_dir=data_dir,
        actions_host=env.get("KEUZESPIEGEL_ACTIONS_HOST", "").strip() or "127.0.0.1",
        public_url=public_url,
        rate_limit=parse_rate(
            "KEUZESPIEGEL_RATE_LIMIT",
            env.get("KEUZESPIEGEL_RATE_LIMIT", "120/10"),
            env.get("KEUZESPIEGEL_RATE_BURST", ""),
        ),
        trusted_proxies=_int(env, "KEUZESPIEGEL_TRUSTED_PROXIES", 0, minimum=0),
        workshop_cap=_int(env, "KEUZESPIEGEL_WORKSHOP_CAP", 60, minimum=1),
        max_waiting=_int(env, "KEUZESPIEGEL_MAX_WAITING", 200, minimum=0),
        purge_interval_s=_int(env, "KEUZESPIEGEL_PURGE_INTERVAL", 3600, minimum=1),
        result_secret=check_result_secret(env.get("KEUZESPIEGEL_RESULT_SECRET", "").strip() or None),
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
    env = os.environ
    rasa_servers = _int(env, "KEUZESPIEGEL_RASA_SERVERS", 2)
    action_servers = _int(env, "KEUZESPIEGEL_ACTION_SERVERS", 2)
    if not 1 <= rasa_servers <= 16 or not 1 <= action_servers <= 16:
        raise SystemExit("KEUZESPIEGEL_RASA_SERVERS and KEUZESPIEGEL_ACTION_SERVERS must be between 1 and 16")
    return ClusterSettings(
        rasa_servers=rasa_servers,
        action_servers=action_servers,
        rasa_base_port=_int(env, "KEUZESPIEGEL_RASA_BASE_PORT", 5010),
        actions_base_port=_int(env, "KEUZESPIEGEL_ACTIONS_BASE_PORT", 5060),
        postgres_port=_int(env, "KEUZESPIEGEL_POSTGRES_PORT", 5433),
        redis_port=_int(env, "KEUZESPIEGEL_REDIS_PORT", 6380),
    )


def redis_url() -> str | None:
    """Rasa's lock store (`redis://[:password@]host:port/db`); unset means Rasa's in-memory lock store."""
    return os.environ.get("KEUZESPIEGEL_REDIS_URL", "").strip() or None
