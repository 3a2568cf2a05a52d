"""The reveal: whom the pupil resembles (or that it is too early to say), told in plain Dutch, plus the payload
the web page draws. Every sentence comes from content/reveal.yml, the persona cards and content/next_steps.yml;
this module only picks and joins them. Also the one home of the "waarom?" text (the CLI and actions use it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.core.content import (
    DIMENSIONS,
    Persona,
    Questionnaire,
    RevealTexts,
    get_personas,
    get_questionnaire,
    get_reveal_texts,
)
from bot.core.model import WEAK_MARGIN, Match, Scores, match, score, stage_table
from bot.core.next_steps import Step, steps_for

PHASE_ICONS = {
    "childhood": "🧒",
    "secondary": "🏫",
    "study_choice": "🧭",
    "during_study": "🎓",
    "internship_graduation": "🔧",
    "first_job": "💼",
}
# A pupil counts as drawn to technology (for the next steps and the field note) from this motive score.
TECHNICAL_FROM = 0.4
# The field note ("het gaat om hoe je kiest, niet wat") is shown below this technology motive score.
FIELD_NOTE_BELOW = 0.25
RETRY_MAX = 4


@dataclass
class Reveal:
    persona_id: str  # the matched persona, or the nearest one for "diffusion" and "insufficient"
    scores: Scores
    match: Match
    messages: list[str]
    payload: dict[str, Any]


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " en " + parts[-1]


def reasons(result: Match, limit: int = 3) -> list[str]:
    """The pupil's own answers that decided the outcome, as short Dutch phrases, without repeats."""
    seen: list[str] = []
    for item in result.deciding:
        if item.explain and item.explain not in seen:
            seen.append(item.explain)
        if len(seen) == limit:
            break
    return seen


def why_text(
    persona: Persona,
    result: Match,
    stage: str | None = None,
    texts: RevealTexts | None = None,
    personas: Mapping[str, Persona] | None = None,
    scores: Scores | None = None,
) -> str:
    """ "Waarom Tim?" (or, for diffusion, why nobody yet), from the deciding answers; one home for this text."""
    texts = texts or get_reveal_texts()
    found = reasons(result)
    if result.fit == "insufficient":
        answered, total = (scores.answered, scores.questions) if scores else (0, 0)
        return texts.get("why.insufficient", stage, answered=answered, total=total)
    if result.fit == "diffusion":
        if not found:
            return texts.get("why.diffusion_fallback", stage)
        return texts.get("why.diffusion", stage, reasons=_join(found))
    if not found:
        return texts.get("why.fallback", stage, name=persona.name)
    if result.fit == "weak":
        runner = ""
        if personas is not None and result.runner_up in personas:
            runner = personas[result.runner_up].name
        return texts.get("why.weak", stage, name=persona.name, reasons=_join(found), runner_up=runner)
    return texts.get("why.good", stage, name=persona.name, reasons=_join(found))


def path_text(persona: Persona, stage: str | None = None, texts: RevealTexts | None = None) -> str:
    """His route through the life phases, one line per phase."""
    texts = texts or get_reveal_texts()
    lines = [texts.get("path", stage, name=persona.name)]
    for phase in persona.phases:
        first_sentence = phase.text.split(". ")[0].rstrip(".") + "."
        lines.append(f"{PHASE_ICONS.get(phase.id, '•')} {phase.title}: {first_sentence}")
    return "\n".join(lines)


def mirror_text(fit: str | None, stage: str | None = None, texts: RevealTexts | None = None) -> str:
    """ "Zie dit als een spiegel": said at the reveal and again after "waarom hij?", from content/reveal.yml."""
    texts = texts or get_reveal_texts()
    return texts.get("mirror_diffusion" if fit == "diffusion" else "mirror", stage)


def _runner_is_close(result: Match) -> bool:
    return result.runner_up is not None and result.margin < WEAK_MARGIN


def opening_text(
    persona: Persona,
    result: Match,
    personas: Mapping[str, Persona],
    scores: Scores | None = None,
    stage: str | None = None,
    texts: RevealTexts | None = None,
) -> str:
    """The honest first line: a clear match, a partial one, nobody yet, or too few answers."""
    texts = texts or get_reveal_texts()
    if result.fit == "insufficient":
        answered = scores.answered if scores else 0
        total = scores.questions if scores else 0
        return texts.get("opening.insufficient", stage, answered=answered, total=total)
    if result.fit == "diffusion":
        return texts.get("opening.diffusion", stage, name=persona.name)
    if result.fit == "weak":
        if _runner_is_close(result) and result.runner_up in personas:
            return texts.get("opening.weak", stage, name=persona.name, runner_up=personas[result.runner_up].name)
        return texts.get("opening.weak_alone", stage, name=persona.name)
    return texts.get("opening.good", stage, name=persona.name)


def retry_questions(scores: Scores, questionnaire: Questionnaire, limit: int = RETRY_MAX) -> list[str]:
    """The unanswered questions that would tell most, for "beantwoord een paar vragen nog een keer"."""
    table = stage_table(questionnaire, scores.stage)
    weight = {}
    for question, caps in zip(table.questions, table.caps, strict=True):
        weight[question.id] = sum(caps[i] / table.total[i] for i in range(len(DIMENSIONS)) if table.total[i] > 0)
    missing = [qid for qid in scores.missing if weight.get(qid, 0.0) > 0]
    return sorted(missing, key=lambda qid: -weight[qid])[:limit]


def _steps(stage: str | None, result: Match, scores: Scores) -> list[Step]:
    technical = scores.motives.get("technology", 0.0) >= TECHNICAL_FROM
    return steps_for(stage, result.outcome, technical)


def build_reveal(
    answers: Mapping[str, str | list[str]],
    stage: str | None,
    demo: bool = False,
    questionnaire: Questionnaire | None = None,
    personas: Mapping[str, Persona] | None = None,
    texts: RevealTexts | None = None,
) -> Reveal:
    """Score the answers, find the outcome and write the reveal messages and payload.

    The last message is the list of next steps (the action sends the payload just before it).
    """
    questionnaire = questionnaire or get_questionnaire()
    personas = personas or get_personas()
    texts = texts or get_reveal_texts()
    scores = score(answers, questionnaire, stage)
    stage = scores.stage
    result = match(scores, personas)
    persona = personas[result.persona_id]
    steps = _steps(stage, result, scores)
    steps_message = texts.get("steps_heading", stage) + "\n" + "\n".join(f"• {step.text}" for step in steps)
    retry = retry_questions(scores, questionnaire) if result.fit == "insufficient" else []

    messages = [texts.get("thanks", stage), opening_text(persona, result, personas, scores, stage, texts)]
    if result.fit == "insufficient":
        messages.append(why_text(persona, result, stage, texts, personas, scores))
        if retry:
            messages.append(texts.get("retry", stage, questions=len(retry)))
    else:
        messages.append(
            f"{texts.get('meet', stage, name=persona.name, status=persona.status_label.lower())}\n{persona.intro}"
        )
        if result.fit == "diffusion":
            messages.append(why_text(persona, result, stage, texts, personas))
            messages.append(mirror_text(result.fit, stage, texts))
        else:
            messages.append(path_text(persona, stage, texts))
            messages.append(why_text(persona, result, stage, texts, personas))
            if scores.motives.get("technology", 0.0) < FIELD_NOTE_BELOW:
                messages.append(texts.get("field_note", stage, name=persona.name))
            messages.append(mirror_text(result.fit, stage, texts))
    messages.append(steps_message)

    payload = {
        "type": "reveal",
        **result.as_dict(),
        "name": persona.name,
        "status": persona.status,
        "status_label": persona.status_label,
        "status_explain": persona.status_explain,
        "stage": stage,
        "answered": scores.answered,
        "total": scores.questions,
        **scores.as_dict(),
        "dimensions": {
            name: {"label": str(info.get("label", name)), "explain": str(info.get("explain", ""))}
            for name, info in questionnaire.dimensions.items()
        },
        "motive_labels": {name: str(info.get("label", name)) for name, info in questionnaire.motives.items()},
        "personas": [
            {
                "id": p.id,
                "name": p.name,
                "color": p.color,
                **{name: p.position[name] for name in DIMENSIONS},
            }
            for p in personas.values()
        ],
        "evidence": [e.as_dict() for e in scores.evidence],
        "deciding": reasons(result),
        "deciding_evidence": [e.as_dict() for e in result.deciding],
        "retry_questions": retry,
        "card": {
            "intro": persona.intro,
            "phases": [{"id": phase.id, "title": phase.title, "text": phase.text} for phase in persona.phases],
            "next_steps": [step.text for step in steps],
        },
        "next_steps": [step.as_dict() for step in steps],
        "demo": bool(demo),
    }
    return Reveal(persona_id=persona.id, scores=scores, match=result, messages=messages, payload=payload)
