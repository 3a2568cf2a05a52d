"""Phrase patterns for the question answerer: does a pupil's message contain a short phrase from the content files?

A pattern is a phrase such as "stoppen met * techniek" or "twijfel* * studie". Its words must occur in the message
in this order. Between two pattern words at most one other word may sit ("studie gekozen" finds "studie echt
gekozen"); a "*" on its own allows any number ("stoppen met * techniek" finds "stoppen met de hele techniek").
A word that ends in "*" matches every word that starts with it, and a word of
`FUZZY_MIN_LETTERS` or more letters also matches a word of that length one typo away (so "studie" never
stands for "studies"). Capitals, accents and "&" never matter
(bot.core.text.words).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.core.text import words

FUZZY_MIN_LETTERS = 7


def within_one_edit(a: str, b: str) -> bool:
    """True if a and b differ by at most one insertion, deletion, substitution or swap of neighbours."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    short, long_ = (a, b) if la < lb else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1 :]


MAX_GAP = 1  # words allowed between two pattern words without a "*"


@dataclass(frozen=True)
class Token:
    """One word of a pattern: exact (with typo tolerance for long words) or a prefix ("twijfel*")."""

    text: str
    prefix: bool
    any_gap: bool = False  # a "*" came before it: any number of words may sit in between

    def matches(self, word: str) -> bool:
        if self.prefix:
            return word.startswith(self.text)
        if word == self.text:
            return True
        return (
            len(self.text) >= FUZZY_MIN_LETTERS and len(word) >= FUZZY_MIN_LETTERS and within_one_edit(word, self.text)
        )


@dataclass(frozen=True)
class Pattern:
    """A phrase from a content file, ready to match."""

    source: str
    tokens: tuple[Token, ...]

    @classmethod
    def parse(cls, phrase: str) -> Pattern:
        tokens: list[Token] = []
        any_gap = False
        for part in phrase.split():
            if part == "*":
                any_gap = True
                continue
            prefix = part.endswith("*")
            found = words(part.rstrip("*"))
            for i, word in enumerate(found):
                tokens.append(Token(word, prefix and i == len(found) - 1, any_gap and i == 0))
            any_gap = False
        return cls(phrase, tuple(tokens))

    @property
    def size(self) -> int:
        return len(self.tokens)

    def span(self, message: Sequence[str]) -> tuple[int, int] | None:
        """(first, last) word index of the earliest match in the message words, or None."""
        if not self.tokens:
            return None
        for start, word in enumerate(message):
            if self.tokens[0].matches(word):
                end = self._rest(message, 1, start)
                if end is not None:
                    return start, end
        return None

    def _rest(self, message: Sequence[str], index: int, previous: int) -> int | None:
        """Index of the last word when tokens[index:] match after position `previous`, else None."""
        if index == len(self.tokens):
            return previous
        token = self.tokens[index]
        stop = len(message) if token.any_gap else min(len(message), previous + 2 + MAX_GAP)
        for position in range(previous + 1, stop):
            if token.matches(message[position]):
                end = self._rest(message, index + 1, position)
                if end is not None:
                    return end
        return None

    def found_in(self, message: Sequence[str]) -> bool:
        return self.span(message) is not None


def patterns(phrases: Iterable[str]) -> tuple[Pattern, ...]:
    return tuple(Pattern.parse(phrase) for phrase in phrases)
