"""The part of Rasa's domain that follows from content/questionnaire.yml: one slot, one form entry and one ask
action per question. `python -m bot domain` writes it to domain/questionnaire.yml; a unit test fails when that
file is stale, so adding a question is one YAML edit plus that command.
"""

from __future__ import annotations

from typing import Any

import yaml

from bot.core.content import Questionnaire, slot_for

FORM = "questionnaire_form"
# Intents that never count as an answer: the safety path, the check-in and the channel's empty/too-long markers.
NEVER_AN_ANSWER = ("distress", "check_in", "empty_message", "too_long")
HEADER = (
    "# GENERATED from content/questionnaire.yml by `python -m bot domain`. Do not edit by hand:\n"
    "# edit the questionnaire, then run the command (tests/unit/test_domain.py fails while this file is stale).\n"
)


def questionnaire_domain(questionnaire: Questionnaire) -> dict[str, Any]:
    """Slots, the form and the ask actions for every question, as a Rasa domain mapping."""
    slots: dict[str, Any] = {}
    for question in questionnaire.questions:
        slot = slot_for(question.id)
        slots[slot] = {
            "type": "text",
            "influence_conversation": False,
            "mappings": [
                {
                    "type": "from_text",
                    "not_intent": list(NEVER_AN_ANSWER),
                    "conditions": [{"active_loop": FORM, "requested_slot": slot}],
                }
            ],
        }
    return {
        "version": "3.1",
        "slots": slots,
        "forms": {FORM: {"required_slots": [slot_for(q.id) for q in questionnaire.questions]}},
        "actions": [f"action_ask_{slot_for(q.id)}" for q in questionnaire.questions],
    }


def render(questionnaire: Questionnaire) -> str:
    """The generated file's text, stable for the same questionnaire."""
    body = yaml.safe_dump(questionnaire_domain(questionnaire), sort_keys=False, allow_unicode=True, width=120)
    return HEADER + body
