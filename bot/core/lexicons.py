"""Curated Dutch lexicons of studies and hobbies, and a matcher that finds them in free text.

The lexicons are advisor-editable YAML (content/lexicons/studies.yml and hobbies.yml). The loader
validates them and builds the indexes once; matching a pupil's answer is then a walk over its words:

- words come from bot.core.text.words, so accents, case and punctuation never matter;
- aliases of several words match as word sequences; the longest match wins and its words are
  consumed ("technische bedrijfskunde" is one study, not also bedrijfskunde);
- a word of 7 letters or more may carry one typo (insert, delete, replace or swap two letters)
  when it starts with the right letter and the alias word is 7 letters or more as well;
  short words and abbreviations ("wtb", "ee") must be exact;
- every study or hobby is reported once, in text order; other words ("iets met", "of") just separate.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from bot.core.content import ContentError
from bot.core.text import words

LEXICON_DIR = Path(__file__).resolve().parents[2] / "content" / "lexicons"
STUDIES_FILE = "studies.yml"
HOBBIES_FILE = "hobbies.yml"

LEVELS: tuple[str, ...] = ("hbo", "wo")
SECTORS: tuple[str, ...] = (
    "techniek",
    "natuur",
    "gezondheidszorg",
    "economie",
    "recht",
    "gedrag_en_maatschappij",
    "taal_en_cultuur",
    "onderwijs",
    "landbouw_en_natuurlijke_omgeving",
    "sectoroverstijgend",
)
SOCIALS: tuple[str, ...] = ("team", "alone", "both")

FUZZY_MIN_LEN = 7

# Explicit level words only: a city ("in delft") says nothing about the level.
LEVEL_PHRASES: dict[str, str] = {
    "hbo": "hbo",
    "h b o": "hbo",
    "hogeschool": "hbo",
    "hogescholen": "hbo",
    "hoge school": "hbo",
    "hoger beroepsonderwijs": "hbo",
    "hbo opleiding": "hbo",
    "wo": "wo",
    "w o": "wo",
    "uni": "wo",
    "universiteit": "wo",
    "universiteiten": "wo",
    "universitair": "wo",
    "universitaire": "wo",
    "university": "wo",
    "tu": "wo",
    "technische universiteit": "wo",
    "wetenschappelijk onderwijs": "wo",
}

# Words that start a new thought: a level word after one of these belongs to the next study
# ("rechten, maar op de uni wil ik geneeskunde").
_CLAUSE_WORDS = frozenset({"of", "en", "maar", "anders", "ofwel", "misschien", "eventueel", "daarna", "dan", "want"})

# Common Dutch words that sit one typo away from an alias word ("politie" is not a typo of "politiek",
# "stoppen" not of "shoppen"); they are never corrected. Found by running the Debian Dutch word list
# (package wdutch) through both indexes and reading the hits.
NEVER_CORRECT: frozenset[str] = frozenset(
    """
    afspraken brommen concepten coveren drammen escorts gedachten gerichten gewichten gezichten jongeren
    kaarsen karaten klassen klemmen korting medicatie meesten nederland opvoeden plaatjes planden planken
    plankjes plannen plasten platten plinten politie poseren producten redding richten schaden schakel schalen
    schamen schapen scharen schaven scheren scherpen scherven scheten schilden schoppen sleutels sociale speakers
    stappen stippen stoppen trombose vlaggen wankelen wikkelen
    """.split()
)

_ID = re.compile(r"^[a-z0-9_]+$")
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


LexiconError = ContentError  # one error type for every broken content file


# ---------------------------------------------------------------- data


@dataclass(frozen=True)
class Study:
    id: str
    name: str
    levels: tuple[str, ...]
    sector: str
    technical: bool
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class Hobby:
    id: str
    name: str
    technical: bool
    social: str
    aliases: tuple[str, ...]


@dataclass(frozen=True)
class StudyHit:
    """One study found in a text; start/end are word positions (end exclusive)."""

    study: Study
    level_said: str | None
    start: int
    end: int


class _Match(NamedTuple):
    start: int
    end: int
    entry: int
    typos: int


class _Node:
    __slots__ = ("children", "entry")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.entry: int | None = None


def _deletions(token: str) -> set[str]:
    return {token[:i] + token[i + 1 :] for i in range(len(token))}


def _one_edit(a: str, b: str) -> bool:
    """True when a and b differ by exactly one insert, delete, substitution or adjacent swap."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1 :]


class _Index:
    """A word trie over alias keys, with a one-typo lookup for long words. Built once per load."""

    def __init__(self, keys: Iterable[tuple[tuple[str, ...], int]]) -> None:
        self.root = _Node()
        vocab: set[str] = set()
        for key, entry in keys:
            node = self.root
            for token in key:
                node = node.children.setdefault(token, _Node())
                vocab.add(token)
            node.entry = entry
        self.vocab = frozenset(vocab)
        near: dict[str, set[str]] = {}
        for token in vocab:
            if len(token) >= FUZZY_MIN_LEN and token.isalpha():
                for variant in _deletions(token) | {token}:
                    near.setdefault(variant, set()).add(token)
        self._near = {k: tuple(sorted(v)) for k, v in near.items()}
        self._shapes = frozenset((t[0], len(t)) for t in vocab if len(t) >= FUZZY_MIN_LEN and t.isalpha())
        self._cache: dict[str, tuple[tuple[str, int], ...]] = {}

    def resolve(self, token: str) -> tuple[tuple[str, int], ...]:
        """Alias words this text word can stand for, each with 1 if it took a typo fix, else 0."""
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        if token in self.vocab:
            result: tuple[tuple[str, int], ...] = ((token, 0),)
        elif len(token) < FUZZY_MIN_LEN or not token.isalpha() or token in NEVER_CORRECT:
            result = ()
        else:
            result = self._near_words(token)
        if len(self._cache) < 20_000:
            self._cache[token] = result
        return result

    def _near_words(self, token: str) -> tuple[tuple[str, int], ...]:
        """Alias words one typo away from token, with the same first letter."""
        first, size = token[0], len(token)
        shapes = self._shapes
        if (first, size) not in shapes and (first, size - 1) not in shapes and (first, size + 1) not in shapes:
            return ()
        near = self._near
        found: set[str] = set(near.get(token, ()))
        for i in range(size):
            hit = near.get(token[:i] + token[i + 1 :])
            if hit:
                found.update(hit)
        return tuple((word, 1) for word in sorted(found) if word[0] == first and _one_edit(token, word))

    def find(self, tokens: Sequence[str | None]) -> list[_Match]:
        """Non-overlapping matches, longest first, then in text order; None tokens never match."""
        n = len(tokens)
        options = [self.resolve(t) if t is not None else () for t in tokens]
        found: list[_Match] = []
        for start in range(n):
            if not options[start]:
                continue
            stack = [(self.root, start, 0)]
            while stack:
                node, pos, typos = stack.pop()
                if node.entry is not None and pos > start:
                    found.append(_Match(start, pos, node.entry, typos))
                if pos < n:
                    for word, typo in options[pos]:
                        child = node.children.get(word)
                        if child is not None:
                            stack.append((child, pos + 1, typos + typo))
        found.sort(key=lambda m: (m.start - m.end, m.typos, m.start, m.entry))
        taken = bytearray(n)
        chosen: list[_Match] = []
        for match in found:
            if not any(taken[match.start : match.end]):
                taken[match.start : match.end] = b"\x01" * (match.end - match.start)
                chosen.append(match)
        chosen.sort(key=lambda m: m.start)
        return chosen


def _keys(entries: Sequence[Study] | Sequence[Hobby]) -> list[tuple[tuple[str, ...], int]]:
    keys: dict[tuple[str, ...], int] = {}
    for index, entry in enumerate(entries):
        for phrase in (entry.name, *entry.aliases):
            keys.setdefault(tuple(words(phrase)), index)
    return list(keys.items())


_LEVEL_INDEX = _Index((tuple(words(phrase)), LEVELS.index(level)) for phrase, level in LEVEL_PHRASES.items())


@dataclass(frozen=True)
class Lexicons:
    studies: tuple[Study, ...]
    hobbies: tuple[Hobby, ...]
    _study_index: _Index = field(init=False, repr=False, compare=False)
    _hobby_index: _Index = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_study_index", _Index(_keys(self.studies)))
        object.__setattr__(self, "_hobby_index", _Index(_keys(self.hobbies)))

    def study(self, study_id: str) -> Study:
        """The study with this id; KeyError if unknown."""
        for study in self.studies:
            if study.id == study_id:
                return study
        raise KeyError(study_id)

    def hobby(self, hobby_id: str) -> Hobby:
        """The hobby with this id; KeyError if unknown."""
        for hobby in self.hobbies:
            if hobby.id == hobby_id:
                return hobby
        raise KeyError(hobby_id)

    def find_studies(self, text: str) -> list[StudyHit]:
        """Studies named in text, once each, in text order, with the level the pupil said for each."""
        tokens = words(text)
        matches = self._study_index.find(tokens)
        free: list[str | None] = list(tokens)
        for match in matches:
            free[match.start : match.end] = [None] * (match.end - match.start)
        said = _assign_levels(matches, _LEVEL_INDEX.find(free), tokens)
        first: dict[int, int] = {}
        level_of: dict[int, str | None] = {}
        for i, match in enumerate(matches):
            first.setdefault(match.entry, i)
            if level_of.get(match.entry) is None:
                level_of[match.entry] = said[i]
        return [
            StudyHit(self.studies[entry], level_of[entry], matches[i].start, matches[i].end)
            for entry, i in first.items()
        ]

    def find_hobbies(self, text: str) -> list[Hobby]:
        """Hobbies named in text, once each, in text order."""
        seen: dict[int, None] = {}
        for match in self._hobby_index.find(words(text)):
            seen.setdefault(match.entry, None)
        return [self.hobbies[entry] for entry in seen]


def _assign_levels(studies: list[_Match], levels: list[_Match], tokens: list[str]) -> list[str | None]:
    """The level said for each study match.

    A level word belongs to the study just before it ("bouwkunde aan de hogeschool of geneeskunde"
    gives hbo to bouwkunde only), unless a clause word such as "of" or "maar" sits in between and
    another study follows. A level word before a study ("op het hbo: bouwkunde of werktuigbouwkunde")
    holds for the studies that follow, until a study has a level word of its own.
    """
    own: dict[int, str] = {}
    leading: dict[int, str] = {}
    for level in levels:
        value = LEVELS[level.entry]
        prev = max((i for i, s in enumerate(studies) if s.end <= level.start), default=None)
        nxt = min((i for i, s in enumerate(studies) if s.start >= level.end), default=None)
        new_clause = prev is not None and any(w in _CLAUSE_WORDS for w in tokens[studies[prev].end : level.start])
        if prev is not None and prev not in own and (not new_clause or nxt is None):
            own[prev] = value
        elif nxt is not None:
            leading[nxt] = value
    result: list[str | None] = []
    carry: str | None = None
    for i in range(len(studies)):
        carry = leading.get(i, carry)
        if i in own:
            result.append(own[i])
            carry = None
        else:
            result.append(carry)
    return result


# ---------------------------------------------------------------- loading and validation


class _Problems:
    """Collects '<file>: <key path>: message' lines; raises them together."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.lines: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.lines.append(f"{self.file}: {path}: {message}")

    def raise_if_any(self) -> None:
        if self.lines:
            raise LexiconError("\n".join(self.lines))


def _entry_path(index: int, raw: Any) -> str:
    ident = raw.get("id") if isinstance(raw, dict) else None
    return f"[{index}] ({ident})" if isinstance(ident, str) and ident else f"[{index}]"


def _read_list(path: Path) -> list[Any]:
    file = path.name
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.load(handle, Loader=_YAML_LOADER)  # noqa: S506 (a safe loader)
    except FileNotFoundError as exc:
        raise LexiconError(f"{file}: <file>: not found") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "<file>"
        raise LexiconError(f"{file}: {where}: invalid YAML: {exc}") from exc
    if not isinstance(data, list):
        got = "nothing" if data is None else type(data).__name__
        raise LexiconError(f"{file}: <root>: expected a list of entries, got {got}")
    return data


def _check_common(
    raw: Any, where: str, problems: _Problems, required: dict[str, type], ids: dict[str, str]
) -> dict[str, Any] | None:
    """Checks shared by both files: mapping, known keys, required keys with types, id format and uniqueness."""
    if not isinstance(raw, dict):
        problems.add(where, f"expected a mapping with {', '.join(required)}, got {type(raw).__name__}")
        return None
    ok = True
    for key in raw:
        if key not in required:
            problems.add(f"{where}.{key}", f"unknown key (allowed: {', '.join(required)})")
            ok = False
    for key, kind in required.items():
        if key not in raw or raw[key] is None:
            problems.add(f"{where}.{key}", "missing")
            ok = False
            continue
        value = raw[key]
        if kind is bool and not isinstance(value, bool):
            problems.add(f"{where}.{key}", f"expected true or false, got {value!r}")
            ok = False
        elif kind is str and (not isinstance(value, str) or not value.strip()):
            problems.add(f"{where}.{key}", f"expected non-empty text, got {value!r}")
            ok = False
        elif kind is list and not isinstance(value, list):
            problems.add(f"{where}.{key}", f"expected a list, got {type(value).__name__}")
            ok = False
    ident = raw.get("id")
    if isinstance(ident, str):
        if not _ID.match(ident):
            problems.add(f"{where}.id", f"id must be lowercase letters, digits and _ (got {ident!r})")
            ok = False
        elif ident in ids:
            problems.add(f"{where}.id", f"duplicate id {ident!r} (also at {ids[ident]})")
            ok = False
        else:
            ids[ident] = where
    return raw if ok else None


def _check_aliases(
    raw: dict[str, Any], where: str, problems: _Problems, owners: dict[tuple[str, ...], str]
) -> tuple[str, ...] | None:
    """Aliases: non-empty list of lowercase text, each key owned by one entry (the name counts too)."""
    aliases = raw["aliases"]
    if not aliases:
        problems.add(f"{where}.aliases", "empty list: give at least one alias")
        return None
    ok = True
    mine: set[tuple[str, ...]] = set()
    name_key = tuple(words(raw["name"]))
    for pos, (phrase, alias_where) in enumerate(
        [(raw["name"], f"{where}.name"), *((a, f"{where}.aliases[{i}]") for i, a in enumerate(aliases))]
    ):
        if pos > 0:
            if not isinstance(phrase, str) or not phrase.strip():
                problems.add(alias_where, f"expected non-empty text, got {phrase!r}")
                ok = False
                continue
            if phrase != phrase.lower():
                problems.add(alias_where, f"alias {phrase!r} must be lowercase")
                ok = False
                continue
        key = tuple(words(phrase))
        if not key:
            problems.add(alias_where, f"{phrase!r} has no letters or digits")
            ok = False
            continue
        if key in mine:
            continue
        owner = owners.get(key)
        if owner is not None:
            what = "name" if key == name_key and pos == 0 else "alias"
            problems.add(alias_where, f"duplicate {what} {' '.join(key)!r}: already used by {owner}")
            ok = False
            continue
        mine.add(key)
    if ok:
        for key in mine:
            owners[key] = where
        return tuple(a.strip() for a in aliases)
    return None


_STUDY_FIELDS: dict[str, type] = {
    "id": str,
    "name": str,
    "levels": list,
    "sector": str,
    "technical": bool,
    "aliases": list,
}
_HOBBY_FIELDS: dict[str, type] = {"id": str, "name": str, "technical": bool, "social": str, "aliases": list}


def _load_studies(path: Path) -> tuple[Study, ...]:
    problems = _Problems(path.name)
    ids: dict[str, str] = {}
    owners: dict[tuple[str, ...], str] = {}
    studies: list[Study] = []
    for index, raw in enumerate(_read_list(path)):
        where = _entry_path(index, raw)
        entry = _check_common(raw, where, problems, _STUDY_FIELDS, ids)
        if entry is None:
            continue
        ok = True
        levels = entry["levels"]
        bad = [lv for lv in levels if lv not in LEVELS]
        if not levels:
            problems.add(f"{where}.levels", "empty list: use hbo, wo or both")
            ok = False
        elif bad:
            problems.add(f"{where}.levels", f"unknown level {bad[0]!r}; expected {' or '.join(LEVELS)}")
            ok = False
        elif len(set(levels)) != len(levels):
            problems.add(f"{where}.levels", "a level is listed twice")
            ok = False
        if entry["sector"] not in SECTORS:
            problems.add(f"{where}.sector", f"unknown sector {entry['sector']!r}; expected one of {', '.join(SECTORS)}")
            ok = False
        aliases = _check_aliases(entry, where, problems, owners)
        if ok and aliases is not None:
            studies.append(
                Study(
                    id=entry["id"],
                    name=entry["name"].strip(),
                    levels=tuple(lv for lv in LEVELS if lv in levels),
                    sector=entry["sector"],
                    technical=entry["technical"],
                    aliases=aliases,
                )
            )
    problems.raise_if_any()
    if not studies:
        raise LexiconError(f"{path.name}: <root>: no entries")
    return tuple(studies)


def _load_hobbies(path: Path) -> tuple[Hobby, ...]:
    problems = _Problems(path.name)
    ids: dict[str, str] = {}
    owners: dict[tuple[str, ...], str] = {}
    hobbies: list[Hobby] = []
    for index, raw in enumerate(_read_list(path)):
        where = _entry_path(index, raw)
        entry = _check_common(raw, where, problems, _HOBBY_FIELDS, ids)
        if entry is None:
            continue
        ok = True
        if entry["social"] not in SOCIALS:
            problems.add(f"{where}.social", f"unknown value {entry['social']!r}; expected one of {', '.join(SOCIALS)}")
            ok = False
        aliases = _check_aliases(entry, where, problems, owners)
        if ok and aliases is not None:
            hobbies.append(
                Hobby(
                    id=entry["id"],
                    name=entry["name"].strip(),
                    technical=entry["technical"],
                    social=entry["social"],
                    aliases=aliases,
                )
            )
    problems.raise_if_any()
    if not hobbies:
        raise LexiconError(f"{path.name}: <root>: no entries")
    return tuple(hobbies)


@functools.lru_cache(maxsize=8)
def load_lexicons(directory: Path = LEXICON_DIR) -> Lexicons:
    """Load and validate studies.yml and hobbies.yml from directory; cached per path."""
    directory = Path(directory)
    return Lexicons(
        studies=_load_studies(directory / STUDIES_FILE),
        hobbies=_load_hobbies(directory / HOBBIES_FILE),
    )
