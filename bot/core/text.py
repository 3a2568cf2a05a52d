"""Text normalisation shared by every reader of pupil text: one accent folding, one word splitter."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[a-z0-9]+")


def fold(text: str) -> str:
    """Lowercase and strip accents ("Geïnteresseerd" -> "geinteresseerd"); nothing else changes."""
    decomposed = unicodedata.normalize("NFKD", (text or "").lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """Folded words of letters and digits; "N&T" becomes "nt" and "hobby's" becomes "hobbys"."""
    folded = re.sub(r"\s*&\s*", "", fold(text))
    folded = re.sub(r"['`´\u2019]", "", folded)
    return _WORD.findall(folded)
