"""`python -m bot score answers.yml`: score a file of answers and show how the model reasons.

Advisors use it to check a questionnaire edit without starting Rasa: the same interpretation,
scoring and matching code as the bot, printed in plain words.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO

import yaml

from bot.core.content import DIMENSIONS, DONT_KNOW, STAGE_QUESTION, ContentError, get_personas, get_questionnaire
from bot.core.interpret import interpret, read_answer
from bot.core.model import Match, Scores, match, score
from bot.core.reveal import opening_text, why_text

_FIT_TEXT = {
    "good": "good (clearly like him)",
    "weak": "weak (only partly like him, or almost as much like another)",
    "diffusion": "diffusion (nobody yet: little exploration and little commitment; he is only the nearest)",
    "insufficient": "insufficient (too few real answers; he is only the nearest)",
}


def _bar(value: float, width: int = 20) -> str:
    filled = round(max(0.0, min(1.0, value)) * width)
    return "#" * filled + "." * (width - filled)


def resolve_answers(raw: dict[str, Any], stage: str | None) -> tuple[dict[str, Any], list[str]]:
    """Turn option ids or free text into option ids; returns the answers and readable notes."""
    questionnaire = get_questionnaire()
    answers: dict[str, Any] = {}
    notes: list[str] = []
    for qid, value in raw.items():
        try:
            question = questionnaire.question(str(qid))
        except KeyError:
            notes.append(f"{qid}: unknown question, ignored")
            continue
        if isinstance(value, list):
            ids = [str(v) for v in value if str(v) in question.option_ids or str(v) == DONT_KNOW]
            if len(ids) != len(value):
                notes.append(f"{qid}: unknown option(s) in {value!r} ignored")
            answers[question.id] = ids
            continue
        text = "" if value is None else str(value)
        if text in question.option_ids or text == DONT_KNOW:
            answers[question.id] = text
            continue
        reading = read_answer(question, text, stage=stage)
        if reading.ambiguous:
            notes.append(
                f"{qid}: {text!r} fits {', '.join(reading.ambiguous)}; the bot would ask: {reading.follow_up!r}"
            )
            continue
        if not reading.understood:
            notes.append(f"{qid}: {text!r} not understood (bot would ask: {question.rephrase_for(stage)!r})")
            continue
        hedge = f" (hedged, certainty {reading.certainty:.1f})" if reading.certainty < 1 else ""
        notes.append(f"{qid}: {text!r} -> {', '.join(reading.options)}{hedge}")
        answers[question.id] = reading.options if question.multi else reading.options[0]
    return answers, notes


def _read(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError("expected a mapping with 'stage' and 'answers'")
    return data


def report(scores: Scores, result: Match, out: TextIO) -> None:
    """Print scores, motives, the persona and the deciding evidence."""
    personas = get_personas()
    persona = personas[result.persona_id]
    print(f"stage: {scores.stage or '(unknown)'}   answered questions: {scores.answered}", file=out)
    print("", file=out)
    print("Dimensions (0 = low, 1 = high):", file=out)
    for name in DIMENSIONS:
        value = scores.dimension(name)
        print(f"  {name:<16} {value:5.2f}  {_bar(value)}", file=out)
    print("Motives:", file=out)
    for name, value in scores.motives.items():
        print(f"  {name:<16} {value:5.2f}  {_bar(value)}", file=out)
    print("", file=out)
    print(f"Outcome: {result.outcome}   nearest: {persona.name} ({persona.status}, '{persona.status_label}')", file=out)
    print(f"Fit: {_FIT_TEXT.get(result.fit, result.fit)}", file=out)
    print(f"Margin: {result.margin:.3f}   confidence: {result.confidence:.2f}", file=out)
    distances = ", ".join(f"{personas[p].name} {d:.3f}" for p, d in result.distances.items())
    print(f"Distances: {distances}, nobody yet {result.diffusion_distance:.3f} (three dimensions)", file=out)
    if result.deciding:
        towards = "nobody yet" if result.fit == "diffusion" else persona.name
        away = (
            persona.name
            if result.fit == "diffusion"
            else (personas[result.runner_up].name if result.runner_up else "-")
        )
        print(f"Deciding answers ({towards} rather than {away}):", file=out)
        for item in result.deciding:
            sign = "+" if item.value > 0 else ""
            answer = f"{item.question_id}={item.option_id}"
            print(f"  - {answer}: {item.dimension} {sign}{item.value:.2f}  '{item.explain}'", file=out)
    print("", file=out)
    print("What the pupil reads:", file=out)
    print(f"  {opening_text(persona, result, personas, scores, scores.stage)}", file=out)
    print(f"  {why_text(persona, result, scores.stage, personas=personas, scores=scores)}", file=out)


def score_command(path: str, out: TextIO | None = None) -> int:
    """Score the answers in a YAML/JSON file and print the result; exit code 0, or 2 on bad input."""
    out = out or sys.stdout
    try:
        data = _read(Path(path))
    except (OSError, ValueError, yaml.YAMLError) as exc:
        print(f"error: {path}: {exc}", file=sys.stderr)
        return 2
    raw_answers = data.get("answers") or {}
    if not isinstance(raw_answers, dict):
        print(f"error: {path}: 'answers' must be a mapping question_id -> answer", file=sys.stderr)
        return 2
    try:
        questionnaire = get_questionnaire()
        stage_raw = data.get("stage", raw_answers.get(STAGE_QUESTION))
        stage = None
        if stage_raw is not None:
            stage_answer = interpret(questionnaire.question(STAGE_QUESTION), str(stage_raw))
            stage = stage_answer[0] if stage_answer and stage_answer[0] in questionnaire.stages else None
            if stage is None:
                print(f"note: stage {stage_raw!r} not understood, scoring questions for everyone", file=out)
        answers, notes = resolve_answers({k: v for k, v in raw_answers.items() if k != STAGE_QUESTION}, stage)
        if stage:
            answers[STAGE_QUESTION] = stage
        for note in notes:
            print(f"note: {note}", file=out)
        if notes:
            print("", file=out)
        scores = score(answers, questionnaire, stage)
        report(scores, match(scores), out)
    except ContentError as exc:
        print(f"content error: {exc}", file=sys.stderr)
        return 2
    return 0
