"""Rasa SDK actions for the questions pupils ask the alumni. Thin by design: they read the message and slots, let
bot.core.persona_qa choose the reply, and send it with a small `answer` payload that names its source (the widget
ignores it; `make bench-qa` reads it).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.core import persona_qa, turn
from bot.core.content import get_personas, get_reveal_texts
from bot.core.persona_qa import Asked, Reply
from bot.core.reveal import mirror_text

# When the words hold no question the answerer can place, the intent's usual reply follows.
USUAL_RESPONSES = {
    "chitchat": "utter_chitchat",
    "ask_profiles": "utter_ask_profiles",
    "ask_open_days": "utter_open_days",
    "ask_privacy": "utter_privacy",
}


def answer_payload(source: str) -> dict[str, Any]:
    return {"type": "answer", "source": source}


def asked_from(tracker: Tracker, intent: str | None = None) -> Asked:
    """The message and what the conversation knows, for bot.core.persona_qa.respond."""
    message = tracker.latest_message or {}
    state = turn.State.from_slots(tracker.slots)
    return Asked(
        text=message.get("text") or "",
        persona=tracker.get_slot("persona"),
        intent=intent or (message.get("intent") or {}).get("name"),
        persona_entity=next(tracker.get_latest_entity_values("persona"), None),
        phase_entity=next(tracker.get_latest_entity_values("phase"), None),
        answers=state.model_answers(),
        stage=state.stage,
    )


def send(dispatcher: CollectingDispatcher, reply: Reply) -> None:
    """The reply text(s), then the source payload; introductions of the others get a button each."""
    if reply.source == persona_qa.MEET:
        personas = get_personas()
        for pid in reply.others:
            dispatcher.utter_message(text=persona_qa.introduce(pid, personas))
        dispatcher.utter_message(
            response="utter_ask_more",
            buttons=[
                {
                    "title": get_reveal_texts().get("buttons.more_about", name=personas[pid].name),
                    "payload": f'/ask_persona{{"persona": "{pid}"}}',
                }
                for pid in reply.others
            ],
        )
    elif reply.response:
        dispatcher.utter_message(response=reply.response)
    else:
        dispatcher.utter_message(text=reply.text)
    dispatcher.utter_message(json_message=answer_payload(reply.source))


async def answer_question(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, intent: str | None = None
) -> list[EventType]:
    """Answer one question after the reveal (or after a stop). `intent` overrides the classifier's guess."""
    # Imported here, because actions.actions imports this module.
    from actions.actions import ActionAfterReveal, ActionConfirmStartOver

    revealed = bool(tracker.get_slot("persona"))
    asked = asked_from(tracker, intent)
    events: list[EventType] = []
    if revealed and turn.Counters.from_slots(tracker.slots).pause == turn.PAUSE_CONFIRM_RESTART:
        if turn.take_turn_after_reveal(asked.text, asked.intent) is not None:
            return await ActionAfterReveal().run(dispatcher, tracker, domain)  # yes or no to starting over
        events.append(SlotSet("pause", None))  # a question instead: the restart is off, the question is answered
    reply = persona_qa.respond(asked)
    if asked.intent == "start_over" and (
        persona_qa.mentions_restart(asked.text) or reply.kind not in persona_qa.CLEAR_KINDS
    ):
        return [*events, *await ActionConfirmStartOver().run(dispatcher, tracker, domain)]
    if reply.source == persona_qa.NONE:
        usual = USUAL_RESPONSES.get(asked.intent or "")
        if usual:
            dispatcher.utter_message(response=usual)
            dispatcher.utter_message(json_message=answer_payload(f"response:{usual}"))
            return events
        if revealed:
            return [*events, *await ActionAfterReveal().run(dispatcher, tracker, domain)]
        reply = persona_qa.offtopic()
    send(dispatcher, reply)
    if revealed and reply.source == f"{persona_qa.WHY}:{asked.persona}":
        dispatcher.utter_message(text=mirror_text(tracker.get_slot("fit"), asked.stage))
    return events


class ActionAnswerQuestion(Action):
    """Every question after the reveal that is not about safety or starting over: comparisons, "waarom niet hij?",
    yes/no questions, glossary words, the hbo route, his story, and an honest "daar weet ik niks van"."""

    def name(self) -> str:
        return "action_answer_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return await answer_question(dispatcher, tracker, domain)


class ActionExplainTerm(Action):
    """During the questions: what a word means (or a short hbo answer); the form then asks the same question."""

    def name(self) -> str:
        return "action_explain_term"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        reply = persona_qa.explain_term((tracker.latest_message or {}).get("text") or "")
        send(dispatcher, reply)
        return []
