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


class ActionFeedbackRating(Action):
    """Stores the rating from the button (or a typed "ik geef een 4"); a bad value is not stored."""

    def name(self) -> str:
        return "action_feedback_rating"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        values = [parse_rating(value) for value in tracker.get_latest_entity_values(RATING_ENTITY)]
        rating = next((value for value in values if value is not None), None)
        if rating is None:
            dispatcher.utter_message(response="utter_feedback_invalid")
            return [SlotSet(RATING_SLOT, None)]
        return [SlotSet(RATING_SLOT, float(rating)), SlotSet(TEXT_SLOT, None)]


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
    """The free text after a rating: asked only when there is a rating; any message is the answer except
    safety (distress, check-in), skipping, starting over and empty or very long messages."""

    def name(self) -> str:
        return "validate_feedback_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        return [TEXT_SLOT] if parse_rating(tracker.get_slot(RATING_SLOT)) is not None else []

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
    """Thanks the pupil once there is a rating (with or without text)."""

    def name(self) -> str:
        return "action_feedback_done"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if parse_rating(tracker.get_slot(RATING_SLOT)) is not None:
            dispatcher.utter_message(response="utter_feedback_thanks")
        return []


class ActionSkipFeedback(Action):
    """The pupil skipped the rating: fine, nothing is stored."""

    def name(self) -> str:
        return "action_skip_feedback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_feedback_skipped")
        return []
