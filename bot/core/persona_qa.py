"""Answer a pupil's free questions about the personas after the reveal, from the persona cards."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import yaml

from bot import ROOT
from bot.core.content import ContentError, Persona, get_personas
from bot.core.text import fold

TOPICS_FILE = ROOT / "content" / "persona_topics.yml"
TOPIC_LABELS = {"doubt": "twijfel", "motives": "wat hij belangrijk vindt"}


def _words(text: str) -> list[str]:
    text = fold(text)
    return re.findall(r"[a-z0-9]+", text.replace("&", ""))


@lru_cache(maxsize=4)
def load_topics(path: Path = TOPICS_FILE) -> dict[str, tuple[str, ...]]:
    """Topic -> keywords, validated so an advisor's typo names the file and key."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ContentError(f"{path.name}: (file): cannot read: {exc}") from exc
    if not isinstance(raw, dict):
        raise ContentError(f"{path.name}: (top level): expected a mapping of topic -> list of words")
    topics: dict[str, tuple[str, ...]] = {}
    for key, words in raw.items():
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            raise ContentError(f"{path.name}: {key}: expected a list of words")
        topics[str(key)] = tuple(w.strip().lower() for w in words)
    return topics


def _similar(word: str, candidates: tuple[str, ...]) -> bool:
    if word in candidates:
        return True
    return len(word) >= 5 and bool(difflib.get_close_matches(word, candidates, n=1, cutoff=0.84))


def find_persona(text: str, personas: Mapping[str, Persona], entity: str | None = None) -> str | None:
    """The persona a message names: the NLU entity if valid, else a (fuzzy) name in the text."""
    if entity and entity.lower() in personas:
        return entity.lower()
    names = {p.name.lower(): pid for pid, p in personas.items()}
    for word in _words(text):
        if word in names:
            return names[word]
        close = difflib.get_close_matches(word, list(names), n=1, cutoff=0.75)
        if close and len(word) >= 3:
            return names[close[0]]
    return None


def _longest_match(words: list[str], entries: tuple[str, ...]) -> int:
    """Length in words of the longest entry found in the message (0 if none)."""
    best = 0
    joined = " " + " ".join(words) + " "
    for entry in entries:
        parts = entry.split()
        if len(parts) > 1:
            if f" {' '.join(parts)} " in joined:
                best = max(best, len(parts))
        elif any(_similar(word, (entry,)) for word in words):
            best = max(best, 1)
    return best


def find_topic(text: str, entity: str | None = None) -> str | None:
    """The part of the story asked about: the longest matching phrase wins; on a tie, doubt, then file order.

    A phrase in the text beats the NLU's phase entity, which only sees single words.
    """
    topics = load_topics()
    words = _words(text)
    order = ["doubt", *[t for t in topics if t != "doubt"]]
    best_topic, best_len = None, 0
    for topic in order:
        length = _longest_match(words, topics[topic])
        if length > best_len:
            best_topic, best_len = topic, length
    if best_len > 1 or (best_topic is None and entity in topics):
        return best_topic or entity
    if entity in topics:
        return entity
    return best_topic


def answer(
    text: str,
    current_persona: str | None,
    persona_entity: str | None = None,
    phase_entity: str | None = None,
    personas: Mapping[str, Persona] | None = None,
) -> str:
    """A Dutch answer in the persona's own words, or an honest 'ask me about...' if the question is unclear."""
    personas = personas or get_personas()
    persona_id = find_persona(text, personas, persona_entity) or current_persona
    if persona_id not in personas:
        names = ", ".join(p.name for p in personas.values())
        return f"Over wie wil je iets weten? Je kunt vragen stellen over {names}."
    persona = personas[persona_id]
    topic = find_topic(text, phase_entity)
    if topic is None:
        return f"{persona.name}: {persona.intro}\n\nVraag gerust door, bijvoorbeeld over zijn stage of eerste baan."
    if topic == "doubt":
        return f"{persona.name} over {TOPIC_LABELS['doubt']}: {persona.doubt}"
    if topic == "motives":
        return f"{persona.name} over {TOPIC_LABELS['motives']}: {persona.motives_text}"
    phase = persona.phase(topic)
    return f"{persona.name} over '{phase.title.lower()}': {phase.text}"


def introduce(persona_id: str, personas: Mapping[str, Persona] | None = None) -> str:
    """A short introduction of one persona, for 'wie is Luuk?' and 'laat de anderen zien'."""
    personas = personas or get_personas()
    persona = personas[persona_id]
    return f"Dit is {persona.name} ({persona.status_label}): {persona.status_explain}\n\n{persona.intro}"
