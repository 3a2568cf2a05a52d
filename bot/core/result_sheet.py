"""The content of "Mijn keuzespiegel", the one-page result a pupil prints or saves, built from a stored result.

Pure: the caller reads the conversation's last slot values (bot.workshops.store.last_slot_values) and passes
them in; the result is recomputed from the stored answers with the same model the chat used. The sheet never
holds the chat text, a name or an id: only the answers (as the option labels), the outcome and the texts
from content/result_sheet.yml, which advisors edit.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot import ROOT
from bot.core.content import (
    DIMENSIONS,
    DONT_KNOW,
    DONT_KNOW_LABEL,
    ContentError,
    Persona,
    Questionnaire,
    get_personas,
    get_questionnaire,
)
from bot.core.reveal import build_reveal
from bot.core.turn import State

SHEET_PATH = ROOT / "content" / "result_sheet.yml"
FITS: tuple[str, ...] = ("good", "weak", "diffusion", "insufficient")
SECTIONS: tuple[str, ...] = ("why", "scores", "plot", "answers", "reflection", "steps")
REFLECTION_COUNT = 3
MAX_REASONS = 3
_PLACEHOLDERS = {"name"}


@dataclass(frozen=True)
class SheetTexts:
    """The editable texts of the sheet (content/result_sheet.yml)."""

    title: str
    subtitle: str
    headings: Mapping[str, str]
    notes: Mapping[str, str]
    sections: Mapping[str, str]
    why_fallback: str
    reflection: tuple[str, ...]
    footer: str


@dataclass(frozen=True)
class ScoreLine:
    id: str
    label: str
    explain: str
    value: float  # 0..1


@dataclass(frozen=True)
class Point:
    """An alumnus on the plot; color is None when the persona card gives none."""

    id: str
    name: str
    exploration: float
    commitment: float
    color: str | None = None


@dataclass(frozen=True)
class AnswerLine:
    question: str
    answer: str


@dataclass(frozen=True)
class StepLine:
    text: str
    link_title: str | None = None
    link_url: str | None = None


@dataclass(frozen=True)
class Sheet:
    """Everything the printable result shows, in reading order."""

    title: str
    subtitle: str
    fit: str
    persona_id: str
    heading: str
    note: str | None
    status_label: str
    status_explain: str
    why_title: str
    why: tuple[str, ...]
    scores_title: str
    scores: tuple[ScoreLine, ...]
    plot_title: str
    you: Mapping[str, float]
    points: tuple[Point, ...]
    answers_title: str
    answers: tuple[AnswerLine, ...]
    reflection_title: str
    reflection: tuple[str, ...]
    steps_title: str
    steps: tuple[StepLine, ...]
    footer: str

    def texts(self) -> list[str]:
        """Every pupil-facing text on the sheet (for readability checks)."""
        parts = [self.title, self.subtitle, self.heading, self.status_label, self.status_explain, self.why_title]
        parts += [self.note] if self.note else []
        parts += list(self.why) + [self.scores_title, self.plot_title, self.answers_title, self.reflection_title]
        parts += [line.label for line in self.scores] + [line.explain for line in self.scores]
        parts += list(self.reflection) + [self.steps_title] + [step.text for step in self.steps] + [self.footer]
        return [part for part in parts if part]


# ---------------------------------------------------------------- the texts file


def _fail(file: str, path: str, message: str) -> ContentError:
    return ContentError(f"{file}: {path}: {message}")


def _text(file: str, value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(file, path, "expected non-empty text")
    text = " ".join(value.split())
    for _, field, _, _ in string.Formatter().parse(text):
        if field is not None and field not in _PLACEHOLDERS:
            raise _fail(file, path, f"unknown placeholder {{{field}}} (only {{name}} is known)")
    return text


def _mapping(file: str, value: Any, path: str, allowed: tuple[str, ...], required: bool) -> dict[str, str]:
    if not isinstance(value, dict):
        raise _fail(file, path, "expected a mapping")
    for key in value:
        if key not in allowed:
            raise _fail(file, f"{path}.{key}", f"unknown key (allowed: {', '.join(allowed)})")
    if required:
        for key in allowed:
            if key not in value:
                raise _fail(file, f"{path}.{key}", "missing")
    return {key: _text(file, text, f"{path}.{key}") for key, text in value.items()}


def parse_texts(data: Any, file: str = "content/result_sheet.yml") -> SheetTexts:
    """Validate the sheet texts; every error names the file and the key."""
    keys = ("title", "subtitle", "headings", "notes", "sections", "why_fallback", "reflection", "footer")
    if not isinstance(data, dict):
        raise _fail(file, "<root>", "expected a mapping")
    for key in data:
        if key not in keys:
            raise _fail(file, str(key), f"unknown key (allowed: {', '.join(keys)})")
    for key in keys:
        if data.get(key) is None:
            raise _fail(file, key, "missing")
    reflection = data["reflection"]
    if not isinstance(reflection, list) or len(reflection) != REFLECTION_COUNT:
        raise _fail(file, "reflection", f"give exactly {REFLECTION_COUNT} questions")
    return SheetTexts(
        title=_text(file, data["title"], "title"),
        subtitle=_text(file, data["subtitle"], "subtitle"),
        headings=_mapping(file, data["headings"], "headings", FITS, required=True),
        notes=_mapping(file, data["notes"], "notes", FITS, required=False),
        sections=_mapping(file, data["sections"], "sections", SECTIONS, required=True),
        why_fallback=_text(file, data["why_fallback"], "why_fallback"),
        reflection=tuple(_text(file, item, f"reflection[{i}]") for i, item in enumerate(reflection)),
        footer=_text(file, data["footer"], "footer"),
    )


def load_texts(path: str | Path | None = None) -> SheetTexts:
    file_path = Path(path) if path is not None else SHEET_PATH
    try:
        file = str(file_path.resolve().relative_to(ROOT))
    except ValueError:
        file = str(file_path)
    try:
        data = yaml.safe_load(file_path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ContentError(f"{file}: <file>: not found") from exc
    except yaml.YAMLError as exc:
        raise ContentError(f"{file}: <file>: invalid YAML: {exc}") from exc
    return parse_texts(data, file)


@functools.lru_cache(maxsize=1)
def get_texts() -> SheetTexts:
    """The default sheet texts, loaded once per process."""
    return load_texts()


# ---------------------------------------------------------------- building the sheet


def _answers(state: State, questionnaire: Questionnaire) -> tuple[AnswerLine, ...]:
    lines = []
    for question in questionnaire.questions_for(state.stage):
        chosen = state.answers.get(question.id)
        if not chosen:
            continue
        labels = []
        for option_id in chosen:
            option = question.option(option_id)
            if option is not None:
                labels.append(option.label)
            elif option_id == DONT_KNOW:
                labels.append(DONT_KNOW_LABEL)
        if labels:
            lines.append(AnswerLine(question=question.text_for(state.stage), answer="; ".join(labels)))
    return tuple(lines)


def _steps(payload: Mapping[str, Any]) -> tuple[StepLine, ...]:
    """The next steps the chat showed (the reveal payload's list, from content/next_steps.yml)."""
    steps = []
    for item in payload.get("next_steps") or []:
        if isinstance(item, str):
            steps.append(StepLine(text=item))
        elif isinstance(item, Mapping) and isinstance(item.get("text"), str):
            link = item.get("link") if isinstance(item.get("link"), Mapping) else {}
            steps.append(StepLine(text=item["text"], link_title=link.get("title"), link_url=link.get("url")))
    return tuple(steps)


def _outcome_fit(payload: Mapping[str, Any]) -> str:
    fit = payload.get("fit")
    return fit if fit in FITS else "weak"


def build_sheet(
    slots: Mapping[str, Any],
    questionnaire: Questionnaire | None = None,
    personas: Mapping[str, Persona] | None = None,
    texts: SheetTexts | None = None,
) -> Sheet | None:
    """The sheet for a conversation's last slot values, or None when it has no result (yet, or any more)."""
    if not slots.get("persona"):
        return None
    questionnaire = questionnaire or get_questionnaire()
    personas = personas or get_personas()
    texts = texts or get_texts()
    state = State.from_slots(slots, questionnaire)
    reveal = build_reveal(state.model_answers(), state.stage, questionnaire=questionnaire, personas=personas)
    payload = reveal.payload
    persona = personas[reveal.persona_id]
    fit = _outcome_fit(payload)
    # For "still searching" and "too few answers" the note says why; his deciding answers would mislead.
    why: tuple[str, ...] = ()
    if fit in ("good", "weak"):
        why = tuple(str(reason) for reason in payload.get("deciding") or [])[:MAX_REASONS]
        why = why or (texts.why_fallback.format(name=persona.name),)
    scores = tuple(
        ScoreLine(
            id=dim,
            label=str(questionnaire.dimensions[dim]["label"]),
            explain=str(questionnaire.dimensions[dim].get("explain") or ""),
            value=float(payload[dim]),
        )
        for dim in DIMENSIONS
    )
    colors = {
        str(p.get("id")): p.get("color")
        for p in payload.get("personas") or []
        if isinstance(p, Mapping) and isinstance(p.get("color"), str)
    }
    points = tuple(
        Point(
            id=p.id,
            name=p.name,
            exploration=p.exploration,
            commitment=p.commitment,
            color=colors.get(p.id) or getattr(p, "color", None),
        )
        for p in personas.values()
    )
    return Sheet(
        title=texts.title,
        subtitle=texts.subtitle,
        fit=fit,
        persona_id=persona.id,
        heading=texts.headings[fit].format(name=persona.name),
        note=texts.notes[fit].format(name=persona.name) if fit in texts.notes else None,
        status_label=str(payload.get("status_label") or persona.status_label),
        status_explain=str(payload.get("status_explain") or persona.status_explain),
        why_title=texts.sections["why"],
        why=why,
        scores_title=texts.sections["scores"],
        scores=scores,
        plot_title=texts.sections["plot"],
        you={dim: float(payload[dim]) for dim in DIMENSIONS},
        points=points,
        answers_title=texts.sections["answers"],
        answers=_answers(state, questionnaire),
        reflection_title=texts.sections["reflection"],
        reflection=texts.reflection,
        steps_title=texts.sections["steps"],
        steps=_steps(payload),
        footer=texts.footer,
    )
