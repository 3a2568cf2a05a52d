"""The reveal: which persona the pupil resembles, told in plain Dutch, plus the payload the web page draws."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.core.content import Persona, Questionnaire, get_personas, get_questionnaire
from bot.core.model import Match, Scores, match, score

PHASE_ICONS = {
    "childhood": "🧒",
    "secondary": "🏫",
    "study_choice": "🧭",
    "during_study": "🎓",
    "internship_graduation": "🔧",
    "first_job": "💼",
}


@dataclass
class Reveal:
    persona_id: str
    scores: Scores
    match: Match
    messages: list[str]
    payload: dict[str, Any]


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " en " + parts[-1]


def reasons(result: Match, limit: int = 3) -> list[str]:
    """The pupil's own answers that decided the match, as short Dutch phrases, without repeats."""
    seen: list[str] = []
    for item in result.deciding:
        if item.explain and item.explain not in seen:
            seen.append(item.explain)
        if len(seen) == limit:
            break
    return seen


def why_text(persona: Persona, result: Match) -> str:
    found = reasons(result)
    if not found:
        return f"Je antwoorden lagen net iets dichter bij {persona.name} dan bij de anderen."
    return f"Waarom {persona.name}? Je lijkt op hem, want {_join(found)}."


def path_text(persona: Persona) -> str:
    """His route through the life phases, one line per phase."""
    lines = [f"Zo ging het bij {persona.name}:"]
    for phase in persona.phases:
        first_sentence = phase.text.split(". ")[0].rstrip(".") + "."
        lines.append(f"{PHASE_ICONS.get(phase.id, '•')} {phase.title}: {first_sentence}")
    return "\n".join(lines)


def opening_text(persona: Persona, result: Match, personas: Mapping[str, Persona]) -> str:
    if result.fit == "diffusion":
        return (
            "Je bent nog volop aan het ontdekken wat bij je past. Dat is heel normaal, zeker op jouw leeftijd! "
            f"Geen van de drie past nu echt goed bij je. Het dichtst bij zit {persona.name}."
        )
    if result.fit == "weak":
        runner_up = personas[result.runner_up].name if result.runner_up in personas else "de anderen"
        return (
            f"Je lijkt een beetje op {persona.name}, maar bijna net zo veel op {runner_up}. "
            "Je past dus niet precies in één hokje, en dat is prima."
        )
    return f"Jij lijkt het meest op {persona.name}! 🙌"


MIRROR_TEXT = (
    "Zie dit als een spiegel, niet als een oordeel. Geen enkele route is beter dan een andere: "
    "Joost, Luuk en Tim kozen alle drie op hun eigen manier voor techniek."
)


def build_reveal(
    answers: Mapping[str, str | list[str]],
    stage: str | None,
    demo: bool = False,
    questionnaire: Questionnaire | None = None,
    personas: Mapping[str, Persona] | None = None,
) -> Reveal:
    """Score the answers, match a persona and write the reveal messages and payload."""
    questionnaire = questionnaire or get_questionnaire()
    personas = personas or get_personas()
    scores = score(answers, questionnaire, stage)
    result = match(scores, personas)
    persona = personas[result.persona_id]

    steps = "\n".join(f"• {step}" for step in persona.next_steps)
    messages = [
        "Klaar! Bedankt voor je antwoorden. 🎉",
        opening_text(persona, result, personas),
        f"{persona.name} ({persona.status_label}): {persona.intro}",
        path_text(persona),
        why_text(persona, result),
        MIRROR_TEXT,
        f"Wat kun je nu doen?\n{steps}",
    ]
    payload = {
        "type": "reveal",
        "persona": persona.id,
        "name": persona.name,
        "status": persona.status,
        "status_label": persona.status_label,
        "status_explain": persona.status_explain,
        "fit": result.fit,
        "margin": round(result.margin, 3),
        "confidence": round(result.confidence, 3),
        "exploration": round(scores.exploration, 3),
        "commitment": round(scores.commitment, 3),
        "reconsideration": round(scores.reconsideration, 3),
        "motives": {name: round(value, 3) for name, value in scores.motives.items()},
        "personas": [
            {
                "id": p.id,
                "name": p.name,
                "exploration": p.position["exploration"],
                "commitment": p.position["commitment"],
                "reconsideration": p.position["reconsideration"],
            }
            for p in personas.values()
        ],
        "evidence": [
            {
                "question": e.question_id,
                "option": e.option_id,
                "dimension": e.dimension,
                "value": round(e.value, 3),
                "text": e.explain,
            }
            for e in scores.evidence
        ],
        "deciding": reasons(result),
        "card": {
            "intro": persona.intro,
            "phases": [{"id": phase.id, "title": phase.title, "text": phase.text} for phase in persona.phases],
            "next_steps": list(persona.next_steps),
        },
        "demo": bool(demo),
    }
    return Reveal(persona_id=persona.id, scores=scores, match=result, messages=messages, payload=payload)
