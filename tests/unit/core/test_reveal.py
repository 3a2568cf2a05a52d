"""The reveal: honest texts per outcome, the payload, no jargon, names said once, one home for "waarom?"."""

from __future__ import annotations

import io
import random
import re
from pathlib import Path
from typing import Any

import pytest

from bot import ROOT
from bot.cli.score import score_command
from bot.core.content import DONT_KNOW, get_personas, get_questionnaire, get_reveal_texts
from bot.core.model import stage_table
from bot.core.next_steps import steps_for
from bot.core.reveal import build_reveal, why_text

Q = get_questionnaire()
P = get_personas()
T = get_reveal_texts()
STAGES = list(Q.stages)
JARGON = re.compile(r"\b(persona\w*|recruiter|consultan\w*|master|mba|cum laude|afstudeerrichting)\b", re.I)


def _quiet(stage: str) -> dict[str, Any]:
    return {
        "stage": stage,
        "hobbies_breadth": "few",
        "hobbies_technical": "not_really",
        "profile": "other",
        "extra_subjects": "none",
        "open_days": "few",
        "open_days_kind": "none_yet",
        "studies_considered": "none_yet",
        "doubt": "not_chosen",
        "first_year_doubt": "sometimes",
        "what_matters": ["social"],
        "direction_fit": "none",
        "future": "not_yet",
    }


def _all_text(messages: list[str]) -> str:
    return "\n".join(messages)


@pytest.mark.parametrize("pid", ["joost", "luuk", "tim"])
@pytest.mark.parametrize("stage", STAGES)
def test_a_clear_match_introduces_him_and_says_why(pid: str, stage: str) -> None:
    reveal = build_reveal({**P[pid].demo_answers, "stage": stage}, stage)
    payload = reveal.payload
    assert (payload["outcome"], payload["persona"], payload["fit"], payload["nearest"]) == (pid, pid, "good", False)
    text = _all_text(reveal.messages)
    name = P[pid].name
    assert T.get("opening.good", stage, name=name) in reveal.messages
    assert f"Waarom {name}? Je lijkt op hem, want" in text
    assert P[pid].intro in text
    assert len(payload["deciding"]) >= 2 and payload["deciding_evidence"]
    assert reveal.messages[-1].startswith(T.get("steps_heading", stage))


def test_the_steps_come_from_next_steps_for_the_stage_and_outcome() -> None:
    reveal = build_reveal({**P["luuk"].demo_answers, "stage": "klas3"}, "klas3")
    technical = reveal.scores.motives["technology"] >= 0.4
    expected = steps_for("klas3", "luuk", technical)
    assert reveal.payload["next_steps"] == [step.as_dict() for step in expected]
    assert reveal.payload["card"]["next_steps"] == [step.text for step in expected]
    for step in expected:
        assert step.text in reveal.messages[-1]


@pytest.mark.parametrize("stage", STAGES)
def test_diffusion_is_said_honestly_and_offers_the_nearest_to_explore(stage: str) -> None:
    reveal = build_reveal(_quiet(stage), stage)
    payload = reveal.payload
    assert payload["fit"] == "diffusion" and payload["outcome"] == "diffusion" and payload["nearest"] is True
    name = payload["name"]
    assert payload["persona"] in P
    text = _all_text(reveal.messages)
    assert T.get("opening.diffusion", stage, name=name) in reveal.messages
    assert "Jij lijkt het meest op" not in text and f"Waarom {name}?" not in text  # no forced persona
    assert T.get("mirror_diffusion", stage) in reveal.messages
    assert payload["deciding"], "why nobody yet: the pupil's own answers"
    for step in steps_for(stage, "diffusion", False):
        assert step.text in reveal.messages[-1]


@pytest.mark.parametrize("stage", STAGES)
def test_too_few_answers_is_said_and_offers_to_answer_again(stage: str) -> None:
    answers = {"stage": stage, **{q.id: DONT_KNOW for q in stage_table(Q, stage).questions}}
    answers["hobbies_breadth"] = "many"
    reveal = build_reveal(answers, stage)
    payload = reveal.payload
    assert payload["fit"] == "insufficient" and payload["outcome"] == "insufficient" and payload["nearest"]
    text = _all_text(reveal.messages)
    for persona in P.values():
        assert persona.intro not in text
        assert f"Waarom {persona.name}" not in text
    assert payload["answered"] == 1 and payload["total"] == len(stage_table(Q, stage).questions)
    assert 1 <= len(payload["retry_questions"]) <= 4
    assert "hobbies_breadth" not in payload["retry_questions"]
    assert T.get("retry", stage, questions=len(payload["retry_questions"])) in reveal.messages
    assert payload["deciding"] == []


def test_a_weak_fit_gets_an_honest_heading() -> None:
    rng = random.Random(7)
    seen = 0
    for _ in range(300):
        stage = rng.choice(STAGES)
        answers: dict[str, Any] = {"stage": stage}
        for question in stage_table(Q, stage).questions:
            answers[question.id] = (
                [rng.choice(question.option_ids)] if question.multi else rng.choice(question.option_ids)
            )
        reveal = build_reveal(answers, stage)
        if reveal.payload["fit"] != "weak":
            continue
        seen += 1
        opening = reveal.messages[1]
        assert "een beetje op" in opening and "Jij lijkt het meest op" not in opening
        assert not reveal.payload["nearest"]
    assert seen > 20


def _random_reveals(count: int, seed: int) -> list[Any]:
    rng = random.Random(seed)
    reveals = []
    for _ in range(count):
        stage = rng.choice(STAGES)
        answers: dict[str, Any] = {"stage": stage}
        for question in stage_table(Q, stage).questions:
            roll = rng.random()
            if roll < 0.15:
                answers[question.id] = DONT_KNOW
            elif question.multi:
                answers[question.id] = rng.sample(list(question.option_ids), rng.randint(1, 3))
            else:
                answers[question.id] = rng.choice(question.option_ids)
        reveals.append(build_reveal(answers, stage))
    return reveals


def test_no_name_is_said_twice_in_one_message_and_no_jargon() -> None:
    for reveal in _random_reveals(150, 3):
        for message in reveal.messages:
            assert not JARGON.search(message), message
            for persona in P.values():
                assert message.count(persona.name) <= 1, message


def test_the_field_note_only_when_technology_does_not_draw_the_pupil() -> None:
    note_start = T.get("field_note", None, name="X").split("X", 1)[1][:25]
    for reveal in _random_reveals(120, 5):
        has_note = any(note_start in m for m in reveal.messages)
        if reveal.payload["fit"] in ("good", "weak"):
            assert has_note == (reveal.scores.motives["technology"] < 0.25)
        else:
            assert not has_note


def test_payload_carries_one_name_per_score_and_the_colours() -> None:
    payload = build_reveal(P["tim"].demo_answers, "student").payload
    assert payload["dimensions"] == {
        name: {"label": info["label"], "explain": info["explain"]} for name, info in Q.dimensions.items()
    }
    assert {p["id"]: p["color"] for p in payload["personas"]} == {pid: p.color for pid, p in P.items()}
    assert set(payload["motive_labels"]) == set(payload["motives"])
    for key in ("exploration", "commitment", "reconsideration", "margin", "confidence"):
        assert 0.0 <= payload[key] <= 1.0


def test_why_text_is_the_one_home_of_the_explanation() -> None:
    reveal = build_reveal(P["joost"].demo_answers, "student")
    persona = P["joost"]
    text = why_text(persona, reveal.match, "student", personas=P, scores=reveal.scores)
    assert text in reveal.messages
    out = io.StringIO()
    assert score_command(str(ROOT / "examples" / "answers_joost.yml"), out) == 0
    printed = out.getvalue()
    assert "Outcome: joost" in printed and "Waarom Joost? Je lijkt op hem, want" in printed


@pytest.mark.parametrize(
    ("example", "outcome"),
    [("joost", "joost"), ("luuk", "luuk"), ("tim", "tim"), ("diffusion", "diffusion")],
)
def test_the_examples_give_their_outcome(example: str, outcome: str) -> None:
    out = io.StringIO()
    path = Path(ROOT / "examples" / f"answers_{example}.yml")
    assert score_command(str(path), out) == 0
    assert f"Outcome: {outcome}" in out.getvalue()
