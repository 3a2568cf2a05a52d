"""Answers read with the curated lexicons (content/lexicons/): studies and hobbies named by pupils.

The questionnaire's own `match` patterns know how pupils describe their choices; the lexicons know the things
they name. "bouwkunde aan de hogeschool" is one technical study, "geneeskunde of rechten" two others, "hockey,
gamen en solderen" three hobbies of which one is technical. A reading is only offered for questions whose
options it can name, and only when the patterns found nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.core.content import Question
from bot.core.lexicons import Lexicons, load_lexicons

Reader = Callable[[Question, str, Lexicons], "list[str] | None"]
# Words that make one hobby a long-kept one ("altijd voetbal", "al jaren hockey", "alleen tennis").
KEPT_WORDS = frozenset({"altijd", "jaren", "jarenlang", "alleen", "steeds", "sinds", "nog", "vast"})


def _pick(question: Question, *candidates: str) -> list[str] | None:
    """The first candidate option this question has (content may rename options; then nothing is read)."""
    ids = set(question.option_ids)
    for candidate in candidates:
        if candidate in ids:
            return [candidate]
    return None


def _studies(question: Question, text: str, lexicons: Lexicons) -> list[str] | None:
    """One study, several in one field (CROHO sector), or studies in different fields; any field counts."""
    hits = lexicons.find_studies(text)
    if not hits:
        return None
    studies = {h.study.id for h in hits}
    sectors = {h.study.sector for h in hits}
    if len(sectors) > 1:
        return _pick(question, "tech_and_other")
    return _pick(question, "several_technical" if len(studies) > 1 else "one_technical")


def _open_days_kind(question: Question, text: str, lexicons: Lexicons) -> list[str] | None:
    """Open days of one field, or of different fields."""
    hits = lexicons.find_studies(text)
    if not hits:
        return None
    return _pick(question, "technical" if len({h.study.sector for h in hits}) == 1 else "also_other")


def _hobbies_breadth(question: Question, text: str, lexicons: Lexicons) -> list[str] | None:
    found = {h.id for h in lexicons.find_hobbies(text)}
    if len(found) >= 3:
        return _pick(question, "many")
    if len(found) == 2:
        return _pick(question, "few")
    if len(found) == 1 and KEPT_WORDS & set(text.lower().split()):
        return _pick(question, "same")
    return None


def _hobbies_technical(question: Question, text: str, lexicons: Lexicons) -> list[str] | None:
    found = lexicons.find_hobbies(text)
    if not found:
        return None
    technical = [h for h in found if h.technical]
    if not technical:
        return _pick(question, "not_really")
    if len(technical) == len(found):
        return _pick(question, "mostly")
    return _pick(question, "sometimes")


READERS: dict[str, Reader] = {
    "studies_considered": _studies,
    "open_days_kind": _open_days_kind,
    "hobbies_breadth": _hobbies_breadth,
    "hobbies_technical": _hobbies_technical,
}


def read_with_lexicons(question: Question, text: str) -> list[str] | None:
    """Option ids for `question` from the studies and hobbies named in `text`, or None."""
    reader = READERS.get(question.id)
    return reader(question, text, load_lexicons()) if reader else None
