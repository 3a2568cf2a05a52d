"""Workshop registry: table `keuzespiegel_workshops` in the tracker store's database."""

from __future__ import annotations

import secrets
import time
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot import settings

# No 0/O, 1/I: codes are read off a projector and typed on phones.
from bot.workshops import store

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
MAX_NAME_LENGTH = 100

_metadata = sa.MetaData()
workshops_table = sa.Table(
    "keuzespiegel_workshops",
    _metadata,
    sa.Column("code", sa.String(16), primary_key=True),
    sa.Column("name", sa.String(MAX_NAME_LENGTH), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)


@dataclass(frozen=True)
class Workshop:
    """One classroom session; pupils join with the code."""

    code: str
    name: str
    created_at: float

    def link(self, config: settings.Settings | None = None) -> str:
        """The chat page for pupils of this workshop."""
        return chat_link(self.code, config)

    def as_dict(self, config: settings.Settings | None = None) -> dict[str, Any]:
        return {**asdict(self), "link": self.link(config)}


def chat_link(code: str, config: settings.Settings | None = None) -> str:
    config = config or settings.load()
    return f"{config.web_url}/?workshop={code}"


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(code: str) -> str | None:
    """The code in canonical form, or None if it cannot be a workshop code."""
    code = (code or "").strip().upper()
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def _engine(db_url: str | None, engine: Engine | None) -> Engine:
    engine = engine or store.get_engine(db_url)
    _metadata.create_all(engine, tables=[workshops_table], checkfirst=True)
    return engine


def create_workshop(name: str, *, db_url: str | None = None, engine: Engine | None = None) -> Workshop:
    """Register a workshop with a fresh unique code."""
    name = " ".join((name or "").split())
    if not name:
        raise ValueError("workshop name is empty")
    if len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"workshop name is longer than {MAX_NAME_LENGTH} characters")
    engine = _engine(db_url, engine)
    for _ in range(20):
        workshop = Workshop(code=new_code(), name=name, created_at=time.time())
        try:
            with engine.begin() as connection:
                connection.execute(workshops_table.insert().values(**asdict(workshop)))
        except IntegrityError:
            continue
        return workshop
    raise RuntimeError("could not find a free workshop code")


def list_workshops(*, db_url: str | None = None, engine: Engine | None = None) -> list[Workshop]:
    """All workshops, newest first."""
    engine = _engine(db_url, engine)
    query = sa.select(workshops_table).order_by(workshops_table.c.created_at.desc())
    with engine.connect() as connection:
        return [Workshop(row.code, row.name, row.created_at) for row in connection.execute(query)]


def get_workshop(code: str, *, db_url: str | None = None, engine: Engine | None = None) -> Workshop | None:
    """The workshop with this code (any case), or None."""
    normalized = normalize_code(code)
    if normalized is None:
        return None
    engine = _engine(db_url, engine)
    query = sa.select(workshops_table).where(workshops_table.c.code == normalized)
    with engine.connect() as connection:
        row = connection.execute(query).first()
    return Workshop(row.code, row.name, row.created_at) if row else None
