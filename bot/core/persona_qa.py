"""Answer a pupil's free questions after the reveal: about one person's story, comparisons across the three,
"waarom (niet) hij?", yes/no questions, words from the glossary, the hbo route, and honest "I don't know"s.

The route is chosen by deterministic rules on the words of the message (names, comparison words, question shape,
phrases from the content files), so an answer does not hinge on a borderline intent score. The intent only breaks
the tie when the words say nothing (for example "waarom?" after the reveal).

Every reply carries its `source`, so the widget can ignore it and a benchmark can check where an answer came from:
  card:<person>:<topic>  compare:<aspect>  why:<person>  yesno:<person>:<fact>:<answer>  glossary:<term>
  hbo:<topic>  meet  offtopic  none (nothing found: the caller gives the intent's usual reply)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from bot import ROOT
from bot.core.content import ContentError, Persona, get_personas, get_questionnaire
from bot.core.glossary import Glossary, load_glossary
from bot.core.model import match, score
from bot.core.qa_content import TOPICS, Facts, Routes, get_facts, get_routes
from bot.core.qa_match import Pattern, patterns, within_one_edit
from bot.core.qa_why import why_match_text, why_not
from bot.core.text import fold, words

TOPICS_FILE = ROOT / "content" / "persona_topics.yml"
TOPIC_LABELS = {"doubt": "twijfel", "motives": "wat hij belangrijk vindt"}
PRIORITY_TOPICS = ("doubt", "motives")  # their words weigh one extra
TOPIC_KEYS = (*TOPICS, "intro")

# Sources
CARD, COMPARE, WHY, YESNO, GLOSSARY, HBO, MEET, OFFTOPIC, NONE = (
    "card", "compare", "why", "yesno", "glossary", "hbo", "meet", "offtopic", "none",
)  # fmt: skip

# Replies that answer a clear question; a message the classifier took for "start over" is answered only with one.
CLEAR_KINDS = frozenset({CARD, COMPARE, WHY, YESNO, GLOSSARY, HBO})
_RESTART_WORDS = {
    "opnieuw", "overnieuw", "herstart", "restart", "reset", "resetten", "beginnen", "begin", "wissen", "wis",
    "overdoen", "nogmaals", "stoppen", "stop", "klaar",
}  # fmt: skip

# Words that point at a person: the pupil talks to (je, jij) or about (hij, zijn) one of them.
_PERSON_WORDS = {"je", "jij", "jou", "jouw", "jezelf", "hij", "hem", "zijn", "zn", "ie", "die", "u"}
_GROUP_WORDS = {"jullie", "drie", "3", "allebei", "beide", "beiden", "alledrie", "allemaal"}
_SELF_WORDS = {"ik", "mij", "me", "mijn", "mn"}
_RESULT_WORDS = {
    "lijk", "lijken", "lijkt", "pas", "passen", "past", "uitslag", "uitkomst", "match", "matchen", "matcht",
    "uitgekomen", "krijg", "kreeg", "antwoorden", "antwoord", "geantwoord", "horen", "hoort", "eruit", "uit",
}  # fmt: skip
_OUTCOME_WORDS = {"eruit", "uit", "geworden", "uitslag", "uitkomst", "match", "uitgekomen"}
_WHY_WORDS = {"waarom", "hoezo", "waarvoor"}
_THAT_ONE = {"hij", "hem", "die", "deze", "dit", "dat", "ik", "uitkomst", "uitslag", "match", "persoon", "zo"}
_WHY_FILLERS = {"niet", "geen", "eigenlijk", "dan", "nou", "juist", "toch", "wel", "en", "ook", "precies", "nu"}
# A question about his story starts with a verb (in any tense but the modal present: "kan ik ..." is about the pupil).
_YESNO_VERBS = {
    "ben", "was", "waren", "heb", "had", "hadden", "heeft", "is", "deed", "deden", "doe", "doet", "zat", "zaten",
    "ging", "gingen", "ga", "kreeg", "kregen", "kon", "wilde", "wou", "wilden", "werk", "werkt", "werkte",
    "twijfel", "twijfelde", "twijfelt", "nam", "koos", "speelde", "studeerde", "liep", "vond", "woon", "woonde",
    "zou", "hield", "moest", "haalde", "blijf", "blijft", "mocht", "zit", "zeg", "bleef", "sport", "sportte",
    "gaat",
}  # fmt: skip
_LEAD_WORDS = {"en", "maar", "dus", "oke", "ok", "eh", "uh", "he", "hee", "hoi", "zeg", "vraagje", "vraag"}
_QUESTION_STARTS = {
    "wat", "wie", "hoe", "waarom", "welke", "welk", "wanneer", "waar", "hoezo", "hoeveel", "hoelang", "waarvoor",
    "kan", "kun", "mag", "moet", "wil", "help", "vertel", "leg",
} | _YESNO_VERBS  # fmt: skip
_SOCIAL = ("hoe gaat", "hoe is het", "alles goed", "alles oke", "alles chill", "alles lekker", "hoe gaat ie")
_WHO_IS = {"wie"}
_MEET_WORDS = {"anderen", "andere", "rest"}
# Words that must be there before the intent alone may pick the reply.
_WHY_HINTS = _WHY_WORDS | {
    "hij", "die", "deze", "daarbij", "erbij", "baseer", "basis", "gebaseerd", "doorslag", "bepaald",
    "bepaal", "berekend", "bereken", "uitgerekend", "uitkomst", "uitslag", "match",
}  # fmt: skip
_MEET_HINTS = _MEET_WORDS | {"laat", "zien", "nog", "meer", "alle", "drie", "twee"}


# ------------------------------------------------------------------ content


@lru_cache(maxsize=4)
def load_topics(path: Path = TOPICS_FILE) -> dict[str, tuple[str, ...]]:
    """Topic -> phrases, validated so an advisor's typo names the file and key."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ContentError(f"{path.name}: (file): cannot read: {exc}") from exc
    if not isinstance(raw, dict):
        raise ContentError(f"{path.name}: (top level): expected a mapping of topic -> list of words")
    topics: dict[str, tuple[str, ...]] = {}
    for key, entries in raw.items():
        if key not in TOPIC_KEYS:
            raise ContentError(f"{path.name}: {key}: unknown topic (one of: {', '.join(TOPIC_KEYS)})")
        if not isinstance(entries, list) or not all(isinstance(w, str) and w.strip() for w in entries):
            raise ContentError(f"{path.name}: {key}: expected a list of words")
        topics[str(key)] = tuple(w.strip().lower() for w in entries)
    return topics


@lru_cache(maxsize=4)
def _topic_patterns(path: Path = TOPICS_FILE) -> dict[str, tuple[Pattern, ...]]:
    return {topic: patterns(entries) for topic, entries in load_topics(path).items()}


@lru_cache(maxsize=1)
def get_glossary() -> Glossary:
    return load_glossary()


# ------------------------------------------------------------------ the question and the reply


@dataclass(frozen=True)
class Asked:
    """One pupil message after (or outside) the questions, with what the conversation knows."""

    text: str
    persona: str | None = None  # the pupil's match, if revealed
    intent: str | None = None
    persona_entity: str | None = None
    phase_entity: str | None = None
    answers: Mapping[str, Any] = field(default_factory=dict)  # model answers (question id -> option id(s))
    stage: str | None = None


@dataclass(frozen=True)
class Reply:
    text: str
    source: str
    persona: str | None = None
    others: tuple[str, ...] = ()  # for `meet`: the people introduced
    response: str | None = None  # a domain response to send instead of `text` (its wording lives there)

    @property
    def kind(self) -> str:
        return self.source.split(":", 1)[0]


NOTHING = Reply("", NONE)


# ------------------------------------------------------------------ reading the message


def _names(personas: Mapping[str, Persona]) -> dict[str, str]:
    return {fold(p.name).lower(): pid for pid, p in personas.items()}


def _is_name(word: str, name: str) -> bool:
    """A name, a pet form (joostje, timmie) or one typo (luk, tiem); never a common word."""
    if word == name:
        return True
    if word.startswith(name) and word[len(name) :] in {"je", "tje", "ie", "mie", "my", "y", "s"}:
        return True
    if len(name) >= 4:
        return word[0] == name[0] and within_one_edit(word, name)
    return len(word) == len(name) + 1 and word[0] == name[0] and word[-1] == name[-1] and within_one_edit(word, name)


def named_personas(text: str, personas: Mapping[str, Persona]) -> list[str]:
    """The people a message names, in the order they appear, each once."""
    found: list[str] = []
    for word in words(text):
        for name, pid in _names(personas).items():
            if pid not in found and _is_name(word, name):
                found.append(pid)
    return found


def find_persona(text: str, personas: Mapping[str, Persona], entity: str | None = None) -> str | None:
    """The person a message names: a name in the text first, else the NLU entity if valid."""
    named = named_personas(text, personas)
    if named:
        return named[0]
    if entity and entity.lower() in personas:
        return entity.lower()
    return None


def _strip_lead(tokens: list[str], personas: Mapping[str, Persona]) -> list[str]:
    names = _names(personas)
    start = 0
    while start < len(tokens) and (tokens[start] in _LEAD_WORDS or any(_is_name(tokens[start], n) for n in names)):
        start += 1
    return tokens[start:]


def is_yes_no(tokens: list[str], personas: Mapping[str, Persona]) -> bool:
    """A question about his story that starts with a verb: "was je lid van ...", "heeft joost ooit ..."."""
    rest = _strip_lead(tokens, personas)
    return bool(rest) and rest[0] in _YESNO_VERBS


def is_question(text: str, tokens: list[str], personas: Mapping[str, Persona]) -> bool:
    rest = _strip_lead(tokens, personas)
    return "?" in text or (bool(rest) and rest[0] in _QUESTION_STARTS)


def _refers_to_person(tokens: list[str], named: list[str]) -> bool:
    return bool(named) or bool(_PERSON_WORDS & set(tokens))


def find_topic(text: str, entity: str | None = None, persona: Persona | None = None) -> str | None:
    """The part of the story asked about, or None.

    Each phrase from content/persona_topics.yml found in the message adds its word count (doubt and motives one
    more); a rare word from one part of his card adds one to that part. The highest score wins; on a tie doubt,
    then motives, then file order. Without any match the NLU's phase entity decides.
    """
    tokens = words(text)
    scores: dict[str, float] = {}
    for topic, found in _topic_patterns().items():
        if topic == "intro":
            continue
        for pattern in found:
            if pattern.found_in(tokens):
                scores[topic] = scores.get(topic, 0) + pattern.size + (1 if topic in PRIORITY_TOPICS else 0)
    if persona is not None:
        for topic, hits in _card_hits(tokens, persona).items():
            scores[topic] = scores.get(topic, 0) + hits
    if not scores:
        return entity if entity in load_topics() and entity != "intro" else None
    order = [*PRIORITY_TOPICS, *[t for t in load_topics() if t not in PRIORITY_TOPICS]]
    return max(scores, key=lambda t: (scores[t], -order.index(t) if t in order else -99))


_STOP = {
    "heel", "veel", "eigenlijk", "altijd", "nooit", "gewoon", "waarom", "omdat", "daarna", "steeds", "wilde",
    "ander", "andere", "dingen", "techniek", "technische", "technisch", "keuze", "gekozen", "koos", "kiezen",
    "twijfel", "twijfelde", "getwijfeld", "zoveel", "echt", "zelfs", "vooral", "allemaal", "daar", "mijn", "jouw",
    "hebben", "deed", "maar", "nog", "gaan", "werd", "worden", "eerst", "later", "meer", "meeste", "lang",
    "hoeveel", "welke", "wanneer", "zodat", "tijdens", "misschien", "telkens", "soms", "vaak", "beetje", "ergens",
    "iemand", "iets", "niets", "niks", "alles", "zelf", "mezelf", "jezelf", "zichzelf", "zeker", "zoals", "elkaar",
    "hierna", "eigen", "goede", "beste", "grote", "kleine", "minder", "weinig", "genoeg", "helemaal", "echte",
}  # fmt: skip


_RARE_MIN = 6  # shorter words ("maken", "keer") are too common to point at one part of a card


def _stem(word: str) -> str:
    return word[:6] if len(word) >= 6 else word


def _card_parts(persona: Persona) -> tuple[tuple[str, str], ...]:
    parts = [(phase.id, phase.text) for phase in persona.phases]
    return (*parts, ("doubt", persona.doubt), ("motives", persona.motives_text))


@lru_cache(maxsize=16)
def _stems_of(parts: tuple[tuple[str, str], ...]) -> dict[str, frozenset[str]]:
    return {
        topic: frozenset(_stem(w) for w in words(text) if len(w) >= _RARE_MIN and w not in _STOP)
        for topic, text in parts
    }


def _card_stems(persona: Persona) -> dict[str, frozenset[str]]:
    return _stems_of(_card_parts(persona))


def _card_hits(tokens: list[str], persona: Persona) -> dict[str, int]:
    """Rare card words in the message: a word found in only one part of his story counts for that part."""
    stems = _card_stems(persona)
    hits: dict[str, int] = {}
    for word in set(tokens):
        if len(word) < _RARE_MIN or word in _STOP:
            continue
        parts = [topic for topic, found in stems.items() if _stem(word) in found]
        if len(parts) == 1:
            hits[parts[0]] = hits.get(parts[0], 0) + 1
    return hits


def _best_fact(tokens: list[str], facts: Facts) -> str | None:
    best, size = None, 0
    for fact in facts.facts.values():
        for pattern in fact.ask:
            if pattern.size > size and pattern.found_in(tokens):
                best, size = fact.id, pattern.size
    return best


def _aspect(tokens: list[str], facts: Facts) -> str | None:
    for aspect in facts.aspects.values():
        if aspect.id != "general" and any(p.found_in(tokens) for p in aspect.ask):
            return aspect.id
    return None


def _compare_people(
    tokens: list[str], named: list[str], current: str | None, facts: Facts, personas: Mapping[str, Persona]
) -> list[str] | None:
    """The people a comparison is about, or None when the message is no comparison."""
    general = any(p.found_in(tokens) for p in facts.aspects["general"].ask)
    aspect = _aspect(tokens, facts)
    rest = _strip_lead(tokens, personas)
    if len(named) >= 2:
        return named
    if _GROUP_WORDS & set(tokens) and (aspect or general):
        return list(personas)
    if rest[:1] == ["wie"] and aspect and not _SELF_WORDS & set(tokens):
        return list(personas)
    if (
        len(named) == 1
        and current
        and current != named[0]
        and {"jij", "jou"} & set(tokens)
        and ("of" in tokens or "dan" in tokens or general)
    ):
        return [current, named[0]]
    return None


def _is_why(tokens: list[str], named: list[str], personas: Mapping[str, Persona]) -> bool:
    """Why the pupil got (or did not get) someone: about the pupil's answers and the outcome, not his story."""
    words_ = set(tokens)
    asks_why = bool(_WHY_WORDS & words_) or tokens[:3] == ["hoe", "komt", "het"] or tokens[:2] == ["wat", "maakt"]
    if _SELF_WORDS & words_ and _RESULT_WORDS & words_:
        return True
    if _SELF_WORDS & words_ and named and (asks_why or {"ben", "word", "werd", "wordt"} & words_):
        return True
    if named and asks_why and _OUTCOME_WORDS & words_ and not {"je", "jij"} & words_:
        return True
    rest = [w for w in tokens if w not in _WHY_WORDS and w not in _WHY_FILLERS]
    if named and asks_why:
        return all(any(_is_name(w, fold(personas[p].name)) for p in named) for w in rest)
    return bool(_WHY_WORDS & words_) and bool(rest) and set(rest) <= _THAT_ONE


# ------------------------------------------------------------------ the replies


def _card_reply(persona: Persona, topic: str) -> Reply:
    source = f"{CARD}:{persona.id}:{topic}"
    if topic == "intro":
        return Reply(introduce(persona.id, {persona.id: persona}), source, persona.id)
    if topic == "doubt":
        return Reply(f"{persona.name} over {TOPIC_LABELS['doubt']}: {persona.doubt}", source, persona.id)
    if topic == "motives":
        return Reply(f"{persona.name} over {TOPIC_LABELS['motives']}: {persona.motives_text}", source, persona.id)
    phase = persona.phase(topic)
    return Reply(f"{persona.name} over '{phase.title.lower()}': {phase.text}", source, persona.id)


def _yes_no_reply(persona: Persona, fact_id: str, facts: Facts) -> Reply:
    said = facts.facts[fact_id].answers[persona.id]
    source = f"{YESNO}:{persona.id}:{fact_id}:{said.answer}"
    if said.answer == "unknown":
        text = facts.replies["unknown_fact"].format(name=persona.name)
        if said.say:
            text += f" {said.say}"
        return Reply(text, source, persona.id)
    return Reply(f"{persona.name}: {said.say}", source, persona.id)


def _compare_reply(people: Sequence[str], aspect_id: str, facts: Facts, personas: Mapping[str, Persona]) -> Reply:
    aspect = facts.aspects[aspect_id]
    order = [pid for pid in personas if pid in people]
    lines: list[str] = []
    if len(order) == len(personas):
        lines.append(aspect.lead)
    elif len(order) == 2 and frozenset(order) in aspect.pairs:
        lines.append(aspect.pairs[frozenset(order)])
    lines += [f"• {aspect.lines[pid]}" for pid in order]
    return Reply("\n".join(lines), f"{COMPARE}:{aspect_id}")


_BARE_TERM_WORDS = 3  # "uitleg bsa", "studielink dan": short enough to be just the word
_MEANING = ("betekent", "betekend", "beteken", "betekenen", "betekende")


def _meaning_of(tokens: list[str], glossary: Glossary) -> Any:
    """ "wat betekent ir voor je naam": the word right after "wat betekent" is asked about, whatever follows."""
    if len(tokens) < 3 or tokens[0] not in {"wat", "wa", "wt"} or tokens[1] not in _MEANING:
        return None
    after = [w for w in tokens[2:] if w not in {"een", "de", "het", "t", "nou", "eigenlijk", "dat", "die"}]
    for size in (3, 2, 1):
        entry = glossary.lookup(" ".join(after[:size]))
        if entry is not None and any(words(form)[:1] == after[:1] for form in entry.forms):
            return entry
    return None


def _glossary_reply(term: str, text: str) -> Reply:
    return Reply(f"{term[:1].upper()}{term[1:]}: {text}", f"{GLOSSARY}:{term}")


def _route_reply(tokens: list[str], routes: Routes) -> Reply | None:
    if not any(p.found_in(tokens) for p in routes.route_words):
        return None
    best, size = None, 0
    for topic in routes.topics.values():
        for pattern in topic.ask:
            if pattern.size > size and pattern.found_in(tokens):
                best, size = topic, pattern.size
    if best is None:
        return None
    return Reply(f"{best.text}\n\n{best.note or routes.note} {routes.decaan}", f"{HBO}:{best.id}")


def offtopic(persona: Persona | None = None, unknown_word: bool = False) -> Reply:
    """The honest reply when the alumni cannot know: never a piece of a card (content/persona_facts.yml, replies)."""
    replies = get_facts().replies
    if unknown_word:
        text = replies["unknown_word"]
    elif persona is not None:
        text = replies["offtopic_person"].format(name=persona.name)
    else:
        text = replies["offtopic"]
    return Reply(text, OFFTOPIC, persona.id if persona else None)


def _why_reply(asked: Asked, target: str, personas: Mapping[str, Persona]) -> Reply:
    if not asked.persona or asked.persona not in personas:
        return Reply("", f"{WHY}:{target}", target, response="utter_not_revealed_yet")
    questionnaire = get_questionnaire()
    if target == asked.persona:
        scores = score(asked.answers, questionnaire, asked.stage)
        result = match(scores, personas)
        text = why_match_text(personas[target], result, scores, asked.stage, personas)
        return Reply(text, f"{WHY}:{target}", target)
    text = why_not(asked.answers, target, asked.stage, get_facts().question_names, personas, questionnaire)
    return Reply(text, f"{WHY}:{target}", target)


def introduce(persona_id: str, personas: Mapping[str, Persona] | None = None) -> str:
    """A short introduction of one persona, for 'wie is Luuk?' and 'laat de anderen zien'."""
    personas = personas or get_personas()
    persona = personas[persona_id]
    return f"Dit is {persona.name} ({persona.status_label}): {persona.status_explain}\n\n{persona.intro}"


def _meet_reply(asked: Asked, personas: Mapping[str, Persona]) -> Reply:
    others = tuple(pid for pid in personas if pid != asked.persona)
    text = "\n\n".join(introduce(pid, personas) for pid in others)
    return Reply(text, MEET, asked.persona, others)


# ------------------------------------------------------------------ the router

# Intents whose messages are questions about a person even without "je" or a name.
PERSON_INTENTS = {"ask_persona", "meet_other", "ask_why", "compare_personas"}


def respond(asked: Asked, personas: Mapping[str, Persona] | None = None) -> Reply:
    """The reply to one message, chosen by the rules in the module docstring; NOTHING when no rule fits."""
    personas = personas or get_personas()
    facts = get_facts()
    text = asked.text or ""
    if text.lstrip().startswith("/"):
        text = ""  # a button payload ("/ask_why"): only the intent and its entities speak
    tokens = words(text)
    if not tokens and asked.intent is None:
        return NOTHING
    named = named_personas(text, personas)
    current = asked.persona if asked.persona in personas else None
    subject_id = named[0] if named else (asked.persona_entity if asked.persona_entity in personas else current)
    subject = personas.get(subject_id) if subject_id else None
    glossary = get_glossary()

    # 1. "wat is een master?": the glossary, whenever the message asks what a known word means.
    definition = glossary.is_definition_question(text)
    entry = glossary.lookup(text) if definition else _meaning_of(tokens, glossary)
    if entry is not None:
        return _glossary_reply(entry.term, entry.text)

    # 2. Things no card tells (pay, age, the company): honest, never a piece of the card.
    if any(p.found_in(tokens) for p in facts.not_on_card):
        return offtopic(subject if _refers_to_person(tokens, named) else None)

    # 3. Comparisons: two or three names, "jullie", "wie ... het meest".
    people = _compare_people(tokens, named, current, facts, personas)
    if people:
        aspect = _aspect(tokens, facts) or "general"
        return _compare_reply(people, aspect, facts, personas)

    # 4. Why (not) him: about the pupil's answers and the outcome.
    if _is_why(tokens, named, personas):
        return _why_reply(asked, subject_id or current or next(iter(personas)), personas)

    # 5. Yes/no questions about his story, answered from the facts file.
    yes_no = is_yes_no(tokens, personas)
    fact = _best_fact(tokens, facts)
    if yes_no and fact and subject is not None:
        return _yes_no_reply(subject, fact, facts)

    # 6. The hbo route, mbo, switching.
    route = _route_reply(tokens, get_routes())
    if route is not None:
        return route

    # 7. "wie is luuk?", "stel jezelf voor", "laat de anderen zien".
    rest = _strip_lead(tokens, personas)
    if named and tokens[:1] == ["wie"] and tokens[1:2] in (["is"], ["was"]) and len(tokens) <= 6:
        return _card_reply(personas[named[0]], "intro")
    if subject is not None and any(p.found_in(tokens) for p in _topic_patterns()["intro"]):
        return _card_reply(subject, "intro")
    if asked.intent == "meet_other" and not named and _MEET_WORDS & set(tokens):
        return _meet_reply(asked, personas)

    # 8. A part of his story.
    social = " ".join(tokens).startswith(_SOCIAL)
    about_someone = _refers_to_person(tokens, named) or asked.intent is None or asked.intent in PERSON_INTENTS
    if subject is not None and about_someone and not social:
        topic = find_topic(text, asked.phase_entity if asked.intent in PERSON_INTENTS else None, subject)
        if topic is not None:
            return _card_reply(subject, topic)
        if fact:
            return _yes_no_reply(subject, fact, facts)

    # 9. The words said nothing clear: the intent decides, but only with words that fit it, else an honest
    # "I don't know" for questions (a misread intent never turns an off-topic question into a card text).
    said = set(tokens)
    payload = not tokens  # a button: the intent and its entities are all there is
    if payload and asked.intent == "ask_persona" and subject_id in personas:
        return _card_reply(personas[subject_id], "intro")
    if asked.intent == "ask_why" and (payload or said & _WHY_HINTS):
        return _why_reply(asked, subject_id or current or next(iter(personas)), personas)
    if asked.intent == "meet_other" and (payload or named or said & _MEET_HINTS):
        if named:
            return _card_reply(personas[named[0]], "intro")
        return _meet_reply(asked, personas)
    if asked.intent == "ask_term":
        entry = glossary.lookup(text)
        if entry is not None:
            return _glossary_reply(entry.term, entry.text)
    if asked.intent == "compare_personas" and (len(named) >= 2 or said & _GROUP_WORDS):
        return _compare_reply(named if len(named) >= 2 else list(personas), "general", facts, personas)
    if definition:
        return offtopic(unknown_word=True)
    if social:
        return NOTHING
    if is_question(text, tokens, personas) or asked.intent in {"ask_persona", "out_of_scope", "ask_term"}:
        return offtopic(subject if _refers_to_person(tokens, named) else None)
    if rest and rest[0] in _WHO_IS:
        return offtopic(None)
    return NOTHING


def mentions_restart(text: str) -> bool:
    """True when the pupil may really want to start over ("kan ik opnieuw beginnen?"): never answer that instead."""
    return bool(_RESTART_WORDS & set(words(text))) or (text or "").lstrip().startswith("/")


def explain_term(text: str) -> Reply:
    """A side step during the questions: a word from the glossary, or a route question; never a card."""
    glossary = get_glossary()
    tokens = words(text)
    entry = glossary.lookup(text) if glossary.is_definition_question(text) else _meaning_of(tokens, glossary)
    if entry is not None:
        return _glossary_reply(entry.term, entry.text)
    route = _route_reply(tokens, get_routes())
    if route is not None:
        return route
    entry = glossary.lookup(text) if len(tokens) <= _BARE_TERM_WORDS else None
    return _glossary_reply(entry.term, entry.text) if entry is not None else offtopic(unknown_word=True)


__all__ = [
    "Asked",
    "Reply",
    "explain_term",
    "mentions_restart",
    "find_persona",
    "find_topic",
    "introduce",
    "load_topics",
    "named_personas",
    "offtopic",
    "respond",
]
