""" "Waarom hij?" and "waarom niet hij?" as the pupil reads them.

Why the match: the reveal's own text (bot.core.reveal.why_text), which is honest about a weak fit, "nobody yet"
and too few answers. Why not someone else: the two or three answers that would most move the pupil towards him,
from the identity model (bot.core.model.differences), with what the pupil chose instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.core.content import DONT_KNOW_LABEL, Persona, Question, Questionnaire, get_questionnaire
from bot.core.model import Difference, Match, Scores, differences, match, score
from bot.core.reveal import why_text

Answers = Mapping[str, Any]
MAX_DIFFERENCES = 3

__all__ = ["Difference", "differences", "why_match_text", "why_not_text", "would_match"]


def changed_answers(answers: Answers, changes: Sequence[Difference], questionnaire: Questionnaire) -> dict[str, Any]:
    """The answers with every change made: the option replaces a single answer, or joins a multi answer."""
    changed = dict(answers)
    for change in changes:
        question = questionnaire.question(change.question_id)
        changed[change.question_id] = [*change.current, change.option_id] if question.multi else change.option_id
    return changed


def would_match(
    answers: Answers,
    changes: Sequence[Difference],
    stage: str | None,
    questionnaire: Questionnaire,
    personas: Mapping[str, Persona],
) -> Match:
    """The match the pupil would get with all `changes` made at once."""
    return match(score(changed_answers(answers, changes, questionnaire), questionnaire, stage), personas)


def _yours(question: Question, ids: Sequence[str], stage: str | None) -> str:
    labels = [option.label_for(stage) for option in question.options if option.id in ids]
    return " + ".join(labels) if labels else DONT_KNOW_LABEL


def why_match_text(
    persona: Persona, result: Match, scores: Scores, stage: str | None, personas: Mapping[str, Persona]
) -> str:
    """Why the pupil got this person: the reveal's text, so both always say the same."""
    return why_text(persona, result, stage, personas=personas, scores=scores)


def why_not_text(
    target: Persona,
    nearest: Persona,
    result: Match,
    found: Sequence[Difference],
    then: Match,
    stage: str | None,
    names: Mapping[str, str],
    personas: Mapping[str, Persona],
    questionnaire: Questionnaire | None = None,
) -> str:
    """Where the pupil's answers differ from `target`, who is not the outcome; `then` is the outcome with all of
    `found` changed."""
    questionnaire = questionnaire or get_questionnaire()
    if result.fit == "insufficient":
        lead = f"Je koos vaak 'weet ik niet', dus waarom niet {target.name} is lastig te zeggen."
    elif result.fit == "diffusion":
        lead = f"Je lijkt nu nog op geen van de drie, ook niet op {target.name}."
    elif result.runner_up == target.id and result.fit == "weak":
        lead = f"Het scheelde maar weinig! Je lijkt bijna net zo veel op {target.name} als op {nearest.name}."
    else:
        lead = f"Je antwoorden lijken meer op die van {nearest.name} dan op die van {target.name}."
    if not found:
        return f"{lead} Er is geen antwoord dat je duidelijk dichter bij {target.name} brengt."
    lines = [lead, f"Hier verschil je het meest met {target.name}:"]
    for change in found:
        question = questionnaire.question(change.question_id)
        name = names.get(change.question_id, question.text_for(stage))
        also = "ook " if question.multi and change.current else ""
        lines.append(
            f"• {name}: jij koos '{_yours(question, change.current, stage)}'. "
            f"Met {also}'{change.label}' kom je dichter bij {target.name}."
        )
    count = {1: "dit antwoord", 2: "deze twee", 3: "deze drie"}.get(len(found), "deze antwoorden")
    if then.outcome == target.id:
        lines.append(f"Had je {count} anders gekozen, dan was je bij {target.name} uitgekomen.")
    elif then.outcome in personas:
        lines.append(
            f"Met {count} anders kom je dichter bij {target.name}, maar lijk je nog meer op "
            f"{personas[then.outcome].name}."
        )
    else:
        lines.append(f"Met {count} anders kom je dichter bij {target.name}, maar nog niet helemaal.")
    return "\n".join(lines)


def why_not(
    answers: Answers,
    target: str,
    stage: str | None,
    names: Mapping[str, str],
    personas: Mapping[str, Persona],
    questionnaire: Questionnaire | None = None,
) -> str:
    """The full "waarom niet hij?" text for the pupil's answers."""
    questionnaire = questionnaire or get_questionnaire()
    scores = score(answers, questionnaire, stage)
    result = match(scores, personas)
    found = differences(scores, target, questionnaire, personas, limit=MAX_DIFFERENCES)
    then = would_match(answers, found, stage, questionnaire, personas) if found else result
    return why_not_text(
        personas[target], personas[result.persona_id], result, found, then, stage, names, personas, questionnaire
    )
