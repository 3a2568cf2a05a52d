"""Rasa SDK actions. Thin by design: they read slots and the latest message, call into `bot`,
and turn the result into Rasa events and messages.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActionExecutionRejected, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import feedback, qa
from bot.core import turn
from bot.core.content import RESULT_SLOTS, SCORE_SLOTS, get_questionnaire, get_reveal_texts, question_of, slot_for
from bot.core.domain_parts import FORM
from bot.core.reveal import build_reveal


def _button(key: str, payload: str) -> dict[str, str]:
    """A button whose title is content (content/reveal.yml `buttons`), not Python."""
    return {"title": get_reveal_texts().get(f"buttons.{key}"), "payload": payload}


def after_reveal_buttons() -> list[dict[str, str]]:
    return [_button("why", "/ask_why"), _button("meet_other", "/meet_other"), _button("start_over", "/start_over")]


def resume_button() -> dict[str, str]:
    return _button("resume", turn.RESUME_PAYLOAD)


def talk_button() -> dict[str, str]:
    return _button("talk", turn.TALK_PAYLOAD)


def confirm_buttons() -> list[dict[str, str]]:
    return [_button("restart_yes", turn.CONFIRM_RESTART_PAYLOAD), _button("restart_no", turn.RESUME_PAYLOAD)]


# Intents after which the form comes back only to wait: the pause's own message already asked what to do next.
PAUSING_INTENTS = frozenset({"distress", "check_in", "start_over"})


def _in_questions(tracker: Tracker) -> bool:
    return tracker.active_loop.get("name") == FORM


def _wipe_answers() -> list[EventType]:
    """Events that clear every answer, score, result and counter (the workshop code stays)."""
    events: list[EventType] = [SlotSet(slot_for(q.id), None) for q in get_questionnaire().questions]
    events += [SlotSet(slot, None) for slot in (*SCORE_SLOTS, *RESULT_SLOTS)]
    events += [SlotSet(name, value) for name, value in turn.Counters().as_slots().items()]
    events.append(SlotSet("requested_slot", None))
    return events


def _changed_slots(tracker: Tracker, slots: dict[str, Any], requested: str) -> list[EventType]:
    """SlotSet events for the slots whose value changes, and always for the requested one (set to None first).

    Every event is stored, replayed by Rasa's policies at each prediction and sent to the action server with
    every call; most scores and counters stay the same from one answer to the next.
    """
    return [SlotSet(k, v) for k, v in slots.items() if k == requested or tracker.get_slot(k) != v]


class ValidateQuestionnaireForm(FormValidationAction):
    """Hands each pupil message to bot.core.turn.take_turn and turns its verdict into Rasa events."""

    def name(self) -> str:
        return "validate_questionnaire_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        return turn.required_slots(tracker.slots)

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        requested = tracker.get_slot("requested_slot")
        if not requested or requested not in tracker.slots_to_validate():
            return await super().run(dispatcher, tracker, domain)

        message = tracker.latest_message or {}
        result = turn.take_turn(
            current=question_of(requested),
            text=message.get("text") or "",
            intent=(message.get("intent") or {}).get("name"),
            entities=message.get("entities") or [],
            slots=tracker.slots,
        )
        if result.kind in (turn.SIDE_STEP, turn.CRISIS, turn.CHECK_IN):
            # A rule answers (the side step, or the safety path), then the form asks this question again.
            events = [SlotSet(requested, None), *_changed_slots(tracker, result.slots, requested)]
            return [*events, ActionExecutionRejected(self.form_name())]
        if result.kind == turn.RESTART:
            dispatcher.utter_message(response="utter_start_over")
            events = _wipe_answers()
        else:
            events = [SlotSet(requested, None), *_changed_slots(tracker, result.slots, requested)]
            if result.kind == turn.RESUME:
                dispatcher.utter_message(response="utter_resume")
            elif result.kind == turn.TALK:
                dispatcher.utter_message(response="utter_talk")
        for response, variables in result.notes:
            dispatcher.utter_message(response=response, **variables)
        tracker.add_slots(events)
        next_slot = await self.next_requested_slot(dispatcher, tracker, domain)
        return [*events, next_slot] if next_slot else events


class AskQuestion(Action):
    """Asks one questionnaire question: text, buttons and a `question` payload for the web page.

    While the questions are paused it asks whether to go on instead, so nothing is asked over a pupil's head.
    """

    question_id = ""

    def name(self) -> str:
        return f"action_ask_{slot_for(self.question_id)}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        pause = turn.Counters.from_slots(tracker.slots).pause
        just_paused = ((tracker.latest_message or {}).get("intent") or {}).get("name") in PAUSING_INTENTS
        if pause and just_paused:
            return []  # the safety action or the restart question has just said what to do next
        if pause == turn.PAUSE_CONFIRM_RESTART:
            dispatcher.utter_message(response="utter_confirm_start_over", buttons=confirm_buttons())
            return []
        if pause in (turn.PAUSE_CRISIS, turn.PAUSE_CHECK_IN):
            dispatcher.utter_message(response="utter_still_paused", buttons=[resume_button(), talk_button()])
            return []
        prompt = turn.question_prompt(self.question_id, tracker.slots)
        if prompt.lead:
            dispatcher.utter_message(response=prompt.lead)
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
        dispatcher.utter_message(response="utter_after_reveal", buttons=after_reveal_buttons())
        return [
            SlotSet("persona", reveal.persona_id),
            SlotSet("fit", reveal.match.fit),
            SlotSet("chat_state", "revealed"),
            *[SlotSet(name, reveal.payload[name]) for name in SCORE_SLOTS],
        ]


class ActionExplainMatch(Action):
    """'Waarom Tim?': the answers that decided the match; for another person, where the pupil differs from him."""

    def name(self) -> str:
        return "action_explain_match"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if not tracker.get_slot("persona"):
            dispatcher.utter_message(response="utter_not_revealed_yet")
            return []
        return await qa.answer_question(dispatcher, tracker, domain, intent="ask_why")


class ActionPersonaAnswer(Action):
    """Free questions about the alumni: 'wat deed Tim na zijn studie?', 'was Luuk lid van een vereniging?'."""

    def name(self) -> str:
        return "action_persona_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return await qa.answer_question(dispatcher, tracker, domain, intent="ask_persona")


class ActionMeetPersona(Action):
    """'Wie is Luuk?' introduces him; 'laat de anderen zien' offers the other two."""

    def name(self) -> str:
        return "action_meet_persona"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return await qa.answer_question(dispatcher, tracker, domain, intent="meet_other")


class ActionStartOver(Action):
    """Clears the answers and the result, keeps the workshop, and starts the questions again (after consent)."""

    def name(self) -> str:
        return "action_start_over"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_start_over")
        return _wipe_answers()


class ActionConfirmStartOver(Action):
    """'Opnieuw beginnen' first asks a yes/no with buttons: nothing is wiped without the pupil's consent."""

    def name(self) -> str:
        return "action_confirm_start_over"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_confirm_start_over", buttons=confirm_buttons())
        return [SlotSet("pause", turn.PAUSE_CONFIRM_RESTART)]


class ActionSafety(Action):
    """An explicit sign of crisis: the full referral, then an offer to go on. During the questions the form stays
    active but paused, so a typed 'ja' or 'verder' goes on with every answer kept."""

    def name(self) -> str:
        return "action_safety"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_distress")
        if _in_questions(tracker):
            dispatcher.utter_message(response="utter_offer_resume", buttons=[resume_button()])
            return [SlotSet("pause", turn.PAUSE_CRISIS)]
        if not tracker.get_slot("persona"):
            dispatcher.utter_message(response="utter_offer_resume", buttons=[resume_button()])
            return [SlotSet("chat_state", "stopped")]
        return []


class ActionCheckIn(Action):
    """A mild sign (sad, lonely, stressed): a short, warm check-in with the mentor and De Kindertelefoon."""

    def name(self) -> str:
        return "action_check_in"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if _in_questions(tracker):
            dispatcher.utter_message(response="utter_check_in", buttons=[talk_button(), resume_button()])
            return [SlotSet("pause", turn.PAUSE_CHECK_IN)]
        dispatcher.utter_message(response="utter_check_in_after", buttons=[talk_button()])
        if not tracker.get_slot("persona"):
            dispatcher.utter_message(response="utter_offer_resume", buttons=[resume_button()])
            return [SlotSet("chat_state", "stopped")]
        return []


class ActionResume(Action):
    """After a stop, the pupil chose to go on: the questions continue where they were, nothing is lost."""

    def name(self) -> str:
        return "action_resume"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_resume")
        return [SlotSet("chat_state", None), *[SlotSet(k, v) for k, v in turn.Counters().as_slots().items()]]


class ActionAfterReveal(Action):
    """Short replies after the reveal ('ja', 'ok', 'hoi', nonsense): a confirmed restart, a kept answer, or help
    that never repeats itself word for word."""

    def name(self) -> str:
        return "action_after_reveal"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        text = (tracker.latest_message or {}).get("text") or ""
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        if turn.Counters.from_slots(tracker.slots).pause == turn.PAUSE_CONFIRM_RESTART:
            verdict = turn.take_turn_after_reveal(text, intent)
            if verdict == turn.RESTART:
                dispatcher.utter_message(response="utter_start_over")
                return [*_wipe_answers(), FollowupAction(FORM)]
            if verdict == turn.RESUME:
                dispatcher.utter_message(response="utter_keep_answers")
                return [SlotSet("pause", None)]
        last = next(
            (e.get("metadata", {}).get("utter_action") for e in reversed(tracker.events) if e.get("event") == "bot"),
            None,
        )
        if last in feedback.RATING_QUESTIONS and any(ch.isdigit() for ch in text):
            # A typed number right after "Geef een cijfer": the rating, whatever intent the classifier guessed.
            rating = feedback.rating_in_text(text)
            if rating is None:
                dispatcher.utter_message(response="utter_ask_feedback_rating")
                return []
            return [SlotSet(feedback.RATING_SLOT, float(rating)), FollowupAction(feedback.FEEDBACK_FORM)]
        response = "utter_after_reveal_help_again" if last == "utter_after_reveal_help" else "utter_after_reveal_help"
        dispatcher.utter_message(response=response, buttons=after_reveal_buttons())
        return [SlotSet("pause", None)]
