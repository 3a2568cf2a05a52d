"""The REST channel's input cleaning: nothing a pupil sends can break the bot."""

from __future__ import annotations

from bot.plugins.channels import DISTRESS_MESSAGE, EMPTY_MESSAGE, MAX_MESSAGE_CHARS, TOO_LONG_MESSAGE, clean_text


def test_empty_and_blank_messages_become_the_empty_intent() -> None:
    for text in ["", "   ", "\n\t", None, "\x00"]:
        assert clean_text(text) == EMPTY_MESSAGE


def test_long_messages_get_a_request_to_be_shorter() -> None:
    assert clean_text("heel " * 2000) == TOO_LONG_MESSAGE


def test_a_long_message_in_distress_goes_to_the_safety_path() -> None:
    text = "ik weet het niet meer " * 60 + " ik wil dood"
    assert len(text) > MAX_MESSAGE_CHARS
    assert clean_text(text) == DISTRESS_MESSAGE


def test_normal_messages_pass_unchanged_apart_from_whitespace() -> None:
    assert clean_text("  van alles geprobeerd  ") == "van alles geprobeerd"
    assert clean_text(42) == "42"
