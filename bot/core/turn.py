"""The questionnaire's turn logic, free of Rasa: which question comes next, what an answer fills in,
and what the bot says when it asks. The Rasa actions only translate slots and events to and from this.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.core import safety
from bot.core.content import (
    DONT_KNOW,
    DONT_KNOW_LABEL,
    SCORE_SLOTS,
    STAGE_QUESTION,
    Question,
    Questionnaire,
    decode_answer,
    encode_answer,
    get_questionnaire,
    slot_for,
)
from bot.core.interpret import prefill, read_answer
from bot.core.model import score
from bot.core.text import words

# Rasa button payloads carry the chosen option as "<question_id>.<option_id>".
OPTION_ENTITY = "option"


# Intents for which a side step exists (a rule answers them, then the question comes back). A message with one of
# these intents is a side step only when it carries no answer to the open question: answer first.
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
        "ask_term",
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
        "hoezo",
        "waarvoor",
    }
)
# Markup, typed commands and the like are never an answer: asked again, then skipped. This includes typed
# "/intent{...}" after the channel made it plain text ('inform "option":"x"', 'nonexistent_intent').
_LOOKS_LIKE_CODE = re.compile(r"<[^>]*>|^\s*/|[{}]|\"\s*:|\b[a-z]+_[a-z_]+\b|;\s*--|\bdrop\s+table\b", re.IGNORECASE)
# The intent Rasa gives keyboard mash and text of unknown words (bot.plugins.nlu_unknown_words).
NONSENSE_INTENT = "nlu_fallback"
# After two side steps on one question, the next message is taken as an answer attempt.
MAX_SIDE_STEPS = 2
# After this many messages that are no answer, the question is skipped (recorded as "weet ik niet").
MAX_MISSES = 2

# What a turn can be. ANSWER fills slots; SIDE_STEP hands over to a rule and asks again; NOT_UNDERSTOOD asks again
# in other words; SKIPPED records "weet ik niet" and moves on; the rest belong to a paused conversation.
ANSWER = "answer"
SIDE_STEP = "side_step"
NOT_UNDERSTOOD = "not_understood"
SKIPPED = "skipped"
CRISIS = "crisis"
CHECK_IN = "check_in"
RESUME = "resume"
RESTART = "restart"
TALK = "talk"
STILL_PAUSED = "still_paused"
FOLLOW_UP = "follow_up"

# Why the questions are paused: after the full referral, after a check-in, or while asking to confirm a restart.
PAUSE_CRISIS = "crisis"
PAUSE_CHECK_IN = "check_in"
PAUSE_CONFIRM_RESTART = "confirm_restart"
RESUME_PAYLOAD = "/resume"
CONFIRM_RESTART_PAYLOAD = "/confirm_start_over"
TALK_PAYLOAD = "/talk"
# Typed words that go on with the questions after a pause, just as the button does.
RESUME_PHRASES = (
    "ja",
    "jaa",
    "ja hoor",
    "ja graag",
    "ja prima",
    "jep",
    "jup",
    "yes",
    "ok",
    "oke",
    "okay",
    "okee",
    "goed",
    "prima",
    "verder",
    "ga verder",
    "ga maar verder",
    "ga door",
    "ga maar door",
    "doorgaan",
    "door",
    "we gaan verder",
    "verder met de vragen",
    "de vragen",
    "vragen",
    "doe maar",
    "is goed",
    "nee ga verder",
    "nee ga maar door",
    "nee verder",
    "nee hoor",
    "nee het gaat wel",
    "het gaat wel",
    "gaat wel",
    "laat maar",
    "laten we verder gaan",
    "volgende",
    "volgende vraag",
)
CONFIRM_PHRASES = (
    "ja",
    "jaa",
    "ja hoor",
    "ja graag",
    "jep",
    "jup",
    "yes",
    "ok",
    "oke",
    "okay",
    "zeker",
    "ja zeker",
    "doe maar",
    "ja doe maar",
    "ja opnieuw",
    "opnieuw",
    "ja wis maar",
    "ja opnieuw beginnen",
    "opnieuw beginnen",
    "klopt",
    "is goed",
)
DENY_PHRASES = (
    "nee",
    "neen",
    "nope",
    "nah",
    "nee hoor",
    "nee dank je",
    "liever niet",
    "nee ga verder",
    "nee ga maar door",
    "ga verder",
    "verder",
    "ga door",
    "niet wissen",
    "nee niet wissen",
    "toch niet",
    "laat maar",
    "nee laat maar",
)
TALK_PHRASES = (
    "praten",
    "ik wil praten",
    "erover praten",
    "ik wil erover praten",
    "wil praten",
    "met iemand praten",
    "ja praten",
    "ja ik wil praten",
    "hulp",
    "ik wil hulp",
    "help me",
    "wie kan ik bellen",
    "wie kan helpen",
)


def looks_like_question(text: str) -> bool:
    """A question to the bot: a question mark after a few words, or a question word first."""
    words = text.strip().lower().split()
    if not words:
        return False
    return words[0].strip("?,.!") in QUESTION_WORDS or ("?" in text and len(words) >= 3)


def _phrase_in(text: str, phrases: Iterable[str]) -> bool:
    said = " ".join(words(text))
    return bool(said) and said in phrases


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
            chosen = decode_answer(slots.get(slot_for(question.id)))
            if chosen:
                answers[question.id] = chosen
        stage_answer = answers.get(STAGE_QUESTION, [])
        stage = stage_answer[0] if stage_answer and stage_answer[0] != DONT_KNOW else None
        return cls(stage=stage, answers=answers)

    @classmethod
    def from_answers(cls, answers: Mapping[str, list[str]]) -> State:
        stage_answer = answers.get(STAGE_QUESTION, [])
        stage = stage_answer[0] if stage_answer and stage_answer[0] != DONT_KNOW else None
        return cls(stage=stage, answers=dict(answers))

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


def _scores(state: State, questionnaire: Questionnaire) -> dict[str, float]:
    """The three dimension scores for the answers so far, rounded for the slots."""
    result = score(state.model_answers(), questionnaire, state.stage).as_dict()
    return {name: result[name] for name in SCORE_SLOTS}


@dataclass
class Counters:
    """Per-question bookkeeping kept in slots: misses, side steps, and why the questions are paused."""

    misunderstood: int = 0
    side_steps: int = 0
    pause: str | None = None
    follow_up: str | None = None  # the options an ambiguous short answer could mean, asked about once

    @classmethod
    def from_slots(cls, slots: Mapping[str, Any]) -> Counters:
        def count(name: str) -> int:
            value = slots.get(name)
            return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0

        pause, follow_up = slots.get("pause"), slots.get("follow_up")
        return cls(
            count("misunderstood"),
            count("side_steps"),
            pause if isinstance(pause, str) else None,
            follow_up if isinstance(follow_up, str) else None,
        )

    def as_slots(self) -> dict[str, Any]:
        return {
            "misunderstood": float(self.misunderstood),
            "side_steps": float(self.side_steps),
            "pause": self.pause,
            "follow_up": self.follow_up,
        }


@dataclass
class TurnResult:
    """Everything one pupil message during the questions leads to; the form action only translates it."""

    kind: str
    slots: dict[str, Any] = field(default_factory=dict)  # slot name -> new value (answers, scores, counters)
    notes: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # (response name, its variables)

    @property
    def answered(self) -> bool:
        return self.kind in (ANSWER, SKIPPED)


def _button_choice(entities: Iterable[Mapping[str, Any]]) -> tuple[str, list[str]] | None:
    """The question and options of a button payload: "<question>.<option>" or "<question>.<opt1>,<opt2>"."""
    for entity in entities:
        if entity.get("entity") == OPTION_ENTITY and isinstance(entity.get("value"), str):
            question_id, _, option_ids = entity["value"].partition(".")
            chosen = decode_answer(option_ids)
            if question_id and chosen:
                return question_id, chosen
    return None


def _valid_options(question: Question, option_ids: list[str]) -> list[str] | None:
    allowed = {*question.option_ids, DONT_KNOW}
    if not option_ids or any(o not in allowed for o in option_ids):
        return None
    if len(option_ids) > 1 and (not question.multi or DONT_KNOW in option_ids):
        return None
    return list(dict.fromkeys(option_ids))


def _answer(
    question_id: str,
    options: list[str],
    text: str,
    state: State,
    questionnaire: Questionnaire,
    with_prefill: bool,
) -> TurnResult:
    """Slot updates for an answer, plus later questions the same message answered too, plus the new scores."""
    result = TurnResult(ANSWER)
    result.slots[slot_for(question_id)] = encode_answer(options)
    answers = dict(state.answers)
    answers[question_id] = options
    if with_prefill:
        stage = options[0] if question_id == STAGE_QUESTION and options[0] != DONT_KNOW else state.stage
        for other_id, found in prefill(questionnaire, text, stage, set(answers), question_id).items():
            if not found:
                continue
            result.slots[slot_for(other_id)] = encode_answer(found)
            answers[other_id] = found
            explain = _explain(questionnaire.question(other_id), found)
            if explain:
                result.notes.append(("utter_noted_too", {"explain": explain}))
    result.slots.update(_scores(State.from_answers(answers), questionnaire))
    result.slots.update(Counters().as_slots())
    return result


def _miss(current: str, counters: Counters, state: State, questionnaire: Questionnaire) -> TurnResult:
    """Not understood: ask again in other words, or after too many misses skip the question."""
    misses = counters.misunderstood + 1
    if misses >= MAX_MISSES or counters.side_steps >= MAX_SIDE_STEPS:
        skipped = _answer(current, [DONT_KNOW], "", state, questionnaire, with_prefill=False)
        skipped.kind = SKIPPED
        skipped.notes.insert(0, ("utter_skip_question", {}))
        return skipped
    return TurnResult(NOT_UNDERSTOOD, slots={"misunderstood": float(misses)})


def _paused_turn(text: str, intent: str | None, counters: Counters) -> TurnResult | None:
    """A message while the questions are paused; None when it is an answer to the open question after all."""
    payload = text.strip()
    resumed = Counters().as_slots()
    if counters.pause == PAUSE_CONFIRM_RESTART:
        if payload == CONFIRM_RESTART_PAYLOAD or intent == "confirm_start_over" or _phrase_in(text, CONFIRM_PHRASES):
            return TurnResult(RESTART)
        if payload == RESUME_PAYLOAD or _phrase_in(text, DENY_PHRASES):
            return TurnResult(RESUME, slots=resumed)
        return None  # anything else: the restart is off, and the message is read as usual
    if payload == TALK_PAYLOAD or _phrase_in(text, TALK_PHRASES):
        return TurnResult(TALK)
    if payload == RESUME_PAYLOAD or _phrase_in(text, RESUME_PHRASES):
        return TurnResult(RESUME, slots=resumed)
    return None


def take_turn_after_reveal(text: str, intent: str | None) -> str | None:
    """After the reveal, the answer to "Wil je echt opnieuw beginnen?": RESTART, RESUME (keep answers) or None."""
    paused = _paused_turn(text or "", intent, Counters(pause=PAUSE_CONFIRM_RESTART))
    return paused.kind if paused is not None else None


def take_turn(
    current: str,
    text: str,
    intent: str | None,
    entities: Iterable[Mapping[str, Any]],
    slots: Mapping[str, Any],
    questionnaire: Questionnaire | None = None,
) -> TurnResult:
    """Decide what one pupil message means while question `current` is open. The one place for this decision.

    Order: a safety signal first; then a paused conversation (resume, restart, talk); then a button; then answer
    first: whatever the intent classifier guessed, a message that reads as an answer to the open question is an
    answer. A side step (a rule answers, the question comes back) is taken only for a question or request to the
    bot that carries no answer, and never more than twice on one question. Otherwise the message was not
    understood, and a second miss skips the question, so every pupil reaches the end.
    """
    questionnaire = questionnaire or get_questionnaire()
    # Rasa's from_text mapping has put the raw message in the open question's slot: it is no answer yet.
    state = State.from_slots({**slots, slot_for(current): None}, questionnaire)
    counters = Counters.from_slots(slots)
    text = text or ""

    verdict = safety.assess(text)
    if verdict.tier is not None:
        return TurnResult(CRISIS if verdict.tier == safety.CRISIS else CHECK_IN)

    paused = counters.pause in (PAUSE_CRISIS, PAUSE_CHECK_IN)
    if counters.pause:
        decided = _paused_turn(text, intent, counters)
        if decided is not None:
            return decided
        counters = Counters(counters.misunderstood, counters.side_steps, None, counters.follow_up)

    open_ids = [q.id for q in required_questions(state.stage, questionnaire) if q.id not in state.answers]
    choice = _button_choice(entities)
    if choice is not None:
        question_id, option_ids = choice
        valid = _valid_options(questionnaire.question(question_id), option_ids) if question_id in open_ids else None
        if valid is None:
            return _miss(current, counters, state, questionnaire)
        result = _answer(question_id, valid, "", state, questionnaire, with_prefill=False)
        if question_id != current:
            result.slots[slot_for(current)] = None  # the button answered another open question; ask this one again
        return result

    if not text.lstrip().startswith("/") and _LOOKS_LIKE_CODE.search(text):
        # Code is no answer, even when a word or a number in it would fit an option ("exploration": 1.0 is no
        # "1 open dag"). The bot's own "/" payloads never get here as code: the channel lets only those through.
        return _miss(current, counters, state, questionnaire)
    question = questionnaire.question(current)
    reading = read_answer(question, text, intent, stage=state.stage)
    options = reading.options or None
    is_question = looks_like_question(text)
    if reading.ambiguous and not counters.follow_up and not is_question:
        # "N&T" fits more than one option: ask which one (with only those buttons) instead of guessing.
        return TurnResult(FOLLOW_UP, slots={"follow_up": encode_answer(reading.ambiguous)})
    may_side_step = counters.side_steps < MAX_SIDE_STEPS
    if may_side_step and is_question and intent in QUESTION_INTENTS:
        return TurnResult(SIDE_STEP, slots={"side_steps": float(counters.side_steps + 1)})
    if options:
        return _answer(current, options, text, state, questionnaire, with_prefill=True)
    if may_side_step and (intent in QUESTION_INTENTS or intent in SOCIAL_INTENTS):
        return TurnResult(SIDE_STEP, slots={"side_steps": float(counters.side_steps + 1)})
    if paused:
        return TurnResult(STILL_PAUSED)  # no answer while paused: ask again whether to go on, count nothing
    if intent != NONSENSE_INTENT and not is_question and words(text) and not _LOOKS_LIKE_CODE.search(text):
        # Real words that fit no option ("dat het chill is"): taken as said, without evidence, and on we go.
        # Asking again would not make the pupil's answer fit; keyboard mash (nlu_fallback) is asked again.
        kept = _answer(current, [DONT_KNOW], "", state, questionnaire, with_prefill=False)
        kept.notes.insert(0, ("utter_noted_open_answer", {}))
        return kept
    return _miss(current, counters, state, questionnaire)


def _explain(question: Question, options: list[str]) -> str:
    by_id = {option.id: option for option in question.options}
    parts = [by_id[o].explain for o in options if o in by_id and by_id[o].explain]
    return " en ".join(parts)


def _follow_up_rule(question: Question, pending: str | None) -> Any:
    """The question's ambiguity rule whose options are pending, if any."""
    wanted = set(decode_answer(pending))
    return next((rule for rule in question.ambiguous if wanted and set(rule.options) == wanted), None)


@dataclass
class Prompt:
    """What the bot sends to ask a question: an optional lead-in response, the text, buttons and a payload."""

    text: str
    buttons: list[dict[str, str]]
    payload: dict[str, Any]
    lead: str | None = None  # name of a domain response said first ("Sorry, dat snap ik niet helemaal.")


def question_prompt(question_id: str, slots: Mapping[str, Any], questionnaire: Questionnaire | None = None) -> Prompt:
    """The question as the pupil should see it now: plain, rephrased after a miss, or with a nudge to pick a
    button after two side steps. Buttons always come along, so a pupil who is stuck can tap."""
    questionnaire = questionnaire or get_questionnaire()
    state = State.from_slots(slots, questionnaire)
    counters = Counters.from_slots(slots)
    question = questionnaire.question(question_id)
    questions = required_questions(state.stage, questionnaire)
    ids = [q.id for q in questions]
    index = ids.index(question_id) if question_id in ids else len(state.answers)
    phase = questionnaire.phase(question.phase)

    lead = None
    text = question.text_for(state.stage)
    shown = list(question.options)
    follow_up = _follow_up_rule(question, counters.follow_up)
    if follow_up is not None:
        text = follow_up.ask_for(state.stage)
        shown = [o for o in question.options if o.id in follow_up.options]
    elif counters.misunderstood >= 1:
        lead, text = "utter_not_understood", question.rephrase_for(state.stage)
    elif counters.side_steps >= MAX_SIDE_STEPS:
        lead = "utter_pick_or_type"

    buttons = [
        {"title": option.label_for(state.stage), "payload": button_payload(question.id, option.id)} for option in shown
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
    return Prompt(text=text, buttons=buttons, payload=payload, lead=lead)
