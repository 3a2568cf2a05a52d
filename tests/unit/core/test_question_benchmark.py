"""benchmarks/questions.yml, the question set for `make bench-qa`: format, sources that point at real content,
no overlap with the NLU training data, and enough questions of every kind."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from typing import Any

import pytest
import yaml

from bot import ROOT
from bot.core.glossary import load_glossary
from bot.core.text import words

BENCHMARK = ROOT / "benchmarks" / "questions.yml"
PERSONAS_DIR = ROOT / "personas"
NLU_DIR = ROOT / "data" / "nlu"

PHASES = ("childhood", "secondary", "study_choice", "during_study", "internship_graduation", "first_job")
CARD_EXTRA_TOPICS = {"doubt": "doubt", "motives": "motives_text", "intro": "intro"}  # topic -> card key
COMPARE_ASPECTS = {
    "doubt", "open_days", "hobbies", "technical", "profile", "work", "grades", "social", "challenge", "ambition",
    "exploration", "commitment", "general",
}  # fmt: skip
YESNO_ANSWERS = {"yes", "no", "unknown"}
FACT_ID = re.compile(r"^[a-z][a-z0-9_]*$")
PEOPLE = {"joost", "luuk", "tim", "jij", "je", "hij", "hem", "jou", "jouw", "zijn", "zn", "jullie"}
GROUP_WORDS = {"jullie", "drie", "3", "allebei", "alle", "allemaal", "beide"}

MINIMUM = {"card": 45, "compare": 20, "why": 15, "yesno": 25, "glossary": 30, "hbo": 10, "offtopic": 15}
MINIMUM_UNKNOWN = 6
MINIMUM_TOTAL = 160

_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\{[^}]*\}|\([^)]*\))")


def _key(text: str) -> str:
    return " ".join(words(text))


@lru_cache(maxsize=1)
def _cards() -> dict[str, dict[str, Any]]:
    cards = {}
    for path in sorted(PERSONAS_DIR.glob("*.yml")):
        card = yaml.safe_load(path.read_text(encoding="utf-8"))
        cards[card["id"]] = card
    return cards


@lru_cache(maxsize=1)
def _benchmark() -> dict[str, Any]:
    return yaml.safe_load(BENCHMARK.read_text(encoding="utf-8"))


def _questions() -> list[tuple[str, dict[str, Any]]]:
    """(match, question) for every question in the file."""
    return [(block["match"], q) for block in _benchmark()["blocks"] for q in block["questions"]]


@lru_cache(maxsize=1)
def _glossary_terms() -> frozenset[str]:
    return frozenset(load_glossary().terms)


@lru_cache(maxsize=1)
def _nlu_examples() -> frozenset[str]:
    """Every example line of every NLU file (intents, synonyms, lookups), annotations removed, normalised."""
    found: set[str] = set()
    for path in sorted(NLU_DIR.glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in data.get("nlu", []):
            for line in str(item.get("examples", "")).splitlines():
                line = line.strip()
                if line.startswith("- "):
                    found.add(_key(_ANNOTATION.sub(r"\1", line[2:])))
    return frozenset(found)


def _named(text: str) -> set[str]:
    """Personas named in a question (exact names; the benchmark spells names correctly when it names them)."""
    return {pid for pid in _cards() if pid in words(text)}


def _check_source(source: str) -> str:
    """Validate one source string; return its kind."""
    parts = source.split(":")
    kind = parts[0]
    cards = _cards()
    if kind == "card":
        assert len(parts) == 3, source
        persona, topic = parts[1], parts[2]
        assert persona in cards, source
        if topic in CARD_EXTRA_TOPICS:
            assert str(cards[persona].get(CARD_EXTRA_TOPICS[topic], "")).strip(), source
        else:
            assert topic in PHASES and topic in cards[persona]["phases"], source
    elif kind == "compare":
        assert len(parts) == 2 and parts[1] in COMPARE_ASPECTS, source
    elif kind == "why":
        assert len(parts) == 2 and parts[1] in cards, source
    elif kind == "yesno":
        assert len(parts) == 4, source
        assert parts[1] in cards and FACT_ID.match(parts[2]) and parts[3] in YESNO_ANSWERS, source
    elif kind == "glossary":
        assert source.split(":", 1)[1] in _glossary_terms(), source
    else:
        assert source in ("hbo", "offtopic"), source
    return kind


# ------------------------------------------------------------------ format


def test_file_shape() -> None:
    data = _benchmark()
    assert set(data) == {"blocks"}
    matches = [block["match"] for block in data["blocks"]]
    assert sorted(matches) == sorted(_cards()), matches
    for block in data["blocks"]:
        assert set(block) == {"match", "questions"}, block.keys()
        assert isinstance(block["questions"], list) and block["questions"]
        for question in block["questions"]:
            assert set(question) == {"text", "source"}, question
            assert isinstance(question["text"], str) and isinstance(question["source"], str), question


def test_questions_are_typed_like_pupils_and_unique() -> None:
    seen: dict[str, str] = {}
    for _, question in _questions():
        text = question["text"]
        assert text == text.strip() and text, text
        assert text == text.lower(), f"pupils type without capitals: {text!r}"
        assert 1 <= len(words(text)) <= 16, text
        key = _key(text)
        assert key not in seen, f"{text!r} repeats {seen[key]!r}"
        seen[key] = text


def test_every_source_is_allowed_and_points_at_real_content() -> None:
    kinds = Counter(_check_source(question["source"]) for _, question in _questions())
    assert set(kinds) == set(MINIMUM)


def test_no_question_is_an_nlu_training_example() -> None:
    examples = _nlu_examples()
    assert len(examples) > 500  # the parser really read the NLU files
    copied = [q["text"] for _, q in _questions() if _key(q["text"]) in examples]
    assert not copied, copied


def _shape(text: str) -> tuple[str, ...]:
    """Words with names and personal pronouns made equal: "hoe was jij als kind" ~ "hoe was tim als kind"."""
    return tuple("<who>" if word in PEOPLE else word for word in text.split())


def _with_one_word_less(shape: tuple[str, ...]) -> set[tuple[str, ...]]:
    return {shape[:i] + shape[i + 1 :] for i in range(len(shape))} - {()}


def test_no_question_is_a_near_copy_of_an_nlu_example() -> None:
    """Not even one word apart: "waarom niet tim dan" ~ "waarom niet tim", "hoe was jij als kind" ~ "... tim ..."."""
    examples = {_shape(example) for example in _nlu_examples()}
    shorter = set().union(*(_with_one_word_less(example) for example in examples))
    near = []
    for _, question in _questions():
        shape = _shape(_key(question["text"]))
        if shape in examples or shape in shorter or _with_one_word_less(shape) & examples:
            near.append(question["text"])
    assert not near, near


# ------------------------------------------------------------------ counts


def test_minimum_counts() -> None:
    sources = [question["source"] for _, question in _questions()]
    kinds = Counter(source.split(":")[0] for source in sources)
    for kind, minimum in MINIMUM.items():
        assert kinds[kind] >= minimum, (kind, kinds[kind], minimum)
    assert sum(source.endswith(":unknown") for source in sources) >= MINIMUM_UNKNOWN
    assert len(sources) >= MINIMUM_TOTAL


def test_card_questions_cover_every_persona_and_phase() -> None:
    covered = {tuple(q["source"].split(":")[1:]) for _, q in _questions() if q["source"].startswith("card:")}
    for persona in _cards():
        for topic in (*PHASES, *CARD_EXTRA_TOPICS):
            assert (persona, topic) in covered, (persona, topic)


@pytest.mark.parametrize("kind", ["why", "yesno", "compare"])
def test_every_persona_appears_in_each_kind(kind: str) -> None:
    sources = [q["source"] for _, q in _questions() if q["source"].startswith(f"{kind}:")]
    if kind == "compare":
        assert len({source.split(":")[1] for source in sources}) >= 10  # most aspects are asked about
        return
    assert {source.split(":")[1] for source in sources} == set(_cards())


# ------------------------------------------------------------------ consistency


def test_questions_without_a_name_are_about_the_matched_persona() -> None:
    for match, question in _questions():
        kind, *rest = question["source"].split(":")
        if kind not in ("card", "why", "yesno"):
            continue
        named = _named(question["text"])
        persona = rest[0]
        assert persona == (next(iter(named)) if len(named) == 1 else match), (question, named)


def test_compare_questions_name_two_or_all_three() -> None:
    for _, question in _questions():
        if question["source"].startswith("compare:"):
            tokens = set(words(question["text"]))
            assert len(_named(question["text"])) >= 2 or tokens & GROUP_WORDS, question


def test_yes_no_facts_have_one_answer() -> None:
    answers: dict[tuple[str, str], set[str]] = {}
    for _, question in _questions():
        if question["source"].startswith("yesno:"):
            _, persona, fact, answer = question["source"].split(":")
            answers.setdefault((persona, fact), set()).add(answer)
    conflicting = {fact: seen for fact, seen in answers.items() if len(seen) > 1}
    assert not conflicting, conflicting


def test_glossary_questions_are_found_by_the_glossary() -> None:
    glossary = load_glossary()
    for _, question in _questions():
        kind, _, term = question["source"].partition(":")
        entry = glossary.lookup(question["text"])
        if kind == "glossary":
            assert entry is not None and entry.term == term, (question, entry and entry.term)
        elif glossary.is_definition_question(question["text"]):
            # Routing "definition question + known word" to the glossary must not steal other questions.
            assert entry is None, (question, entry.term)
