"""The questionnaire's turn logic, free of Rasa: which question comes next, what an answer fills in,
and what the bot says when it asks. The Rasa actions only translate slots and events to and from this.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.core.content import Question, Questionnaire, get_questionnaire, slot_for
from bot.core.interpret import interpret, prefill
from bot.core.model import score

DONT_KNOW = "dont_know"
DONT_KNOW_LABEL = "Weet ik niet"
STAGE_QUESTION = "stage"
# Rasa button payloads carry the chosen option as "<question_id>.<option_id>".
OPTION_ENTITY = "option"


# Intents that may interrupt a question. Questions to the bot interrupt whenever the message reads like a
# question; social intents (and starting over) only when the message is no answer. Safety and empty messages never
# reach the form at all (domain.yml keeps them out of the slot mappings).
QUESTION_INTENTS = frozenset(
    {
        "ask_profiles",
        "ask_open_days",
        "ask_privacy",
        "bot_challenge",
        "help",
        "ask_persona",
        "meet_other",
        "ask_why",
        "out_of_scope",
    }
)
SOCIAL_INTENTS = frozenset({"greet", "goodbye", "thanks", "chitchat", "insult", "start_over"})
QUESTION_WORDS = frozenset(
    {
        "wat",
        "wie",
        "hoe",
        "waarom",
        "welke",
        "welk",
        "wanneer",
        "waar",
        "ben",
        "is",
        "kan",
        "kun",
        "mag",
        "moet",
        "heb",
        "heeft",
        "doe",
        "zijn",
        "wil",
        "vertel",
        "leg",
    }
)


def looks_like_question(text: str) -> bool:
    words = text.strip().lower().split()
    return "?" in text or bool(words and words[0] in QUESTION_WORDS)


def is_digression(intent: str | None, text: str, understood: bool) -> bool:
    """Whether a message during a question is a side step (answer it, then ask again) rather than an answer."""
    if intent in QUESTION_INTENTS:
        return looks_like_question(text) or not understood
    if intent in SOCIAL_INTENTS:
        return not understood
    return False


def encode(options: Iterable[str]) -> str:
    """Slot value for one or more chosen options."""
    return ",".join(options)


def decode(value: Any) -> list[str]:
    """Chosen options from a slot value; anything unexpected means nothing was chosen."""
    if not isinstance(value, str) or not value.strip():
        return []
    return [part for part in value.split(",") if part]


def button_payload(question_id: str, option_id: str) -> str:
    return "/inform" + json.dumps({OPTION_ENTITY: f"{question_id}.{option_id}"})


@dataclass
class State:
    """What the conversation knows so far, read from the q_ slots."""

    stage: str | None
    answers: dict[str, list[str]]

    @classmethod
    def from_slots(cls, slots: Mapping[str, Any], questionnaire: Questionnaire | None = None) -> State:
        questionnaire = questionnaire or get_questionnaire()
        answers: dict[str, list[str]] = {}
        for question in questionnaire.questions:
            chosen = decode(slots.get(slot_for(question.id)))
            if chosen:
                answers[question.id] = chosen
        stage_answer = answers.get(STAGE_QUESTION, [])
        stage = stage_answer[0] if stage_answer and stage_answer[0] != DONT_KNOW else None
        return cls(stage=stage, answers=answers)

    def model_answers(self) -> dict[str, str | list[str]]:
        """Answers in the shape bot.core.model.score expects: one id, or a list for multi questions."""
        return {qid: (ids[0] if len(ids) == 1 else list(ids)) for qid, ids in self.answers.items()}


def required_questions(stage: str | None, questionnaire: Questionnaire | None = None) -> list[Question]:
    """The ordered questions for this stage; before the stage is known, just the stage question first."""
    questionnaire = questionnaire or get_questionnaire()
    return questionnaire.questions_for(stage)


def required_slots(slots: Mapping[str, Any], questionnaire: Questionnaire | None = None) -> list[str]:
    questionnaire = questionnaire or get_questionnaire()
    state = State.from_slots(slots, questionnaire)
    return [slot_for(q.id) for q in required_questions(state.stage, questionnaire)]


def scores(slots: Mapping[str, Any], questionnaire: Questionnaire | None = None) -> dict[str, float]:
    """The three dimension scores for the answers so far, rounded for the slots."""
    questionnaire = questionnaire or get_questionnaire()
    state = State.from_slots(slots, questionnaire)
    result = score(state.model_answers(), questionnaire, state.stage)
    return {
        "exploration": round(result.exploration, 3),
        "commitment": round(result.commitment, 3),
        "reconsideration": round(result.reconsideration, 3),
    }


@dataclass
class Turn:
    """The outcome of one pupil message while a question is open."""

    updates: dict[str, str] = field(default_factory=dict)  # slot name -> encoded options
    understood: bool = False
    notes: list[str] = field(default_factory=list)  # short Dutch acknowledgements


def _button_choice(entities: Iterable[Mapping[str, Any]]) -> tuple[str, str] | None:
    for entity in entities:
        if entity.get("entity") == OPTION_ENTITY and isinstance(entity.get("value"), str):
            question_id, _, option_id = entity["value"].partition(".")
            if question_id and option_id:
                return question_id, option_id
    return None


def _valid_option(question: Question, option_id: str) -> bool:
    return option_id == DONT_KNOW or any(option.id == option_id for option in question.options)


def handle_answer(
    current: str,
    text: str,
    intent: str | None,
    entities: Iterable[Mapping[str, Any]],
    slots: Mapping[str, Any],
    questionnaire: Questionnaire | None = None,
) -> Turn:
    """Understand a message as the answer to question `current`, plus any later questions it answers too.

    A button (entity `option`) counts only for a question of this pupil's stage that is still open;
    free text goes through bot.core.interpret. Nothing here can touch scores or the persona directly.
    """
    questionnaire = questionnaire or get_questionnaire()
    state = State.from_slots(slots, questionnaire)
    turn = Turn()
    open_ids = [q.id for q in required_questions(state.stage, questionnaire) if q.id not in state.answers]
    if current not in open_ids:
        open_ids.insert(0, current)

    choice = _button_choice(entities)
    if choice is not None:
        question_id, option_id = choice
        if question_id in open_ids and _valid_option(questionnaire.question(question_id), option_id):
            turn.updates[slot_for(question_id)] = option_id
            turn.understood = question_id == current
        return turn

    question = questionnaire.question(current)
    options = interpret(question, text, intent)
    if not options:
        return turn
    turn.understood = True
    turn.updates[slot_for(current)] = encode(options)

    stage = options[0] if current == STAGE_QUESTION and options[0] != DONT_KNOW else state.stage
    answered = set(state.answers) | {current}
    for question_id, found in prefill(questionnaire, text, stage, answered, current).items():
        if not found:
            continue
        turn.updates[slot_for(question_id)] = encode(found)
        explain = _explain(questionnaire.question(question_id), found)
        if explain:
            turn.notes.append(f"Ik heb ook genoteerd: {explain}. Die vraag sla ik dus over.")
    return turn


def _explain(question: Question, options: list[str]) -> str:
    by_id = {option.id: option for option in question.options}
    parts = [by_id[o].explain for o in options if o in by_id and by_id[o].explain]
    return " en ".join(parts)


@dataclass
class Prompt:
    """What the bot sends to ask a question."""

    text: str
    buttons: list[dict[str, str]]
    payload: dict[str, Any]


def question_prompt(
    question_id: str, slots: Mapping[str, Any], misunderstood: int = 0, questionnaire: Questionnaire | None = None
) -> Prompt:
    """The question text (plain, rephrased after one misunderstanding, buttons only after two)."""
    questionnaire = questionnaire or get_questionnaire()
    state = State.from_slots(slots, questionnaire)
    question = questionnaire.question(question_id)
    questions = required_questions(state.stage, questionnaire)
    ids = [q.id for q in questions]
    index = ids.index(question_id) if question_id in ids else len(state.answers)
    phase = questionnaire.phase(question.phase)

    if misunderstood >= 2:
        text = "Ik snap je antwoord nog steeds niet, sorry! Kies maar een van deze knoppen 👇"
    elif misunderstood == 1:
        text = f"Sorry, dat snap ik niet helemaal. {question.rephrase_for(state.stage)}"
    else:
        text = question.text_for(state.stage)

    buttons = [
        {"title": option.label, "payload": button_payload(question.id, option.id)} for option in question.options
    ]
    buttons.append({"title": DONT_KNOW_LABEL, "payload": button_payload(question.id, DONT_KNOW)})
    payload = {
        "type": "question",
        "question": question.id,
        "phase": question.phase,
        "phase_title": phase.title,
        "index": index + 1,
        "total": len(questions),
        "multi": question.multi,
    }
    return Prompt(text=text, buttons=buttons, payload=payload)
