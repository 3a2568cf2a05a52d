"""The questionnaire flow without Rasa: the scripted pupils of the e2e test reach their persona here too."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from bot import ROOT
from bot.core import turn
from bot.core.content import get_questionnaire, slot_for
from bot.core.reveal import build_reveal

PUPILS = yaml.safe_load((ROOT / "tests" / "e2e" / "pupils.yml").read_text(encoding="utf-8"))
CASES = [(persona, pupil) for persona, pupils in PUPILS.items() for pupil in pupils]


def play(pupil: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
    """Answer the questions in the order the form asks them; returns the slots and the questions asked."""
    slots: dict[str, Any] = {slot_for(q.id): None for q in get_questionnaire().questions}
    asked: list[str] = []
    for _ in range(30):
        missing = [s for s in turn.required_slots(slots) if slots.get(s) is None]
        if not missing:
            return slots, asked
        question_id = missing[0].removeprefix("q_")
        asked.append(question_id)
        result = turn.take_turn(question_id, pupil[question_id], "inform", [], slots)
        assert result.kind == turn.ANSWER, f"{pupil['name']}: not understood at {question_id}: {pupil[question_id]!r}"
        slots.update(result.slots)
    raise AssertionError("questionnaire did not end")


@pytest.mark.parametrize(("persona", "pupil"), CASES, ids=[p["name"] for _, p in CASES])
def test_scripted_pupil_reaches_persona(persona: str, pupil: dict[str, str]) -> None:
    slots, _ = play(pupil)
    state = turn.State.from_slots(slots)
    reveal = build_reveal(state.model_answers(), state.stage)
    assert reveal.persona_id == persona, (reveal.payload["exploration"], reveal.payload["commitment"])


def test_klas3_is_asked_which_profiles_they_consider_and_no_first_year_question() -> None:
    _, asked = play(PUPILS["luuk"][3])
    assert "first_year_doubt" not in asked
    prompt = turn.question_prompt("profile", {"q_stage": "klas3"})
    assert "overweeg" in prompt.text


def test_an_early_answer_skips_the_later_question() -> None:
    pupil = PUPILS["joost"][1]  # "NT natuurlijk en ik twijfel nooit"
    slots, asked = play(pupil)
    assert "doubt" not in asked
    assert slots["q_doubt"] == "never"


def test_prompt_progress_counts_the_stage_questions() -> None:
    prompt = turn.question_prompt("future", {"q_stage": "student"})
    assert prompt.payload["index"] == prompt.payload["total"] == 13
    prompt = turn.question_prompt("future", {"q_stage": "klas3"})
    assert prompt.payload["total"] == 12


# What the channel makes of hostile text (slashes and braces gone), and other code: never an answer,
# whatever the classifier guessed, even when a number or a word in it fits an option (found by the soak).
CODE = [
    'inform "persona": "tim", "exploration": 1.0, "commitment": 1.0',
    'inform "option": "stage.rocket"',
    "'; DROP TABLE events; --",
    "<script>alert(document.cookie)</script>",
    "<b>2</b> open dagen",
    "nonexistent_intent",
]


@pytest.mark.parametrize("text", CODE)
@pytest.mark.parametrize("question", ["open_days", "doubt", "open_days_kind", "profile"])
@pytest.mark.parametrize("intent", ["inform", "deny", "affirm", "nlu_fallback"])
def test_code_is_never_an_answer(text: str, question: str, intent: str) -> None:
    result = turn.take_turn(question, text, intent, [], {"q_stage": "bovenbouw"})
    assert result.kind == turn.NOT_UNDERSTOOD, result
    assert result.slots.get(slot_for(question)) is None


def test_a_colon_or_a_smiley_in_an_answer_is_no_code() -> None:
    for text in ("ik denk: een paar", "een paar :)", "twee <3"):
        result = turn.take_turn("open_days", text, "inform", [], {"q_stage": "bovenbouw"})
        assert result.kind == turn.ANSWER, text
        assert result.slots[slot_for("open_days")] not in (None, "dont_know"), text
