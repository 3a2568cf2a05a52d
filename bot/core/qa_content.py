"""Content for the question answerer: yes/no facts and comparisons (content/persona_facts.yml) and the hbo route
answers (content/hbo.yml). Loaded and validated like the questionnaire: every mistake raises ContentError with a
message that starts "<file>: <key path>: ".
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot import ROOT
from bot.core.content import ContentError, Persona, Questionnaire, get_personas, get_questionnaire
from bot.core.glossary import sentences
from bot.core.qa_match import Pattern, patterns

FACTS_PATH = ROOT / "content" / "persona_facts.yml"
ROUTES_PATH = ROOT / "content" / "hbo.yml"

ANSWERS = ("yes", "no", "partly", "unknown")
TOPICS = (
    "childhood",
    "secondary",
    "study_choice",
    "during_study",
    "internship_graduation",
    "first_job",
    "doubt",
    "motives",
)
MAX_SENTENCES = 3
# The replies when the cards hold no answer (persona_facts.yml, replies), with the placeholders each may use.
REPLIES: dict[str, frozenset[str]] = {
    "unknown_fact": frozenset({"name"}),
    "unknown_word": frozenset(),
    "offtopic_person": frozenset({"name"}),
    "offtopic": frozenset(),
}


@dataclass(frozen=True)
class FactAnswer:
    answer: str  # yes | no | partly | unknown
    say: str  # his reason in his own words; may be empty for unknown


@dataclass(frozen=True)
class Fact:
    id: str
    ask: tuple[Pattern, ...]
    topic: str
    answers: Mapping[str, FactAnswer]


@dataclass(frozen=True)
class Aspect:
    id: str
    ask: tuple[Pattern, ...]
    lead: str
    lines: Mapping[str, str]
    pairs: Mapping[frozenset[str], str]


@dataclass(frozen=True)
class Facts:
    facts: Mapping[str, Fact]
    aspects: Mapping[str, Aspect]  # in file order, which is the order of preference
    not_on_card: tuple[Pattern, ...]
    question_names: Mapping[str, str]
    replies: Mapping[str, str]  # REPLIES, with their {placeholders} still in


@dataclass(frozen=True)
class RouteTopic:
    id: str
    ask: tuple[Pattern, ...]
    text: str
    note: str = ""  # replaces the general note for this topic


@dataclass(frozen=True)
class Routes:
    route_words: tuple[Pattern, ...]
    note: str
    decaan: str
    topics: Mapping[str, RouteTopic]


# ------------------------------------------------------------------ helpers


def _fail(file: str, key: str, message: str) -> ContentError:
    return ContentError(f"{file}: {key}: {message}")


def _read(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise _fail(path.name, "<file>", "not found") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "<file>"
        raise _fail(path.name, where, f"invalid YAML: {exc}") from exc


def _mapping(value: Any, file: str, key: str) -> dict[str, Any]:
    if not isinstance(value, dict) or not value:
        raise _fail(file, key, "expected a non-empty mapping")
    return value


def _keys(value: dict[str, Any], file: str, key: str, required: Iterable[str], optional: Iterable[str] = ()) -> None:
    allowed = {*required, *optional}
    for name in value:
        if name not in allowed:
            raise _fail(file, f"{key}.{name}", f"unknown key (allowed: {', '.join(sorted(allowed))})")
    for name in required:
        if name not in value:
            raise _fail(file, f"{key}.{name}", "missing")


def _text(value: Any, file: str, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(file, key, "expected non-empty text")
    text = " ".join(value.split())
    if text[-1] not in ".!?":
        raise _fail(file, key, "end the text with '.', '!' or '?'")
    count = len(sentences(text))
    if count > MAX_SENTENCES:
        raise _fail(file, key, f"at most {MAX_SENTENCES} short sentences")
    return text


def _patterns(value: Any, file: str, key: str) -> tuple[Pattern, ...]:
    if not isinstance(value, list) or not value:
        raise _fail(file, key, "expected a non-empty list of phrases")
    for i, phrase in enumerate(value):
        if not isinstance(phrase, str) or not phrase.strip():
            raise _fail(file, f"{key}[{i}]", "expected a phrase")
        if phrase != phrase.lower():
            raise _fail(file, f"{key}[{i}]", f"write phrases in lowercase (got {phrase!r})")
        if not Pattern.parse(phrase).tokens:
            raise _fail(file, f"{key}[{i}]", "needs at least one word")
    return patterns(value)


# ------------------------------------------------------------------ persona_facts.yml


def load_facts(
    path: Path | str = FACTS_PATH,
    personas: Mapping[str, Persona] | None = None,
    questionnaire: Questionnaire | None = None,
) -> Facts:
    """Read and validate the facts file against the persona cards and the questionnaire."""
    path = Path(path)
    file = path.name
    personas = personas or get_personas()
    questionnaire = questionnaire or get_questionnaire()
    raw = _mapping(_read(path), file, "<root>")
    _keys(raw, file, "<root>", ("facts", "compare", "not_on_card", "questions", "replies"))

    facts: dict[str, Fact] = {}
    for fact_id, body in _mapping(raw["facts"], file, "facts").items():
        key = f"facts.{fact_id}"
        body = _mapping(body, file, key)
        _keys(body, file, key, ("ask", "topic", *personas))
        if body["topic"] not in TOPICS:
            raise _fail(file, f"{key}.topic", f"unknown topic {body['topic']!r} (one of: {', '.join(TOPICS)})")
        answers: dict[str, FactAnswer] = {}
        for pid in personas:
            where = f"{key}.{pid}"
            entry = _mapping(body[pid], file, where)
            _keys(entry, file, where, ("answer",), ("say",))
            answer = str(entry["answer"]).lower() if isinstance(entry["answer"], (str, bool)) else entry["answer"]
            if entry["answer"] is True:  # YAML reads a bare yes as True
                answer = "yes"
            elif entry["answer"] is False:
                answer = "no"
            if answer not in ANSWERS:
                raise _fail(file, f"{where}.answer", f"expected one of {', '.join(ANSWERS)}, got {entry['answer']!r}")
            say = _text(entry["say"], file, f"{where}.say") if "say" in entry else ""
            if answer != "unknown" and not say:
                raise _fail(file, f"{where}.say", "missing: give his reason from the card")
            answers[pid] = FactAnswer(answer, say)
        facts[fact_id] = Fact(fact_id, _patterns(body["ask"], file, f"{key}.ask"), body["topic"], answers)

    aspects: dict[str, Aspect] = {}
    for aspect_id, body in _mapping(raw["compare"], file, "compare").items():
        key = f"compare.{aspect_id}"
        body = _mapping(body, file, key)
        _keys(body, file, key, ("ask", "lead", "lines"), ("pairs",))
        lines = _mapping(body["lines"], file, f"{key}.lines")
        _keys(lines, file, f"{key}.lines", tuple(personas))
        pairs: dict[frozenset[str], str] = {}
        for pair_key, text in (body.get("pairs") or {}).items():
            ids = str(pair_key).split("_")
            if len(ids) != 2 or not set(ids) <= set(personas) or ids[0] == ids[1]:
                raise _fail(file, f"{key}.pairs.{pair_key}", "expected <id>_<id> of two different persons")
            pairs[frozenset(ids)] = _text(text, file, f"{key}.pairs.{pair_key}")
        aspects[aspect_id] = Aspect(
            aspect_id,
            _patterns(body["ask"], file, f"{key}.ask"),
            _text(body["lead"], file, f"{key}.lead"),
            {pid: _text(lines[pid], file, f"{key}.lines.{pid}") for pid in personas},
            pairs,
        )
    if "general" not in aspects:
        raise _fail(file, "compare.general", "missing (the answer when a comparison names no aspect)")

    names = _mapping(raw["questions"], file, "questions")
    known = {question.id for question in questionnaire.questions}
    for question_id, name in names.items():
        if question_id not in known:
            raise _fail(file, f"questions.{question_id}", "not a question in the questionnaire")
        if not isinstance(name, str) or not name.strip():
            raise _fail(file, f"questions.{question_id}", "expected a short name")
    replies_raw = _mapping(raw["replies"], file, "replies")
    _keys(replies_raw, file, "replies", tuple(REPLIES))
    replies: dict[str, str] = {}
    for reply_id, allowed in REPLIES.items():
        key = f"replies.{reply_id}"
        text = _text(replies_raw[reply_id], file, key)
        try:
            used = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError as exc:
            raise _fail(file, key, f"broken {{placeholder}}: {exc}") from None
        if used - allowed:
            known = ", ".join(f"{{{n}}}" for n in sorted(allowed)) or "none"
            raise _fail(file, key, f"unknown placeholder {{{sorted(used - allowed)[0]}}} (this text may use: {known})")
        replies[reply_id] = text
    return Facts(
        facts=facts,
        aspects=aspects,
        not_on_card=_patterns(raw["not_on_card"], file, "not_on_card"),
        question_names={qid: str(name).strip() for qid, name in names.items()},
        replies=replies,
    )


# ------------------------------------------------------------------ hbo.yml


def load_routes(path: Path | str = ROUTES_PATH) -> Routes:
    path = Path(path)
    file = path.name
    raw = _mapping(_read(path), file, "<root>")
    _keys(raw, file, "<root>", ("route_words", "note", "decaan", "topics"))
    topics: dict[str, RouteTopic] = {}
    for topic_id, body in _mapping(raw["topics"], file, "topics").items():
        key = f"topics.{topic_id}"
        body = _mapping(body, file, key)
        _keys(body, file, key, ("ask", "text"), ("note",))
        topics[topic_id] = RouteTopic(
            topic_id,
            _patterns(body["ask"], file, f"{key}.ask"),
            _text(body["text"], file, f"{key}.text"),
            _text(body["note"], file, f"{key}.note") if "note" in body else "",
        )
    return Routes(
        route_words=_patterns(raw["route_words"], file, "route_words"),
        note=_text(raw["note"], file, "note"),
        decaan=_text(raw["decaan"], file, "decaan"),
        topics=topics,
    )


@lru_cache(maxsize=1)
def get_facts() -> Facts:
    return load_facts()


@lru_cache(maxsize=1)
def get_routes() -> Routes:
    return load_routes()
