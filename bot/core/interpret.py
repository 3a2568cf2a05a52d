"""Understand free-text answers of pupils typing on phones.

Pupils write "heeeel veel", "technies", "N&T want het is het zwaarst" or "idk". The form
needs option ids, so this module maps text to options with the advisor-edited `match`
patterns: normalised tokens, small gaps inside a pattern, fuzzy matching of typos,
negation ("niet echt technisch" is not "technisch") and numbers for counting questions.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.content import DONT_KNOW, Ambiguity, Question, Questionnaire, decode_answer
from bot.core.lexicon_reading import read_with_lexicons
from bot.core.text import fold

MAX_GAP = 3  # tokens that may sit between two pattern tokens ("nt omdat het het zwaarst is")
FUZZY_RATIO = 0.8
FUZZY_MIN_LEN = 5
BOUNDARY = "|"

NEGATORS = frozenset({"niet", "nooit", "geen", "weinig", "nauwelijks", "amper", "zelden", "never", "not"})
# After a word, only these negate it ("ik twijfel niet", "ik twijfel nooit").
POST_NEGATORS = frozenset({"niet", "nooit"})
# Words that end the reach of a negation ("niet technisch, wel sport").
SCOPE_BREAKERS = frozenset({BOUNDARY, "maar", "wel", "en", "ook", "want", "omdat", "dus", "toch"})

DONT_KNOW_PATTERNS: tuple[str, ...] = (
    "weet ik niet",
    "weet niet",
    "weet ik echt niet",
    "weet ik veel",
    "geen idee",
    "geen flauw idee",
    "geen flauw benul",
    "idk",
    "kweenie",
    "kweet niet",
    "kweetnie",
    "weetniet",
    "weet het niet",
    "dunno",
    "no idea",
    "geen idee eigenlijk",
    "lastig te zeggen",
    "moeilijk te zeggen",
    "geen antwoord",
    "sla over",
    "overslaan",
)
YES_WORDS = frozenset({"ja", "jep", "jup", "yes", "yep", "ye", "jah", "jazeker", "jawel", "zeker", "klopt", "idd"})
NO_WORDS = frozenset({"nee", "nope", "nah", "neuh", "neen", "no", "nein", "neej"})
FILLER_WORDS = frozenset({"hoor", "joh", "zeker", "wel", "echt", "dat", "klopt", "inderdaad", "ofc"})

# Spelling variants and chat slang, mapped to the form the patterns use.
SLANG: dict[str, str] = {
    "nie": "niet",
    "ni": "niet",
    "nit": "niet",
    "egt": "echt",
    "ech": "echt",
    "ff": "even",
    "mss": "misschien",
    "miss": "misschien",
    "tech": "techniek",
    "hobbies": "hobbys",
    "hobbie": "hobby",
    "mn": "mijn",
    "m": "mijn",
    "k": "ik",
    "t": "het",
    "zwz": "sowieso",
    "sws": "sowieso",
    "zowiezo": "sowieso",
    "tuurlijk": "natuurlijk",
    "jaa": "ja",
    "neee": "nee",
    "jeps": "jep",
    "natuurk": "natuurkunde",
    "econ": "economie",
    "opendag": "open dag",
    "opendagen": "open dagen",
    "opendagenn": "open dagen",
    "meeloopdag": "meeloopdag",
    "wisk": "wiskunde",
    "idc": "maakt me niet uit",
    "superveel": "super veel",
    "megaveel": "mega veel",
    "zoveel": "zo veel",
    "ofzo": "ofzo",
}
PHRASES: tuple[tuple[str, str], ...] = (
    ("natuur en techniek", "nt"),
    ("natuur techniek", "nt"),
    ("natuur en gezondheid", "ng"),
    ("economie en maatschappij", "em"),
    ("cultuur en maatschappij", "cm"),
    ("n en t", "nt"),
    ("n en g", "ng"),
    ("e en m", "em"),
    ("c en m", "cm"),
)
NUMBER_WORDS: dict[str, int] = {
    "nul": 0,
    "geen": 0,
    "eentje": 1,
    "twee": 2,
    "drie": 3,
    "vier": 4,
    "vijf": 5,
    "zes": 6,
    "zeven": 7,
    "acht": 8,
    "negen": 9,
    "tien": 10,
    "elf": 11,
    "twaalf": 12,
    "dertien": 13,
    "veertien": 14,
    "vijftien": 15,
    "twintig": 20,
    "dertig": 30,
}
# Words after which a bare "een" is a count ("een open dag", "maar een").
_EEN_COUNT_NEXT = frozenset({"open", "meeloopdag", "dag", BOUNDARY})
_CLAUSE_VERBS = frozenset(
    {"ik", "heb", "ben", "was", "had", "twijfel", "twijfelde", "wil", "weet", "ging", "deed", "nu", "later"}
)


def normalize(text: str) -> list[str]:
    """Lowercase tokens without accents, emoji or punctuation; punctuation becomes a boundary token."""
    text = (text or "").replace("🤷", " idk ").replace("\u2019", "'")
    text = fold(text)
    text = re.sub(r"\s*&\s*", "", text)  # "N&T", "n & t" -> "nt"
    text = re.sub(r"['`´]", "", text)  # "hobby's" -> "hobbys", "m'n" -> "mn"
    text = re.sub(r"[.,;:!?()\[\]\n\r\t\"]+", f" {BOUNDARY} ", text)
    text = re.sub(r"[^a-z0-9| ]+", " ", text)
    text = re.sub(r"(\d)([a-z])", r"\1 \2", text)
    text = re.sub(r"([a-z])(\d)", r"\1 \2", text)
    text = re.sub(r"([a-z])\1{2,}", r"\1\1", text)  # "heeeeel" -> "heel"
    tokens = [SLANG.get(tok, tok) for tok in text.split()]
    joined = " ".join(tokens)
    for phrase, replacement in PHRASES:
        joined = re.sub(rf"(?<![a-z0-9]){phrase}(?![a-z0-9])", replacement, joined)
    result = joined.split()
    # Drop leading, trailing and repeated boundaries.
    cleaned: list[str] = []
    for tok in result:
        if tok == BOUNDARY and (not cleaned or cleaned[-1] == BOUNDARY):
            continue
        cleaned.append(tok)
    while cleaned and cleaned[-1] == BOUNDARY:
        cleaned.pop()
    return cleaned


def _squeeze(token: str) -> str:
    return re.sub(r"(.)\1+", r"\1", token)


@functools.lru_cache(maxsize=65536)
def token_matches(token: str, pattern: str) -> bool:
    """Same word, same word with letters doubled, or a typo of a longer word."""
    if token == pattern:
        return True
    if token == BOUNDARY or pattern == BOUNDARY:
        return False
    if _squeeze(token) == _squeeze(pattern):
        return True
    if len(pattern) >= FUZZY_MIN_LEN and len(token) >= FUZZY_MIN_LEN - 1 and not token.isdigit():
        return difflib.SequenceMatcher(None, token, pattern).ratio() >= FUZZY_RATIO
    return False


@functools.lru_cache(maxsize=8192)
def _pattern_tokens(pattern: str) -> tuple[str, ...]:
    return tuple(tok for tok in normalize(pattern) if tok != BOUNDARY)


@dataclass(frozen=True)
class _Hit:
    option: str
    start: int
    end: int
    size: float  # number of pattern tokens: longer patterns are more specific


def _spans(tokens: list[str], pattern: tuple[str, ...]) -> Iterable[tuple[int, int, tuple[int, ...]]]:
    """All places where the pattern occurs in order, with at most MAX_GAP tokens between its words."""
    if not pattern:
        return
    for i, tok in enumerate(tokens):
        if not token_matches(tok, pattern[0]):
            continue
        positions = [i]
        ok = True
        for ptok in pattern[1:]:
            found = None
            for j in range(positions[-1] + 1, min(len(tokens), positions[-1] + 2 + MAX_GAP)):
                if tokens[j] == BOUNDARY:
                    break
                if token_matches(tokens[j], ptok):
                    found = j
                    break
            if found is None:
                ok = False
                break
            positions.append(found)
        if ok:
            yield positions[0], positions[-1], tuple(positions)


def _negated(tokens: list[str], start: int, end: int, positions: tuple[int, ...]) -> bool:
    """Whether a negation word right before, inside or right after a hit turns it around."""
    for k in range(start, end + 1):
        if k not in positions and tokens[k] in NEGATORS:
            return True
    for k in (start - 1, start - 2):
        if k < 0 or tokens[k] in SCOPE_BREAKERS:
            break
        if tokens[k] in NEGATORS:
            return True
    for offset, k in enumerate((end + 1, end + 2)):
        if k >= len(tokens) or tokens[k] in SCOPE_BREAKERS:
            break
        if tokens[k] in POST_NEGATORS and (offset == 0 or tokens[k] == "niet"):
            return True
    return False


def _find(tokens: list[str], option: str, pattern: str, negation: bool = True) -> list[_Hit]:
    ptoks = _pattern_tokens(pattern)
    hits: list[_Hit] = []
    has_negator = any(tok in NEGATORS for tok in ptoks)
    for start, end, positions in _spans(tokens, ptoks):
        if negation and not has_negator and _negated(tokens, start, end, positions):
            continue
        hits.append(_Hit(option, start, end, len(ptoks)))
    return hits


def _numbers(tokens: list[str]) -> list[tuple[int, int]]:
    """(position, value) of counts written as digits or Dutch words."""
    found: list[tuple[int, int]] = []
    for i, tok in enumerate(tokens):
        if tok.isdigit():
            found.append((i, int(tok)))
        elif tok in NUMBER_WORDS:
            found.append((i, NUMBER_WORDS[tok]))
        elif tok == "een":
            nxt = tokens[i + 1] if i + 1 < len(tokens) else BOUNDARY
            prev = tokens[i - 1] if i > 0 else ""
            if nxt in _EEN_COUNT_NEXT or prev in {"maar", "alleen", "slechts"} and nxt == BOUNDARY:
                found.append((i, 1))
    return found


def _hits(question: Question, tokens: list[str]) -> list[_Hit]:
    hits: list[_Hit] = []
    for option in question.options:
        for pattern in (*option.match, option.label):
            found = _find(tokens, option.id, pattern)
            if any(ch.isdigit() for ch in pattern):
                # "5 havo", "klas 3": a number with its words is the most specific thing a pupil types, more
                # than loose words elsewhere ("4 havo, eerste jaar bovenbouw", "5 havo, ik wil later studeren").
                found = [_Hit(h.option, h.start, h.end, h.size + 1) for h in found]
            hits.extend(found)
        if option.numbers is not None:
            low, high = option.numbers
            for pos, value in _numbers(tokens):
                if low <= value <= high:
                    hits.append(_Hit(option.id, pos, pos, 1.5))
    for pattern in DONT_KNOW_PATTERNS:
        hits.extend(_find(tokens, DONT_KNOW, pattern, negation=False))
    # A hit inside a longer hit of another option is part of that phrase, not an answer of its own.
    kept = [
        h
        for h in hits
        if not any(o.option != h.option and o.start <= h.start and h.end <= o.end and o.size > h.size for o in hits)
    ]
    return kept


def _exact(question: Question, text: str, tokens: list[str]) -> list[str] | None:
    """Button labels, option ids and '<question>.<option>' payloads always mean their option."""
    raw = text.strip().lower()
    ids = set(question.option_ids)
    if raw.startswith(question.id + "."):
        raw = raw[len(question.id) + 1 :]
    parts = decode_answer(raw) if question.multi else [raw]
    if parts and all(p in ids for p in parts):
        return list(dict.fromkeys(parts))
    if raw == DONT_KNOW:
        return [DONT_KNOW]
    for option in question.options:
        if tokens and tokens == list(_pattern_tokens(option.label)):
            return [option.id]
    return None


def _yes_no(tokens: list[str]) -> str | None:
    words = [t for t in tokens if t != BOUNDARY]
    if not words:
        return None
    if words[0] in YES_WORDS and all(w in YES_WORDS or w in FILLER_WORDS for w in words):
        return "affirm"
    if words[0] in NO_WORDS and all(w in NO_WORDS or w in FILLER_WORDS for w in words):
        return "deny"
    return None


def _leading_yes_no(tokens: list[str]) -> str | None:
    """'ja ik had een scheikundedoos' or 'nee, meer creatief': a yes/no word first, then an explanation."""
    first = next((t for t in tokens if t != BOUNDARY), None)
    if first in YES_WORDS and first != "zeker":
        return "affirm"
    if first in NO_WORDS:
        return "deny"
    return None


def interpret_tokens(question: Question, tokens: list[str], intent: str | None = None) -> list[str] | None:
    """Option ids for already normalised tokens (see interpret)."""
    hits = _hits(question, tokens)
    real = [h for h in hits if h.option != DONT_KNOW]
    dont_know = [h for h in hits if h.option == DONT_KNOW]
    if intent == DONT_KNOW and not any(h.size >= 3 for h in real):
        return [DONT_KNOW]
    if real:
        if question.multi:
            ordered = sorted(real, key=lambda h: (h.start, -h.size))
            return list(dict.fromkeys(h.option for h in ordered))
        best = max(real, key=lambda h: (h.size, h.end, -h.start))
        rivals = {h.option for h in real if (h.size, h.end) == (best.size, best.end)}
        if len(rivals) == 1:
            return [best.option]
        # A tie between equally long matches: the option the message supports with more words wins.
        support = {option: sum(h.size for h in real if h.option == option) for option in rivals}
        top = max(support.values())
        leaders = [option for option, total in support.items() if total == top]
        return leaders if len(leaders) == 1 else None
    if dont_know:
        return [DONT_KNOW]
    kind = intent if intent in ("affirm", "deny") else _yes_no(tokens) or _leading_yes_no(tokens)
    if kind == "affirm" and question.affirm:
        return [question.affirm]
    if kind == "deny" and question.deny:
        return [question.deny]
    return None


def interpret(question: Question, text: str, intent: str | None = None) -> list[str] | None:
    """Option ids understood from free text, ["dont_know"] for "weet ik niet", None if not understood.

    intent is the NLU intent name when known: "dont_know", "affirm" or "deny".
    """
    text = text or ""
    tokens = normalize(text)
    exact = _exact(question, text, tokens)
    if exact is not None:
        return exact
    if not tokens:
        return [DONT_KNOW] if intent == DONT_KNOW else None
    found = interpret_tokens(question, tokens, intent) or read_with_lexicons(question, text)
    return settle(question, tokens, found).options or None


def _clauses(tokens: list[str]) -> list[list[str]]:
    """Split a message into parts that each say one thing ("N&T, en ik twijfel nooit")."""
    clauses: list[list[str]] = [[]]
    for i, tok in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if tok in (BOUNDARY, "maar", "want") or (tok == "en" and nxt in _CLAUSE_VERBS):
            if clauses[-1]:
                clauses.append([])
            continue
        clauses[-1].append(tok)
    return [c for c in clauses if c]


def prefill(
    questionnaire: Questionnaire, text: str, stage: str | None, answered: set[str], current: str
) -> dict[str, list[str]]:
    """Answers to other, still open questions of this stage that the pupil gave in the same message.

    A question is only filled when one of its topic words is in the same part of the message and
    an option matches there; multi questions are never filled, so the pupil still sees all choices.
    """
    tokens = normalize(text or "")
    if not tokens:
        return {}
    clauses = _clauses(tokens)
    result: dict[str, list[str]] = {}
    for question in questionnaire.questions_for(stage):
        if question.id == current or question.id in answered or question.multi or not question.topic:
            continue
        for clause in clauses:
            if not any(_find(clause, "", topic, negation=False) for topic in question.topic):
                continue
            options = interpret_tokens(question, clause)
            if options and DONT_KNOW not in options:
                result[question.id] = options
                break
    return result


# ---------------------------------------------------------------- item 5: stop guessing the strongest option
# Hedges lower certainty instead of being dropped; a short answer that fits several options ("N&T") gets a
# follow-up (the rules are data: `ambiguous` in content/questionnaire.yml); a hedged strong answer becomes
# the option's `hedged` form ("ingenieur, denk ik" -> "Ik heb wel een idee").

HEDGE_PATTERNS: tuple[str, ...] = (
    "denk ik",
    "ik denk",
    "denk het",
    "misschien",
    "mss",
    "weet het niet zeker",
    "weet ik niet zeker",
    "niet zeker",
    "niet helemaal zeker",
    "waarschijnlijk",
    "geloof ik",
    "volgens mij",
    "ongeveer",
    "soort van",
    "zoiets",
    "of zo",
    "ofzo",
    "wss",
)
HEDGED_CERTAINTY = 0.5
# Words that may surround an ambiguous short answer without changing it ("gewoon N&T hoor").
_AMBIGUITY_FILLERS = frozenset({"gewoon", "hoor", "eigenlijk", "dus", "haha", "hoi", "nou", "uhm", "eh"})


@dataclass(frozen=True)
class Reading:
    """What a free-text answer says, and how sure the reading is.

    options: the option ids understood (["dont_know"] for "weet ik niet"; empty when ambiguous or not
    understood). ambiguous: the options a short answer could mean, with `follow_up` the question to ask.
    certainty: 1.0 for a plain answer, HEDGED_CERTAINTY when the pupil hedged ("denk ik"), 0.0 when
    nothing was understood. hedged: a strong option was replaced by its weaker `hedged` form.
    """

    options: list[str]
    ambiguous: list[str] | None = None
    certainty: float = 1.0
    follow_up: str | None = None
    hedged: bool = False

    @property
    def understood(self) -> bool:
        return bool(self.options)


def hedges(tokens: list[str]) -> list[str]:
    """The hedge phrases in a message ("denk ik", "weet het niet zeker")."""
    return [pattern for pattern in HEDGE_PATTERNS if _find(tokens, "", pattern, negation=False)]


def ambiguity(question: Question, tokens: list[str]) -> Ambiguity | None:
    """The question's rule when the answer, or one part of it ("N&T, en ik twijfel nooit"), is one of its
    ambiguous short answers."""
    for clause in [tokens, *_clauses(tokens)]:
        words = [t for t in clause if t != BOUNDARY and t not in _AMBIGUITY_FILLERS]
        for rule in question.ambiguous:
            for answer in rule.answers:
                if words and words == list(_pattern_tokens(answer)):
                    return rule
    return None


def _own_phrase(question: Question, option_id: str, phrase: str) -> bool:
    """Whether a hedge phrase is part of the option's own wording ("ik denk het wel" means that option)."""
    option = question.option(option_id)
    if option is None:
        return False
    hedge = _pattern_tokens(phrase)
    for pattern in (*option.match, *option.all_labels):
        tokens = _pattern_tokens(pattern)
        if any(tokens[i : i + len(hedge)] == hedge for i in range(len(tokens) - len(hedge) + 1)):
            return True
    return False


def settle(question: Question, tokens: list[str], options: list[str] | None, stage: str | None = None) -> Reading:
    """Turn the options found in a message into a Reading: ambiguity first, then hedges."""
    rule = ambiguity(question, tokens) if not options or options == [DONT_KNOW] else None
    if rule is not None:
        return Reading(options=[], ambiguous=list(rule.options), certainty=0.0, follow_up=rule.ask_for(stage))
    if not options:
        return Reading(options=[], certainty=0.0)
    if options == [DONT_KNOW]:
        return Reading(options=[DONT_KNOW])
    found = [h for h in hedges(tokens) if not any(_own_phrase(question, o, h) for o in options)]
    if not found:
        return Reading(options=list(options))
    settled: list[str] = []
    replaced = False
    for option_id in options:
        option = question.option(option_id)
        weaker = option.hedged if option is not None else None
        if weaker:
            replaced = True
        target = weaker or option_id
        if target not in settled:
            settled.append(target)
    return Reading(options=settled, certainty=HEDGED_CERTAINTY, hedged=replaced)


def read_answer(question: Question, text: str, intent: str | None = None, stage: str | None = None) -> Reading:
    """Like interpret(), but says how sure the reading is and asks a follow-up instead of guessing.

    Buttons and option ids are always certain. A short answer that fits several options ("N&T") gives
    `ambiguous` and a `follow_up` in the pupil's stage; a hedged answer keeps its option with lower
    `certainty`, and a strong option that has a `hedged` form becomes that weaker option.
    """
    text = text or ""
    tokens = normalize(text)
    exact = _exact(question, text, tokens)
    if exact is not None:
        return Reading(options=exact)
    if not tokens:
        return Reading(options=[DONT_KNOW]) if intent == DONT_KNOW else Reading(options=[], certainty=0.0)
    found = interpret_tokens(question, tokens, intent) or read_with_lexicons(question, text)
    return settle(question, tokens, found, stage)
