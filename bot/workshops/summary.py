"""Workshop figures for the advisor's projector: pure aggregation of bot.workshops.store's DataFrame.

Nothing in the output identifies a pupil: no sender ids; score points on a coarse grid (steps of
POINT_GRID) and sorted (no arrival order); persona and answer counts below MIN_COUNT shown as "<3" (with
complementary suppression so they cannot be recomputed from the other counts); demo conversations left
out. Results are taken in steps of MIN_COUNT finished pupils in the order they FIRST finished
(bot.workshops.store fixes a conversation's figures at its first finish), so the set shown only grows and
the change between two refreshes never shows one pupil's answers, persona or point.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from bot.core.content import (
    DONT_KNOW,
    DONT_KNOW_LABEL,
    SCORE_SLOTS,
    decode_answer,
    get_personas,
    get_questionnaire,
    persona_sort_key,
    slot_for,
)

MIN_COUNT = 3
SUPPRESSED = "<3"
POINT_GRID = 0.1  # scatter points are rounded to this grid: a group picture, not a pupil's exact scores


@dataclass(frozen=True)
class QuestionInfo:
    """What the dashboard needs of a questionnaire question."""

    id: str
    text: str
    multi: bool
    options: tuple[tuple[str, str], ...]  # (option id, label), "weet ik niet" last


@dataclass(frozen=True)
class PersonaInfo:
    id: str
    name: str
    exploration: float
    commitment: float
    color: str = ""  # "#rrggbb" from personas/<id>.yml: the one home of the persona colours


def _question_text(question: Any) -> str:
    for stage in (None, "bovenbouw"):
        try:
            text = question.text_for(stage)
        except Exception:  # noqa: BLE001 - any content quirk falls back to the id
            continue
        if text:
            return str(text)
    return str(question.id)


def question_catalog(questionnaire: Any = None) -> list[QuestionInfo]:
    """Every question of the questionnaire (all stages), in the order of content/questionnaire.yml."""
    if questionnaire is None:
        questionnaire = get_questionnaire()
    catalog = []
    for question in questionnaire.questions:
        options = [(str(o.id), str(o.label)) for o in question.options]
        if DONT_KNOW not in {o for o, _ in options}:
            options.append((DONT_KNOW, DONT_KNOW_LABEL))
        catalog.append(
            QuestionInfo(
                str(question.id), _question_text(question), bool(getattr(question, "multi", False)), tuple(options)
            )
        )
    return catalog


def _position(persona: Any, key: str) -> float:
    position = getattr(persona, "position", None)
    value = position.get(key) if isinstance(position, dict) else getattr(position, key, None)
    if value is None:
        value = getattr(persona, key, float("nan"))
    return float(value)


def persona_catalog(personas: Any = None) -> list[PersonaInfo]:
    """The three personas with their place on the exploration/commitment plane."""
    if personas is None:
        personas = get_personas()
    items = personas.items() if isinstance(personas, dict) else ((p.id, p) for p in personas)
    catalog = [
        PersonaInfo(
            str(pid),
            str(getattr(p, "name", str(pid).capitalize())),
            _position(p, "exploration"),
            _position(p, "commitment"),
            str(getattr(p, "color", "") or ""),
        )
        for pid, p in items
    ]
    return sorted(catalog, key=lambda p: persona_sort_key(p.id))


def score_labels(questionnaire: Any = None) -> dict[str, str]:
    """The name of each score as pupils read it (content/questionnaire.yml `dimensions`), for the axes: one name
    per score across questions, plot, card and dashboard."""
    if questionnaire is None:
        questionnaire = get_questionnaire()
    dimensions = getattr(questionnaire, "dimensions", None) or {}
    labels = {}
    for name in SCORE_SLOTS:
        info = dimensions.get(name)
        label = info.get("label") if isinstance(info, dict) else getattr(info, "label", None)
        labels[name] = str(label) if label else name
    return labels


def suppress(counts: dict[str, int], min_count: int = MIN_COUNT) -> dict[str, int | str]:
    """Counts below min_count become "<3"; then more cells are hidden until the hidden ones
    cannot be worked out from a known total (at least two hidden cells, hiding 0 or >= min_count)."""
    hidden = {key for key, n in counts.items() if n < min_count}

    def exposed() -> bool:
        total_hidden = sum(counts[k] for k in hidden)
        nonzero_hidden = [k for k in hidden if counts[k] > 0]
        return 0 < total_hidden < min_count or len(nonzero_hidden) == 1

    while hidden and exposed():
        visible = sorted((n, k) for k, n in counts.items() if k not in hidden)
        if not visible:
            break
        hidden.add(visible[0][1])
    return {key: (SUPPRESSED if key in hidden else n) for key, n in counts.items()}


def question_counts(
    frame: pd.DataFrame, catalog: Iterable[QuestionInfo], min_count: int = MIN_COUNT
) -> list[dict[str, Any]]:
    """Per question, per option: how many of these conversations chose it (suppressed below min_count)."""
    result = []
    for question in catalog:
        column = slot_for(question.id)
        counts = {option_id: 0 for option_id, _ in question.options}
        if column in frame.columns:
            for value in frame[column]:
                for option_id in set(decode_answer(value)):
                    if option_id in counts:
                        counts[option_id] += 1
        shown = suppress(counts, min_count)
        result.append(
            {
                "id": question.id,
                "text": question.text,
                "multi": question.multi,
                "options": [
                    {"id": option_id, "label": label, "count": shown[option_id]}
                    for option_id, label in question.options
                ],
            }
        )
    return result


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def coarse(value: float, grid: float = POINT_GRID) -> float:
    """A score rounded to the grid (0.1 by default), kept inside 0..1."""
    return round(min(1.0, max(0.0, round(float(value) / grid) * grid)), 2)


def score_points(frame: pd.DataFrame) -> list[dict[str, float]]:
    """One anonymous point per conversation, on a coarse grid and sorted so arrival order does not show."""
    points = []
    for row in frame[list(SCORE_SLOTS)].itertuples(index=False):
        if _finite(row.exploration) and _finite(row.commitment):
            points.append(
                {
                    "exploration": coarse(row.exploration),
                    "commitment": coarse(row.commitment),
                    "reconsideration": coarse(row.reconsideration) if _finite(row.reconsideration) else None,
                }
            )
    points.sort(key=lambda p: (p["exploration"], p["commitment"], p["reconsideration"] or 0.0))
    return points


def counted(frame: pd.DataFrame) -> pd.DataFrame:
    """The conversations that count: everything except demo conversations."""
    if frame.empty:
        return frame
    return frame[~frame["demo"].astype(bool)]


def in_steps(finished: pd.DataFrame, step: int = MIN_COUNT) -> pd.DataFrame:
    """The first floor(n / step) * step finished conversations, in the order they finished."""
    if finished.empty:
        return finished
    ordered = finished.sort_values(["finished_at", "sender_id"], na_position="last", kind="mergesort")
    return ordered.head(len(ordered) // step * step)


def summarize(
    frame: pd.DataFrame,
    questionnaire: Any = None,
    personas: Any = None,
    min_count: int = MIN_COUNT,
    now: float | None = None,
) -> dict[str, Any]:
    """JSON-ready figures for one workshop's conversations (bot.workshops.store.load_conversations)."""
    real = counted(frame)
    finished = real[real["finished"].astype(bool)] if not real.empty else real
    shown = in_steps(finished, min_count)
    persona_info = persona_catalog(personas)
    known = {p.id for p in persona_info}
    distribution = {p.id: 0 for p in persona_info}
    for persona in shown["persona"] if not shown.empty else []:
        if persona in known:
            distribution[persona] += 1
    enough = len(shown) >= min_count
    persona_counts = suppress(distribution, min_count)
    return {
        "generated_at": round(now if now is not None else time.time(), 3),
        "started": int(len(real)),
        "finished": int(len(finished)),
        "in_progress": int(len(real) - len(finished)),
        "demo_left_out": int(len(frame) - len(real)),
        "shown": int(len(shown)),
        "min_count": min_count,
        "group_large_enough": enough,
        "personas": [
            {
                "id": p.id,
                "name": p.name,
                "color": p.color,
                "exploration": p.exploration,
                "commitment": p.commitment,
                "count": persona_counts[p.id] if enough else None,
            }
            for p in persona_info
        ],
        "dimensions": score_labels(questionnaire),
        "points": score_points(shown) if enough else [],
        "questions": question_counts(shown, question_catalog(questionnaire), min_count),
    }
