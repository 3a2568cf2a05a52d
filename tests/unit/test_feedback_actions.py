"""The "Herken je jezelf?" actions (actions/feedback.py), driven with rasa_sdk Tracker objects."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa.core.nlg import interpolator
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.feedback import (
    MAX_TEXT,
    ActionAskFeedback,
    ActionAskFeedbackText,
    ActionFeedbackDone,
    ActionSkipFeedback,
    ValidateFeedbackForm,
    parse_rating,
    rating_in_text,
)
from bot import ROOT
from tests.unit.domain_files import load_domain

DOMAIN = load_domain(ROOT / "domain")


def tracker(
    text: str,
    intent: str,
    slots: dict[str, Any] | None = None,
    entities: list[dict[str, Any]] | None = None,
    requested: str | None = None,
) -> Tracker:
    values = {name: None for name in DOMAIN["slots"]}
    values.update(slots or {})
    values["requested_slot"] = requested
    return Tracker(
        sender_id="unit",
        slots=values,
        latest_message={"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities or []},
        events=[{"event": "user", "text": text, "parse_data": {}}],
        paused=False,
        followup_action=None,
        active_loop={"name": "feedback_form"} if requested else {},
        latest_action_name="action_listen",
    )


def run(action: Any, state: Tracker) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, state, DOMAIN))
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}, dispatcher.messages


def responses(messages: list[dict[str, Any]]) -> list[str]:
    return [m.get("response") for m in messages]


RATING_PAYLOADS = [f'/feedback{{"rating": {n}}}' for n in range(1, 6)] + ["/skip_feedback"]


def rendered_payloads(response: str) -> list[str]:
    """The button payloads as Rasa sends them to the widget: after filling slot placeholders in the response.

    Rasa logs an error for a brace it cannot fill (and the channel then answers 503): that raises here.
    """
    values = {"persona": "joost", "q_stage": "student"}
    buttons = DOMAIN["responses"][response][0]["buttons"]
    return [interpolator.interpolate_text(b["payload"], values) for b in buttons]


@pytest.mark.parametrize("response", ["utter_ask_feedback", "utter_ask_feedback_rating"])
def test_rating_buttons_reach_the_widget_as_commands(response: str, monkeypatch: pytest.MonkeyPatch) -> None:
    errors: list[str] = []
    monkeypatch.setattr(interpolator.structlogger, "exception", lambda event, **_: errors.append(event))
    assert rendered_payloads(response) == RATING_PAYLOADS
    assert errors == []


def test_the_question_has_buttons_one_to_five_and_skip() -> None:
    slots, messages = run(ActionAskFeedback(), tracker("/ask", "ask_why", {"feedback_rating": 3.0}))
    assert responses(messages) == ["utter_ask_feedback"]
    assert slots == {"feedback_rating": None, "feedback_text": None}  # a new result gets new feedback
    assert rendered_payloads("utter_ask_feedback") == RATING_PAYLOADS
    assert "persona" not in DOMAIN["responses"]["utter_ask_feedback"][0]["text"].lower()


def rating(text: str, intent: str = "feedback", value: Any = None, requested: str | None = None) -> dict[str, Any]:
    """What the form takes as the rating from one message (requested None: the message that starts the form)."""
    entities = [{"entity": "rating", "value": value}] if value is not None else []
    state = tracker(text, intent, entities=entities, requested=requested)
    return asyncio.run(ValidateFeedbackForm().extract_feedback_rating(CollectingDispatcher(), state, DOMAIN))


@pytest.mark.parametrize(("value", "stored"), [(4, 4.0), ("2", 2.0), (5.0, 5.0), (1, 1.0)])
def test_the_button_that_starts_the_form_gives_the_rating(value: Any, stored: float) -> None:
    assert rating('/feedback{"rating": 4}', value=value) == {"feedback_rating": stored}


@pytest.mark.parametrize("value", [0, 6, 99, -1, "vier", 3.5, True])
def test_a_bad_rating_is_not_taken_and_asked_again(value: Any) -> None:
    assert rating("/feedback", value=value) == {}  # the form then asks for the rating
    assert rating("/feedback", value=value, requested="feedback_rating") == {"feedback_rating": None}
    buttons = DOMAIN["responses"]["utter_ask_feedback_rating"][0]["buttons"]
    assert [b["payload"] for b in buttons][-1] == "/skip_feedback"


def test_a_typed_rating_while_the_rating_is_asked() -> None:
    assert rating("een 4", "inform", requested="feedback_rating") == {"feedback_rating": 4.0}
    assert rating("ik geef een 8", "inform", requested="feedback_rating") == {"feedback_rating": None}
    assert rating("ik wil dood", "distress", requested="feedback_rating") == {}
    assert rating("een 4", "inform", requested="feedback_text") == {}, "the text step keeps the rating"


def test_parse_rating() -> None:
    assert [parse_rating(v) for v in (1, "5", " 3 ", 4.0, "4.0", "4,0")] == [1, 5, 3, 4, 4, 4]
    assert [parse_rating(v) for v in (0, 6, "10", "", None, False, float("nan"), [4])] == [None] * 8
    assert [rating_in_text(t) for t in ("4", "een 3", "ik geef een 5!", "3 of 4", "10", "geen idee")] == [
        4, 3, 5, None, None, None]  # fmt: skip


def test_the_form_asks_the_rating_then_the_text() -> None:
    assert DOMAIN["forms"]["feedback_form"]["required_slots"] == ["feedback_rating", "feedback_text"]
    _, low = run(ActionAskFeedbackText(), tracker("x", "inform", {"feedback_rating": 2.0}))
    _, high = run(ActionAskFeedbackText(), tracker("x", "inform", {"feedback_rating": 5.0}))
    assert responses(low) == ["utter_ask_feedback_text"]
    assert responses(high) == ["utter_ask_feedback_text_high"]
    for name in ("utter_ask_feedback_text", "utter_ask_feedback_text_high"):
        assert DOMAIN["responses"][name][0]["buttons"] == [{"title": "Overslaan", "payload": "/skip_feedback"}]
        assert "geen naam" in DOMAIN["responses"][name][0]["text"].lower()


def extract(text: str, intent: str, requested: str | None = "feedback_text") -> dict[str, Any]:
    state = tracker(text, intent, {"feedback_rating": 2.0}, requested=requested)
    return asyncio.run(ValidateFeedbackForm().extract_feedback_text(CollectingDispatcher(), state, DOMAIN))


def test_any_words_are_the_answer_to_what_does_not_fit() -> None:
    assert extract("ik twijfel juist niet zo veel", "inform") == {"feedback_text": "ik twijfel juist niet zo veel"}
    assert extract("wat deed tim?", "ask_persona") == {"feedback_text": "wat deed tim?"}
    assert extract("  veel   spaties\nen regels ", "chitchat") == {"feedback_text": "veel spaties en regels"}
    assert extract("a" * 900, "inform") == {"feedback_text": "a" * MAX_TEXT}


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("ik wil niet meer leven", "distress"),
        ("ik voel me zo alleen", "check_in"),
        ("overslaan", "skip_feedback"),
        ("opnieuw beginnen", "start_over"),
        ("", "empty_message"),
        ("/ask_why", "ask_why"),
    ],
)
def test_safety_skipping_starting_over_and_commands_are_never_stored(text: str, intent: str) -> None:
    assert extract(text, intent) == {}


def test_nothing_is_taken_when_the_text_question_is_not_open() -> None:
    assert extract("ik twijfel", "inform", requested=None) == {}


def test_thanks_for_a_rating_and_fine_without_one() -> None:
    _, thanked = run(ActionFeedbackDone(), tracker("x", "skip_feedback", {"feedback_rating": 4.0}))
    _, skipped_in_form = run(ActionFeedbackDone(), tracker("x", "skip_feedback"))
    assert responses(thanked) == ["utter_feedback_thanks"]
    assert responses(skipped_in_form) == ["utter_feedback_skipped"]
    slots, skipped = run(ActionSkipFeedback(), tracker("overslaan", "skip_feedback"))
    assert responses(skipped) == ["utter_feedback_skipped"] and slots == {}


def test_feedback_slots_are_set_by_the_actions_only() -> None:
    for name in ("feedback_rating", "feedback_text"):
        slot = DOMAIN["slots"][name]
        assert slot["mappings"] == [{"type": "custom"}]
        assert slot["influence_conversation"] is False
    assert "feedback_form" in DOMAIN["forms"]
    for action in ("action_ask_feedback", "action_ask_feedback_text", "validate_feedback_form",
                   "action_feedback_done", "action_skip_feedback"):  # fmt: skip
        assert action in DOMAIN["actions"]


def test_every_feedback_text_is_plain() -> None:
    for name, variants in DOMAIN["responses"].items():
        if "feedback" not in name:
            continue
        text = variants[0]["text"]
        sentences = [s for s in text.replace("!", ".").replace("?", ".").split(".") if s.strip()]
        assert sum(len(s.split()) for s in sentences) / len(sentences) <= 12, name
        assert "persona" not in text.lower()
