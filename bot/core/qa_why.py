""" "Waarom hij?" and "waarom niet hij?": the pupil's own answers that decided the match, and for any other person
the two or three answers that would most move the pupil towards him, computed from the identity model.

`differences` is deliberately small and self-contained: when bot.core.model gains its own `differences(...)`,
this function can hand over to it without changing the texts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.content import (
    DONT_KNOW,
    STAGE_QUESTION,
    Persona,
    Question,
    Questionnaire,
    get_personas,
    get_questionnaire,
)
from bot.core.model import Match, distance, match, score
from bot.core.reveal import why_text

Answers = Mapping[str, Any]
MAX_DIFFERENCES = 3
_EPS = 1e-6


@dataclass(frozen=True)
class Difference:
    """One question where another answer would bring the pupil closer to `target`."""

    question_id: str
    yours: tuple[str, ...]  # the pupil's option ids; empty when skipped or "weet ik niet"
    his: tuple[str, ...]  # the option ids that move the pupil most towards him
    gain: float  # how much the model's distance to him shrinks


def _as_ids(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part for part in value.split(",") if part and part != DONT_KNOW)
    return tuple(str(v) for v in value if v and v != DONT_KNOW)


def _distance(
    answers: Answers, target: str, stage: str | None, questionnaire: Questionnaire, personas: Mapping[str, Persona]
) -> float:
    return distance(score(answers, questionnaire, stage), personas[target])


def _candidates(question: Question, persona: Persona) -> list[tuple[str, ...]]:
    """His own answer when his card has one (the clearest thing to show), else every option."""
    demo = _as_ids(persona.demo_answers.get(question.id))
    if demo:
        return [tuple(sorted(demo)) if question.multi else demo[:1]]
    return [(option.id,) for option in question.options]


def _store(question: Question, ids: tuple[str, ...]) -> Any:
    return list(ids) if question.multi else ids[0]


def differences(
    answers: Answers,
    target: str,
    stage: str | None = None,
    limit: int = MAX_DIFFERENCES,
    questionnaire: Questionnaire | None = None,
    personas: Mapping[str, Persona] | None = None,
) -> list[Difference]:
    """The answers that, changed one at a time, would bring the pupil most closer to `target`.

    For every question of the pupil's stage where the pupil answered otherwise than he would, his answer is tried
    in place of the pupil's (every option when he has none); the question counts if that shrinks the model's
    distance to him. Largest gain first.
    """
    questionnaire = questionnaire or get_questionnaire()
    personas = personas or get_personas()
    persona = personas[target]
    base = dict(answers)
    before = _distance(base, target, stage, questionnaire, personas)
    found: list[Difference] = []
    for question in questionnaire.questions_for(stage):
        if question.id == STAGE_QUESTION:
            continue
        yours = _as_ids(base.get(question.id))
        best: tuple[float, tuple[str, ...]] | None = None
        for candidate in _candidates(question, persona):
            if set(candidate) == set(yours):
                continue
            trial = {**base, question.id: _store(question, candidate)}
            gain = before - _distance(trial, target, stage, questionnaire, personas)
            if best is None or gain > best[0] + _EPS:
                best = (gain, candidate)
        if best is not None and best[0] > _EPS:
            found.append(Difference(question.id, yours, best[1], round(best[0], 6)))
    found.sort(key=lambda d: (-d.gain, d.question_id))
    return found[:limit]


def would_match(
    answers: Answers,
    changes: Sequence[Difference],
    stage: str | None = None,
    questionnaire: Questionnaire | None = None,
    personas: Mapping[str, Persona] | None = None,
) -> str:
    """The person the pupil would match with all `changes` made at once."""
    questionnaire = questionnaire or get_questionnaire()
    personas = personas or get_personas()
    changed = dict(answers)
    for change in changes:
        changed[change.question_id] = _store(questionnaire.question(change.question_id), change.his)
    return match(score(changed, questionnaire, stage), personas).persona_id


# ------------------------------------------------------------------ texts


def _labels(question: Question, ids: Sequence[str]) -> str:
    by_id = {option.id: option.label for option in question.options}
    labels = [by_id[i] for i in ids if i in by_id]
    return " + ".join(labels) if labels else "Weet ik niet"


def _join(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " en " + names[-1]


def why_match_text(persona: Persona, result: Match, fit: str, personas: Mapping[str, Persona]) -> str:
    """Why the pupil got this person, honest when the fit is weak, diffuse or based on too few answers."""
    text = why_text(persona, result)
    runner = personas.get(result.runner_up or "")
    if fit == "weak" and runner is not None:
        text += f" Het scheelde wel weinig met {runner.name}. Vraag gerust: waarom niet {runner.name}?"
    elif fit == "diffusion":
        text = (
            f"Eerlijk gezegd past geen van de drie nu echt goed bij je. {persona.name} zit het dichtst bij. "
            "Dat is heel normaal als je nog aan het ontdekken bent.\n\n" + text
        )
    elif fit == "insufficient":
        text = "Je hebt nog weinig vragen beantwoord, dus dit zegt nog niet zoveel.\n\n" + text
    return text


def why_not_text(
    target: Persona,
    matched: Persona,
    result: Match,
    fit: str,
    found: Sequence[Difference],
    then: Persona,
    names: Mapping[str, str],
    questionnaire: Questionnaire | None = None,
) -> str:
    """Where the pupil's answers differ from `target`, who is not the match; `then` is the match the pupil would
    get with all of `found` changed."""
    questionnaire = questionnaire or get_questionnaire()
    if fit == "insufficient":
        lead = f"Je hebt nog weinig vragen beantwoord, dus waarom niet {target.name} is lastig te zeggen."
    elif fit == "diffusion":
        lead = (
            f"Eerlijk gezegd past nu geen van de drie echt goed bij je, ook {matched.name} niet. "
            f"Hij zit wel het dichtst bij, {target.name} iets verder weg."
        )
    elif fit == "weak" and result.runner_up == target.id:
        lead = f"Het scheelde maar weinig! Je lijkt bijna net zo veel op {target.name} als op {matched.name}."
    else:
        lead = f"Je antwoorden lijken meer op die van {matched.name} dan op die van {target.name}."
    if not found:
        return f"{lead} Er is geen antwoord dat je duidelijk dichter bij {target.name} brengt."
    lines = [lead, f"Hier verschil je het meest met {target.name}:"]
    for change in found:
        question = questionnaire.question(change.question_id)
        name = names.get(change.question_id, question.text_for(None))
        lines.append(
            f"• {name}: jij koos '{_labels(question, change.yours)}', bij {target.name} past eerder "
            f"'{_labels(question, change.his)}'."
        )
    count = {1: "dit antwoord", 2: "deze twee", 3: "deze drie"}.get(len(found), "deze antwoorden")
    if then.id == target.id:
        lines.append(f"Had je {count} anders gekozen, dan was je bij {target.name} uitgekomen.")
    else:
        lines.append(f"Met {count} anders kom je dichter bij {target.name}, maar lijk je nog meer op {then.name}.")
    return "\n".join(lines)
