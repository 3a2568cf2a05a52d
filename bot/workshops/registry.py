"""Workshop registry: table `keuzespiegel_workshops` in the tracker store's database."""

from __future__ import annotations

import secrets
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.settings import Settings
from bot.workshops import store

# No 0/O, 1/I: codes are read off a projector and typed on phones.
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
    sa.Column("closed_at", sa.Float, nullable=True),
)
_ready: weakref.WeakSet[Engine] = weakref.WeakSet()  # engines whose table exists with every column


@dataclass(frozen=True)
class Workshop:
    """One classroom session; pupils join with the code."""

    code: str
    name: str
    created_at: float
    closed_at: float | None = None

    @property
    def is_open(self) -> bool:
        """Pupils can join until the advisor closes the workshop."""
        return self.closed_at is None

    def link(self, config: Settings) -> str:
        """The chat page for pupils of this workshop."""
        return chat_link(self.code, config)

    def as_dict(self, config: Settings) -> dict[str, Any]:
        return {**asdict(self), "open": self.is_open, "link": self.link(config)}


def chat_link(code: str, config: Settings) -> str:
    return f"{config.public_base}/?workshop={code}"


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(code: str) -> str | None:
    """The code in canonical form, or None if it cannot be a workshop code."""
    code = (code or "").strip().upper()
    if len(code) != CODE_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def _engine(db_url: str | None, engine: Engine | None) -> Engine:
    """The engine, with the workshops table created (or, from an older version, given its new column)."""
    engine = engine or store.get_engine(db_url)
    if engine in _ready:
        return engine
    _metadata.create_all(engine, tables=[workshops_table], checkfirst=True)
    columns = {column["name"] for column in sa.inspect(engine).get_columns(workshops_table.name)}
    if "closed_at" not in columns:
        with engine.begin() as connection:
            connection.execute(sa.text(f"ALTER TABLE {workshops_table.name} ADD COLUMN closed_at FLOAT"))
    _ready.add(engine)
    return engine


def _row(row: Any) -> Workshop:
    return Workshop(row.code, row.name, row.created_at, row.closed_at)


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
        return [_row(row) for row in connection.execute(query)]


def get_workshop(code: str, *, db_url: str | None = None, engine: Engine | None = None) -> Workshop | None:
    """The workshop with this code (any case), or None."""
    normalized = normalize_code(code)
    if normalized is None:
        return None
    engine = _engine(db_url, engine)
    query = sa.select(workshops_table).where(workshops_table.c.code == normalized)
    with engine.connect() as connection:
        row = connection.execute(query).first()
    return _row(row) if row else None


def close_workshop(
    code: str, *, db_url: str | None = None, engine: Engine | None = None, now: float | None = None
) -> Workshop | None:
    """Close a workshop: new pupils can no longer join with its code. Returns it, or None if unknown.

    Closing twice keeps the first closing time; results already in stay on the dashboard.
    """
    normalized = normalize_code(code)
    if normalized is None:
        return None
    engine = _engine(db_url, engine)
    with engine.begin() as connection:
        connection.execute(
            workshops_table.update()
            .where(workshops_table.c.code == normalized, workshops_table.c.closed_at.is_(None))
            .values(closed_at=time.time() if now is None else now)
        )
    return get_workshop(normalized, engine=engine)


_MEMBERS_SQL = sa.text(
    "SELECT DISTINCT sender_id FROM events WHERE type_name = 'slot' AND action_name = 'workshop' AND data LIKE :pattern"
)


def members(code: str, *, db_url: str | None = None, engine: Engine | None = None) -> set[str]:
    """Ids of the conversations that carry this workshop code in the tracker store."""
    normalized = normalize_code(code)
    engine = engine or store.get_engine(db_url)
    if normalized is None or not store.has_events_table(engine):
        return set()
    with engine.connect() as connection:
        return {row[0] for row in connection.execute(_MEMBERS_SQL, {"pattern": f'%"{normalized}"%'})}


class Gate:
    """Decides, per message, whether the workshop code it carries may be kept.

    A code is kept only when the workshop exists, is open and has room: a conversation already in the
    workshop always keeps it, a new one only while fewer than `cap` conversations carry the code.
    Database answers are cached for `ttl` seconds (closing takes effect within that time); the cache
    holds at most `max_codes` codes, so random codes cannot fill the memory. Thread-safe.
    """

    def __init__(
        self,
        *,
        db_url: str | None = None,
        engine: Engine | None = None,
        cap: int = 60,
        ttl: float = 5.0,
        max_codes: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db_url = db_url
        self._engine = engine
        self.cap = cap
        self.ttl = ttl
        self.max_codes = max_codes
        self._clock = clock
        self._lock = threading.Lock()
        self._workshops: OrderedDict[str, tuple[float, Workshop | None]] = OrderedDict()
        self._members: dict[str, tuple[float, set[str]]] = {}

    def _workshop(self, code: str) -> Workshop | None:
        now = self._clock()
        cached = self._workshops.get(code)
        if cached is not None and cached[0] > now:
            return cached[1]
        workshop = get_workshop(code, db_url=self._db_url, engine=self._engine)
        self._workshops[code] = (now + self.ttl, workshop)
        self._workshops.move_to_end(code)
        while len(self._workshops) > self.max_codes:
            gone, _ = self._workshops.popitem(last=False)
            self._members.pop(gone, None)
        return workshop

    def _room_for(self, code: str, sender: str) -> bool:
        now = self._clock()
        expires, known = self._members.get(code, (0.0, set()))
        if sender in known:
            return True
        if expires <= now:
            # Members only ever join: the union keeps pupils admitted here whose first event is not stored yet.
            known = known | members(code, db_url=self._db_url, engine=self._engine)
            self._members[code] = (now + self.ttl, known)
            if sender in known:
                return True
        if len(known) >= self.cap:
            return False
        known.add(sender)  # the set stored in self._members
        return True

    def admit(self, code: Any, sender: str) -> str | None:
        """The canonical code if this sender's message may carry it, else None."""
        normalized = normalize_code(code) if isinstance(code, str) else None
        if normalized is None:
            return None
        with self._lock:
            workshop = self._workshop(normalized)
            if workshop is None or not workshop.is_open:
                return None
            return normalized if self._room_for(normalized, sender) else None
