"""The study-choice glossary: load content/glossary.yml and find the word a pupil asks about.

Pupils type "wat is een master?", "wat betekent cum laude", "studiekeuzecheck??" or "wat houdt proefstuderen in".
`Glossary.lookup` finds the entry (capitals, accents, "&" and spaces ignored; one typo in a long word tolerated;
the longest matching alias wins) and `Glossary.is_definition_question` tells whether the message asks what a word
means at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot import ROOT
from bot.core.content import ContentError
from bot.core.qa_match import within_one_edit
from bot.core.text import words

GLOSSARY_PATH = ROOT / "content" / "glossary.yml"

FUZZY_MIN_LETTERS = 7  # a word this long may carry one typo
MAX_SENTENCES = 2
_MAX_WINDOW = 4  # "studie keuze check" typed as separate words still finds "studiekeuzecheck"
_ENTRY_KEYS = {"term", "aliases", "text"}
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# A sentence ends at . ! or ? followed by a capital or digit (or the end), so "de titel ir. voor" stays one sentence.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9À-ÖØ-Þ'\"(])")


GlossaryError = ContentError  # one error type for every broken content file


def sentences(text: str) -> list[str]:
    """The sentences of a glossary text (plain split on end marks; abbreviations followed by lowercase stay)."""
    stripped = " ".join((text or "").split())
    return [part for part in _SENTENCE_END.split(stripped) if part] if stripped else []


@dataclass(frozen=True)
class Entry:
    """One glossary word: the term as shown, what pupils may type for it, and one or two plain sentences."""

    term: str
    aliases: tuple[str, ...]
    text: str

    @property
    def forms(self) -> tuple[str, ...]:
        """Everything that finds this entry: the term first, then the aliases."""
        return (self.term, *self.aliases)


@dataclass(frozen=True)
class _Form:
    entry: Entry
    tokens: tuple[str, ...]
    compact: str


@dataclass(frozen=True)
class _Match:
    entry: Entry
    start: int
    end: int  # exclusive, in pupil words
    length: int  # letters in the matched form, for "the longest alias wins"
    exact: bool


# ------------------------------------------------------------------ typo tolerance


# ------------------------------------------------------------------ definition questions

_WAT = {"wat", "wa", "wt", "wad", "wut", "watt"}
# (leading words, words that must close the question). "wat" stands for any spelling in _WAT.
_DEFINITION_FRAMES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("wat", "is", "de", "betekenis", "van"), ()),
    (("wat", "betekent", "het", "woord"), ()),
    (("wat", "bedoel", "je", "met"), ()),
    (("wat", "bedoelt", "je", "met"), ()),
    (("wat", "bedoel", "jij", "met"), ()),
    (("wat", "bedoelen", "jullie", "met"), ()),
    (("wat", "bedoelen", "ze", "met"), ()),
    (("wat", "wordt", "bedoeld", "met"), ()),
    (("wat", "word", "bedoeld", "met"), ()),
    (("wat", "moet", "ik", "verstaan", "onder"), ()),
    (("wat", "versta", "je", "onder"), ()),
    (("wat", "doe", "je", "op", "een"), ()),
    (("wat", "doe", "je", "bij", "een"), ()),
    (("wat", "doe", "je", "tijdens", "een"), ()),
    (("wat", "doet", "een"), ()),
    (("wat", "betekent"), ()),
    (("wat", "betekend"), ()),
    (("wat", "beteken"), ()),
    (("wat", "betekenen"), ()),
    (("wat", "houdt"), ("in",)),
    (("wat", "houd"), ("in",)),
    (("wat", "houden"), ("in",)),
    (("wat", "wil"), ("zeggen",)),
    (("waar", "staat"), ("voor",)),
    (("waar", "staan"), ("voor",)),
    (("leg", "uit", "wat"), ("is",)),
    (("leg", "eens", "uit", "wat"), ("is",)),
    (("kun", "je", "uitleggen", "wat"), ("is",)),
    (("kan", "je", "uitleggen", "wat"), ("is",)),
    (("weet", "je", "wat"), ("is",)),
    (("betekenis", "van"), ()),
    (("uitleg", "over"), ()),
    (("wat", "is"), ()),
    (("wat", "zijn"), ()),
)
_ARTICLES = {"een", "de", "het", "t", "n", "dat", "die", "eigenlijk", "nou", "precies", "dan", "nu", "toch"}
_FILLERS = {"eigenlijk", "precies", "nou", "dan", "nu", "toch", "ook", "eens", "dat", "weer", "hier"}
_BARE_LEAD = {"en", "dus", "eh", "uh", "ehm", "uhm", "hm", "hmm", "huh", "he", "een", "de", "het"}
# Words that make "wat is ..." a question about someone's story, not about a word ("wat is de stage van luuk").
_NOT_A_WORD = {"van", "zijn", "zn", "hij", "hem", "haar", "jij", "jouw", "jou", "je", "ik", "mijn", "mn", "jullie"}
_NOT_A_WORD |= {"verschil", "tussen", "beter", "beste", "handigste", "leukste", "moeilijkste", "makkelijkste"}
_MAX_SUBJECT_WORDS = 4


def _strip(tokens: list[str], lead: set[str], tail: set[str]) -> list[str]:
    start, end = 0, len(tokens)
    while start < end and tokens[start] in lead:
        start += 1
    while end > start and tokens[end - 1] in tail:
        end -= 1
    return tokens[start:end]


def definition_subject(text: str) -> list[str] | None:
    """The words a "wat is/betekent/bedoel je met/houdt ... in" question asks about, or None for other shapes."""
    tokens = words(text)
    if tokens and tokens[0] in _WAT:
        tokens = ["wat", *tokens[1:]]
    for lead, tail in _DEFINITION_FRAMES:
        if tuple(tokens[: len(lead)]) != lead:
            continue
        rest = tokens[len(lead) :]
        rest = _strip(rest, set(), _FILLERS)
        if tail:
            if tuple(rest[-len(tail) :]) != tail:
                continue
            rest = rest[: -len(tail)]
        subject = _strip(rest, _ARTICLES, _FILLERS)
        if 1 <= len(subject) <= _MAX_SUBJECT_WORDS and not _NOT_A_WORD & set(subject):
            return subject
        return None
    return None


# ------------------------------------------------------------------ the glossary


class Glossary:
    """The loaded glossary, with lookup of the word a pupil asks about."""

    def __init__(self, entries: tuple[Entry, ...]) -> None:
        self.entries = entries
        self._by_term = {entry.term: entry for entry in entries}
        self._forms = tuple(
            _Form(entry, tuple(words(form)), "".join(words(form))) for entry in entries for form in entry.forms
        )
        self._by_compact: dict[str, list[_Form]] = {}
        for form in self._forms:
            self._by_compact.setdefault(form.compact, []).append(form)
        self._known = {token for form in self._forms for token in form.tokens} | set(self._by_compact)
        self._long_known = tuple(word for word in self._known if len(word) >= FUZZY_MIN_LETTERS)
        self._typo_cache: dict[str, dict[str, bool]] = {}

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def get(self, term: str) -> Entry:
        """The entry with exactly this term; KeyError if there is none."""
        return self._by_term[term]

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(self._by_term)

    # -------------------------------------------------------------- matching

    def _readings(self, typed: str) -> dict[str, bool]:
        """Known words this pupil word can stand for: itself (exact, True) or, if it is not a known word itself,
        every known word of 7+ letters one typo away (False)."""
        if typed in self._known:
            return {typed: True}
        if typed not in self._typo_cache:
            close = {}
            if len(typed) >= FUZZY_MIN_LETTERS - 1:
                close = {word: False for word in self._long_known if within_one_edit(typed, word)}
            self._typo_cache[typed] = close
        return self._typo_cache[typed]

    def _matches(self, tokens: list[str]) -> list[_Match]:
        readings = [self._readings(token) for token in tokens]
        found: list[_Match] = []
        for form in self._forms:
            size = len(form.tokens)
            for start in range(len(tokens) - size + 1):
                verdicts = [readings[start + i].get(known) for i, known in enumerate(form.tokens)]
                if None not in verdicts:
                    found.append(_Match(form.entry, start, start + size, len(form.compact), all(verdicts)))
        # Words typed apart or together: "studie keuze check", "opendag", "pre master".
        for window in range(2, _MAX_WINDOW + 1):
            for start in range(len(tokens) - window + 1):
                for form in self._by_compact.get("".join(tokens[start : start + window]), ()):
                    found.append(_Match(form.entry, start, start + window, len(form.compact), True))
        for start, options in enumerate(readings):
            for known, exact in options.items():
                for form in self._by_compact.get(known, ()):
                    if len(form.tokens) > 1:  # one typed word for a form of several: "numerusfixus"
                        found.append(_Match(form.entry, start, start + 1, len(form.compact), exact))
        return found

    @staticmethod
    def _best(found: list[_Match]) -> Entry | None:
        """Longest form first, then exact before a typo, then the earliest in the message."""
        if not found:
            return None
        return max(found, key=lambda m: (m.length, m.exact, -m.start)).entry

    def lookup(self, text: str) -> Entry | None:
        """The entry a pupil asks about in `text`, or None.

        The longest matching alias wins (on equal length, exact beats a typo). In a definition question the word
        right after "wat is/betekent ..." goes first, so "wat is e&m eigenlijk voor profiel" finds E&M.
        """
        subject = definition_subject(text)
        if subject:
            first = [match for match in self._matches(subject) if match.start == 0]
            if first:
                return self._best(first)
        return self._best(self._matches(words(text)))

    def is_definition_question(self, text: str) -> bool:
        """True for "wat is/betekent/bedoel je met/houdt ... in"-style questions and for a bare term with "?".

        The first kind is recognised by its shape alone ("wat is een hypotheek" counts; lookup then finds nothing);
        questions about someone's story ("wat is de stage van luuk") or comparisons do not count.
        """
        if definition_subject(text) is not None:
            return True
        if not (text or "").rstrip().endswith("?"):
            return False
        tokens = _strip(words(text), _BARE_LEAD, _FILLERS)
        if not tokens:
            return False
        return any(m.start == 0 and m.end == len(tokens) for m in self._matches(tokens))


# ------------------------------------------------------------------ loading and validation


def _fail(file: str, path: str, message: str) -> GlossaryError:
    return GlossaryError(f"{file}: {path}: {message}")


def _read(path: Path, file: str) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.load(handle, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader, C version when present
    except FileNotFoundError as exc:
        raise _fail(file, "<file>", "not found") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "<file>"
        raise _fail(file, where, f"invalid YAML: {exc}") from exc


def _entry(raw: Any, index: int, file: str) -> Entry:
    if not isinstance(raw, dict):
        raise _fail(file, f"[{index}]", f"expected a mapping with term, aliases and text, got {type(raw).__name__}")
    term = raw.get("term")
    if not isinstance(term, str) or not term.strip():
        raise _fail(file, f"[{index}].term", "missing" if term is None else "expected non-empty text")
    term = term.strip()
    where = f"[{index}] ({term})"
    if not words(term):
        raise _fail(file, f"{where}.term", "needs at least one letter or digit")
    for key in raw:
        if key not in _ENTRY_KEYS:
            raise _fail(file, f"{where}.{key}", f"unknown key (allowed: {', '.join(sorted(_ENTRY_KEYS))})")

    aliases = raw.get("aliases")
    if aliases is None:
        raise _fail(file, f"{where}.aliases", "missing (use [] if pupils only type the term itself)")
    if not isinstance(aliases, list):
        raise _fail(file, f"{where}.aliases", f"expected a list, got {type(aliases).__name__}")
    cleaned: list[str] = []
    for i, alias in enumerate(aliases):
        path = f"{where}.aliases[{i}]"
        if not isinstance(alias, str) or not alias.strip():
            raise _fail(file, path, "expected non-empty text")
        alias = alias.strip()
        if alias != alias.lower():
            raise _fail(file, path, f"write aliases in lowercase (got {alias!r})")
        if not words(alias):
            raise _fail(file, path, "needs at least one letter or digit")
        cleaned.append(alias)

    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        raise _fail(file, f"{where}.text", "missing" if text is None else "expected non-empty text")
    text = " ".join(text.split())
    if text[-1] not in ".!?":
        raise _fail(file, f"{where}.text", "end the text with '.', '!' or '?'")
    count = len(sentences(text))
    if not 1 <= count <= MAX_SENTENCES:
        raise _fail(file, f"{where}.text", f"expected 1 or {MAX_SENTENCES} sentences, found {count}")
    return Entry(term=term, aliases=tuple(cleaned), text=text)


def load_glossary(path: Path | str = GLOSSARY_PATH) -> Glossary:
    """Read and validate a glossary file; any mistake raises GlossaryError naming the file and the key path."""
    path = Path(path)
    file = path.name
    raw = _read(path, file)
    if not isinstance(raw, list) or not raw:
        raise _fail(file, "<root>", "expected a non-empty list of entries (- term: ..., aliases: [...], text: ...)")
    entries = tuple(_entry(item, i, file) for i, item in enumerate(raw))

    # Every form must point at one entry only; spaces, capitals, accents and "&" do not make forms different.
    owner: dict[str, tuple[int, str]] = {}
    for index, entry in enumerate(entries):
        where = f"[{index}] ({entry.term})"
        for i, form in enumerate(entry.forms):
            key = "".join(words(form))
            path_ = f"{where}.term" if i == 0 else f"{where}.aliases[{i - 1}]"
            if key in owner:
                other_index, other_form = owner[key]
                other = f"[{other_index}] ({entries[other_index].term})"
                same = "this entry" if other_index == index else other
                raise _fail(file, path_, f"{form!r} is the same as {other_form!r} of {same}")
            owner[key] = (index, form)
    return Glossary(entries)
