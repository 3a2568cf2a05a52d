"""Nonsense detection: keyboard mash is unknown, pupils' words (with typos) are known."""

from __future__ import annotations

from rasa.shared.nlu.training_data.loading import load_data

from bot import ROOT
from bot.plugins.nlu_unknown_words import content_words, unknown_share, words

VOCABULARY = frozenset(content_words()) | frozenset(
    w for example in load_data(str(ROOT / "data" / "nlu")).training_examples for w in words(example.get("text"))
)


def test_keyboard_mash_is_unknown() -> None:
    for text in ["sdfgsdfg qwpoeiru", "xcvbn lkjh", "blorp", "qwpoeiru zxmvn", "hsdjfk ksdjf"]:
        assert unknown_share(text, VOCABULARY) >= 0.6, text


def test_pupil_answers_with_typos_and_slang_are_known() -> None:
    for text in [
        "van alles geprobeerd",
        "nog zoekend",
        "ik twijfel nog stees",
        "alleen nt",
        "wiskunde d voor de uitdagign",
        "weet ik nie",
        "ben je een robot",
        "haha lol",
        "5 vwo",
    ]:
        assert unknown_share(text, VOCABULARY) < 0.6, text


def test_empty_or_symbol_only_text_has_no_unknown_words() -> None:
    assert unknown_share("", VOCABULARY) == 0.0
    assert unknown_share("!!! ???", VOCABULARY) == 0.0


def test_words_normalises_accents_and_repeats() -> None:
    assert words("Héééél VÉÉL!!") == ["heel", "veel"]
