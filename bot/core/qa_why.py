""" "Waarom hij?" and "waarom niet hij?" as the pupil reads them.

Why the match: the reveal's own text (bot.core.reveal.why_text), which is honest about a weak fit, "nobody yet"
and too few answers. Why not someone else: the two or three answers that would most move the pupil towards him,
from the identity model (bot.core.model.differences), with what the pupil chose instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.core.content import (
    DONT_KNOW_LABEL,
    Persona,
    Question,
    Questionnaire,
    RevealTexts,
    get_questionnaire,
    get_reveal_texts,
)
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
    texts: RevealTexts | None = None,
) -> str:
    """Where the pupil's answers differ from `target`, who is not the outcome; `then` is the outcome with all of
    `found` changed. The wording is in content/reveal.yml (why_not)."""
    questionnaire = questionnaire or get_questionnaire()
    texts = texts or get_reveal_texts()
    name = target.name

    def say(key: str, **values: str) -> str:
        return texts.get(f"why_not.{key}", stage, name=name, **values)

    if result.fit in ("insufficient", "diffusion"):
        lead = say(result.fit)
    elif result.runner_up == target.id and result.fit == "weak":
        lead = say("close", nearest=nearest.name)
    else:
        lead = say("other", nearest=nearest.name)
    if not found:
        return f"{lead} {say('nothing_closer')}"
    lines = [lead, say("heading")]
    for change in found:
        question = questionnaire.question(change.question_id)
        lines.append(
            say(
                "change_also" if question.multi and change.current else "change",
                question=names.get(change.question_id, question.text_for(stage)),
                yours=_yours(question, change.current, stage),
                label=change.label,
            )
        )
    count = say(f"count_{len(found)}" if len(found) <= 3 else "count_more")
    if then.outcome == target.id:
        lines.append(say("reached", count=count))
    elif then.outcome in personas:
        lines.append(say("nearer_but_other", count=count, other=personas[then.outcome].name))
    else:
        lines.append(say("nearer", count=count))
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
