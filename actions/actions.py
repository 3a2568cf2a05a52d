"""Rasa SDK actions. Thin by design: they read slots and the latest message, call into `bot`,
and turn the result into Rasa events and messages.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker, ValidationAction
from rasa_sdk.events import ActionExecutionRejected, ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.core import persona_qa, turn
from bot.core.content import get_personas, get_questionnaire, slot_for
from bot.core.reveal import build_reveal, why_text

FORM = "questionnaire_form"
SCORE_SLOTS = ("exploration", "commitment", "reconsideration")
RESULT_SLOTS = ("persona", "fit", "chat_state")
AFTER_REVEAL_BUTTONS = [
    {"title": "Waarom hij?", "payload": "/ask_why"},
    {"title": "Ken je de andere twee?", "payload": "/meet_other"},
    {"title": "Opnieuw beginnen", "payload": "/start_over"},
]


def _misunderstood(tracker: Tracker) -> int:
    value = tracker.get_slot("misunderstood")
    return int(value) if isinstance(value, (int, float)) else 0


class ValidateQuestionnaireForm(FormValidationAction):
    """Understands each answer (buttons and free text), fills later questions answered early, updates scores."""

    def name(self) -> str:
        return "validate_questionnaire_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        return turn.required_slots(tracker.slots)

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        requested = tracker.get_slot("requested_slot")
        filled = tracker.slots_to_validate()
        if not requested or requested not in filled:
            return await super().run(dispatcher, tracker, domain)

        message = tracker.latest_message or {}
        question_id = requested.removeprefix("q_")
        text = message.get("text") or ""
        intent = (message.get("intent") or {}).get("name")
        answer = turn.handle_answer(
            current=question_id,
            text=text,
            intent=intent,
            entities=message.get("entities") or [],
            slots=tracker.slots,
        )
        if turn.is_digression(intent, text, answer.understood):
            # Hand over to the digression rules; they answer and then ask this question again.
            return [SlotSet(requested, None), ActionExecutionRejected(self.form_name())]
        updates: dict[str, Any] = {requested: None, **answer.updates}
        updates["misunderstood"] = 0.0 if answer.understood else float(_misunderstood(tracker) + 1)
        for note in answer.notes:
            dispatcher.utter_message(text=note)

        merged = {**tracker.slots, **updates}
        updates.update(turn.scores(merged))
        events: list[EventType] = [SlotSet(slot, value) for slot, value in updates.items()]
        tracker.slots.update(updates)
        next_slot = next((s for s in turn.required_slots(tracker.slots) if tracker.slots.get(s) is None), None)
        events.append(SlotSet("requested_slot", next_slot))
        return events


class AskQuestion(Action):
    """Asks one questionnaire question: text, buttons and a `question` payload for the web page."""

    question_id = ""

    def name(self) -> str:
        return f"action_ask_{slot_for(self.question_id)}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        prompt = turn.question_prompt(self.question_id, tracker.slots, _misunderstood(tracker))
        dispatcher.utter_message(text=prompt.text, buttons=prompt.buttons)
        dispatcher.utter_message(json_message=prompt.payload)
        return []


# One ask action per question in the questionnaire file, so the form can ask any of them.
ASK_ACTIONS = {
    question.id: type(f"AskQuestion_{question.id}", (AskQuestion,), {"question_id": question.id})
    for question in get_questionnaire().questions
}


class ActionReveal(Action):
    """Matches the pupil's answers to Joost, Luuk or Tim and introduces him."""

    def name(self) -> str:
        return "action_reveal"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        state = turn.State.from_slots(tracker.slots)
        reveal = build_reveal(state.model_answers(), state.stage, demo=bool(tracker.get_slot("demo")))
        for text in reveal.messages[:-1]:
            dispatcher.utter_message(text=text)
        dispatcher.utter_message(json_message=reveal.payload)
        dispatcher.utter_message(text=reveal.messages[-1])
        dispatcher.utter_message(response="utter_after_reveal", buttons=AFTER_REVEAL_BUTTONS)
        return [
            SlotSet("persona", reveal.persona_id),
            SlotSet("fit", reveal.match.fit),
            SlotSet("chat_state", "revealed"),
            *[SlotSet(name, reveal.payload[name]) for name in SCORE_SLOTS],
        ]


class ActionExplainMatch(Action):
    """'Waarom Tim?': the answers that decided the match."""

    def name(self) -> str:
        return "action_explain_match"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if not tracker.get_slot("persona"):
            dispatcher.utter_message(response="utter_not_revealed_yet")
            return []
        state = turn.State.from_slots(tracker.slots)
        reveal = build_reveal(state.model_answers(), state.stage)
        persona = get_personas()[reveal.persona_id]
        dispatcher.utter_message(text=why_text(persona, reveal.match))
        dispatcher.utter_message(response="utter_mirror")
        return []


class ActionPersonaAnswer(Action):
    """Free questions about a persona's story: 'wat deed Tim na zijn studie?'."""

    def name(self) -> str:
        return "action_persona_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text = (tracker.latest_message or {}).get("text") or ""
        dispatcher.utter_message(
            text=persona_qa.answer(
                text,
                current_persona=tracker.get_slot("persona"),
                persona_entity=next(tracker.get_latest_entity_values("persona"), None),
                phase_entity=next(tracker.get_latest_entity_values("phase"), None),
            )
        )
        return []


class ActionMeetPersona(Action):
    """'Wie is Luuk?' introduces him; 'laat de anderen zien' offers the other two."""

    def name(self) -> str:
        return "action_meet_persona"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        personas = get_personas()
        text = (tracker.latest_message or {}).get("text") or ""
        named = persona_qa.find_persona(text, personas, next(tracker.get_latest_entity_values("persona"), None))
        if named:
            dispatcher.utter_message(text=persona_qa.introduce(named, personas))
            return []
        own = tracker.get_slot("persona")
        others = [pid for pid in personas if pid != own]
        for pid in others:
            dispatcher.utter_message(text=persona_qa.introduce(pid, personas))
        dispatcher.utter_message(
            response="utter_ask_more",
            buttons=[
                {"title": f"Meer over {personas[pid].name}", "payload": f'/ask_persona{{"persona": "{pid}"}}'}
                for pid in others
            ],
        )
        return []


class ActionStartOver(Action):
    """Clears the answers and the result, keeps the workshop, and starts the questions again."""

    def name(self) -> str:
        return "action_start_over"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_start_over")
        events: list[EventType] = [SlotSet(slot_for(q.id), None) for q in get_questionnaire().questions]
        events += [SlotSet(slot, None) for slot in (*SCORE_SLOTS, *RESULT_SLOTS)]
        events += [SlotSet("misunderstood", 0.0), SlotSet("requested_slot", None)]
        return events


class ActionSafety(Action):
    """A pupil in distress: stop the questions, answer warmly, point to people who can help."""

    def name(self) -> str:
        return "action_safety"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_distress")
        if tracker.active_loop.get("name") and not tracker.get_slot("persona"):
            dispatcher.utter_message(response="utter_offer_resume")
        return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet("chat_state", "stopped")]


class ActionResume(Action):
    """After a stop, the pupil chose to go on: the questions continue where they were, nothing is lost."""

    def name(self) -> str:
        return "action_resume"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_resume")
        return [SlotSet("chat_state", None), SlotSet("misunderstood", 0.0)]


class ValidateSlotMappings(ValidationAction):
    """Reads the workshop code and the demo flag from the message metadata the web widget sends."""

    def name(self) -> str:
        return "action_validate_slot_mappings"

    @staticmethod
    def _metadata(tracker: Tracker) -> dict[str, Any]:
        metadata = (tracker.latest_message or {}).get("metadata") or {}
        return metadata if isinstance(metadata, dict) else {}

    async def extract_workshop(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        code = self._metadata(tracker).get("workshop")
        if isinstance(code, str) and code and code != tracker.get_slot("workshop"):
            return {"workshop": code}
        return {}

    async def extract_demo(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if self._metadata(tracker).get("demo") is True and not tracker.get_slot("demo"):
            return {"demo": True}
        return {}
