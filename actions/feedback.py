"""Rasa SDK actions for "Herken je jezelf?": a 1-5 rating after the reveal, then an optional free text.

Thin like actions.py: the rating and the text become slots (feedback_rating, feedback_text), so they are stored
with the conversation in the tracker store and deleted with it. bot/workshops/feedback.py reads them for the
advisor's figures. Nothing here can touch the scores or the result.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

FEEDBACK_FORM = "feedback_form"
# The bot's messages that ask for the rating; a typed number right after one of them is the rating.
RATING_QUESTIONS = frozenset({"utter_ask_feedback", "utter_ask_feedback_rating"})
RATING_SLOT = "feedback_rating"
TEXT_SLOT = "feedback_text"
RATING_ENTITY = "rating"
RATINGS = range(1, 6)
HIGH_RATING = 5  # "Fijn dat je jezelf herkent!" instead of "Wat klopt er niet?"
MAX_TEXT = 500
# Messages that are never the answer to "wat klopt er niet?": the rules in data/rules/feedback.yml take them.
NOT_AN_ANSWER = frozenset({"distress", "check_in", "skip_feedback", "start_over", "empty_message", "too_long"})
_NUMBER = re.compile(r"^\s*([1-5])(?:[.,]0+)?\s*$")


def parse_rating(value: Any) -> int | None:
    """A rating 1..5 from an entity value (4, 4.0, "4"); anything else is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) and float(value).is_integer() and int(value) in RATINGS:
        return int(value)
    if isinstance(value, str):
        match = _NUMBER.match(value)
        if match:
            return int(match.group(1))
    return None


def rating_in_text(text: str) -> int | None:
    """A typed rating ("4", "een 3", "ik geef een 5"): exactly one number, from 1 to 5."""
    numbers = re.findall(r"\d+(?:[.,]\d+)?", text)
    if len(numbers) != 1:
        return None
    return parse_rating(numbers[0])


def clean_text(text: str) -> str | None:
    """The pupil's answer as stored: one line of at most MAX_TEXT characters; None for nothing or a command."""
    text = " ".join(str(text or "").split())
    if not text or text.startswith("/"):
        return None
    return text[:MAX_TEXT]


class ActionAskFeedback(Action):
    """Asks for the rating (buttons 1-5 and "Overslaan") and forgets the feedback on an earlier result."""

    def name(self) -> str:
        return "action_ask_feedback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_ask_feedback")
        return [SlotSet(RATING_SLOT, None), SlotSet(TEXT_SLOT, None)]


class ActionAskFeedbackText(Action):
    """Asks "wat klopt er niet?" (the form's question for feedback_text), with an "Overslaan" button."""

    def name(self) -> str:
        return "action_ask_feedback_text"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        rating = parse_rating(tracker.get_slot(RATING_SLOT))
        high = rating is not None and rating >= HIGH_RATING
        dispatcher.utter_message(response="utter_ask_feedback_text_high" if high else "utter_ask_feedback_text")
        return []


class ValidateFeedbackForm(FormValidationAction):
    """The rating, then the free text. The rating comes from the button that starts the form (or a typed
    "ik geef een 4"); a missing or bad one is asked again. For the text any message is the answer except safety
    (distress, check-in), skipping, starting over and empty or very long messages."""

    def name(self) -> str:
        return "validate_feedback_form"

    async def extract_feedback_rating(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        requested = tracker.get_slot("requested_slot")
        if requested not in (None, RATING_SLOT):  # None: the message that starts the form
            return {}
        message = tracker.latest_message or {}
        if (message.get("intent") or {}).get("name") in NOT_AN_ANSWER:
            return {}
        values = [parse_rating(value) for value in tracker.get_latest_entity_values(RATING_ENTITY)]
        rating = next((value for value in values if value is not None), None)
        if rating is None:
            rating = rating_in_text(message.get("text") or "")
        if rating is not None:
            return {RATING_SLOT: float(rating)}
        # While the rating is asked, anything else fills it with nothing, so the form asks again (with "Overslaan").
        return {RATING_SLOT: None} if requested == RATING_SLOT else {}

    def validate_feedback_rating(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        rating = parse_rating(slot_value)
        return {RATING_SLOT: float(rating) if rating is not None else None}

    async def extract_feedback_text(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != TEXT_SLOT:
            return {}
        message = tracker.latest_message or {}
        if (message.get("intent") or {}).get("name") in NOT_AN_ANSWER:
            return {}
        text = clean_text(message.get("text") or "")
        return {TEXT_SLOT: text} if text else {}

    def validate_feedback_text(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = clean_text(slot_value) if isinstance(slot_value, str) else None
        return {TEXT_SLOT: text}


class ActionFeedbackDone(Action):
    """The end of the feedback: thanks for a rating (with or without text), or fine when it was skipped."""

    def name(self) -> str:
        return "action_feedback_done"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        rated = parse_rating(tracker.get_slot(RATING_SLOT)) is not None
        dispatcher.utter_message(response="utter_feedback_thanks" if rated else "utter_feedback_skipped")
        return []


class ActionSkipFeedback(Action):
    """The pupil skipped the rating: fine, nothing is stored."""

    def name(self) -> str:
        return "action_skip_feedback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_feedback_skipped")
        return []
