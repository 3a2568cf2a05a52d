"""Identity model: turn answers into scores on three dimensions and find the nearest persona.

Dimensions follow the three-factor model (exploration, commitment, reconsideration); motives
separate personas that choose in a similar way for different reasons (Luuk versus Tim).
Everything is deterministic and pure so it can be tested and explained to a pupil.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.core.content import (
    DIMENSIONS,
    MOTIVES,
    PERSONA_ORDER,
    STAGE_QUESTION,
    Persona,
    Question,
    Questionnaire,
    get_personas,
    get_questionnaire,
)

# Weights of the distance: the three dimensions carry the match, motives only tip close calls.
DIMENSION_WEIGHT = 1.0
MOTIVE_WEIGHT = 0.15
# Below this on both exploration and commitment a pupil is in Marcia's "diffusion" status.
DIFFUSION_MAX = 0.42
# A margin (runner-up distance minus best distance) below this is a weak fit.
WEAK_MARGIN = 0.05

Answers = Mapping[str, Any]


@dataclass(frozen=True)
class Evidence:
    """One answer's push on one dimension (or motive), with the Dutch phrase that explains it."""

    question_id: str
    option_id: str
    dimension: str
    value: float
    explain: str
    kind: str = "dimension"  # "dimension" or "motive"

    def as_dict(self) -> dict[str, Any]:
        """The reveal payload form (see docs/architecture.md)."""
        return {
            "question": self.question_id,
            "option": self.option_id,
            "dimension": self.dimension,
            "value": round(self.value, 3),
            "text": self.explain,
        }


@dataclass(frozen=True)
class Scores:
    """A pupil's place in the model: three dimensions and the motives, all in 0..1."""

    exploration: float
    commitment: float
    reconsideration: float
    motives: dict[str, float]
    evidence: list[Evidence] = field(default_factory=list)
    stage: str | None = None
    answered: int = 0  # content questions answered with a real option (the stage question not counted)

    def dimension(self, name: str) -> float:
        """Score of one dimension by name."""
        return float(getattr(self, name))

    def as_dict(self) -> dict[str, Any]:
        return {
            "exploration": round(self.exploration, 3),
            "commitment": round(self.commitment, 3),
            "reconsideration": round(self.reconsideration, 3),
            "motives": {k: round(v, 3) for k, v in self.motives.items()},
        }


@dataclass(frozen=True)
class Match:
    """The nearest persona, how sure we are, and the evidence that decided it."""

    persona_id: str
    distances: dict[str, float]
    margin: float
    confidence: float
    fit: str  # good | weak | diffusion
    deciding: list[Evidence]
    runner_up: str | None = None


def _selected(question: Question, value: Any) -> list[str]:
    """Valid option ids from a stored answer; anything unknown or malformed is dropped."""
    if value is None:
        return []
    if isinstance(value, str):
        items: list[Any] = [part.strip() for part in value.split(",")] if question.multi else [value.strip()]
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
    else:
        return []
    valid = set(question.option_ids)
    chosen: list[str] = []
    for item in items:
        if isinstance(item, str) and item in valid and item not in chosen:
            chosen.append(item)
    if not question.multi:
        chosen = chosen[:1]
    return sorted(chosen) if question.multi else chosen


def _cap(question: Question, key: str, kind: str) -> float:
    """Largest absolute push one question can give on a dimension or motive."""
    values = [
        abs((opt.evidence if kind == "dimension" else opt.motives).get(key, 0.0)) for opt in question.options
    ]
    return max(values, default=0.0)


def _stage_of(answers: Answers, stage: str | None, questionnaire: Questionnaire) -> str | None:
    if stage in questionnaire.stages:
        return stage
    value = answers.get(STAGE_QUESTION) if isinstance(answers, Mapping) else None
    if isinstance(value, (list, tuple)) and value:
        value = value[0]
    return value if isinstance(value, str) and value in questionnaire.stages else None


def _clamp(value: float, low: float = 0.0, high: float = 1.0) -> float:
    return max(low, min(high, value))


def score(answers: Answers, questionnaire: Questionnaire | None = None, stage: str | None = None) -> Scores:
    """Score answers on the three dimensions and the motives.

    Dimension evidence is summed and divided by the largest total possible over all questions of
    the stage, then mapped around 0.5: bounded, independent of answer order, and an answer never
    counts more because fewer questions were answered. Motives are 0..1 shares of their maximum.
    """
    questionnaire = questionnaire or get_questionnaire()
    if not isinstance(answers, Mapping):
        answers = {}
    stage = _stage_of(answers, stage, questionnaire)
    questions = questionnaire.questions_for(stage)

    dim_sum = dict.fromkeys(DIMENSIONS, 0.0)
    dim_max = dict.fromkeys(DIMENSIONS, 0.0)
    mot_sum = dict.fromkeys(MOTIVES, 0.0)
    mot_max = dict.fromkeys(MOTIVES, 0.0)
    evidence: list[Evidence] = []
    answered = 0

    for question in questions:
        for key in DIMENSIONS:
            dim_max[key] += _cap(question, key, "dimension")
        for key in MOTIVES:
            mot_max[key] += _cap(question, key, "motive")
        chosen = _selected(question, answers.get(question.id))
        if not chosen:
            continue
        if question.id != STAGE_QUESTION:
            answered += 1
        q_dim = dict.fromkeys(DIMENSIONS, 0.0)
        q_mot = dict.fromkeys(MOTIVES, 0.0)
        for option_id in chosen:
            option = question.option(option_id)
            if option is None:  # pragma: no cover - _selected only returns valid ids
                continue
            for key, value in option.evidence.items():
                if value:
                    q_dim[key] += value
                    evidence.append(Evidence(question.id, option.id, key, value, option.explain))
            for key, value in option.motives.items():
                if value:
                    q_mot[key] += value
                    evidence.append(Evidence(question.id, option.id, key, value, option.explain, "motive"))
        # A multi question may never push further than its single strongest option.
        for key in DIMENSIONS:
            cap = _cap(question, key, "dimension")
            dim_sum[key] += _clamp(q_dim[key], -cap, cap)
        for key in MOTIVES:
            cap = _cap(question, key, "motive")
            mot_sum[key] += _clamp(q_mot[key], 0.0, cap)

    dims = {
        key: (_clamp(0.5 + 0.5 * dim_sum[key] / dim_max[key]) if dim_max[key] > 0 else 0.5)
        for key in DIMENSIONS
    }
    motives = {key: (_clamp(mot_sum[key] / mot_max[key]) if mot_max[key] > 0 else 0.0) for key in MOTIVES}
    return Scores(
        exploration=dims["exploration"],
        commitment=dims["commitment"],
        reconsideration=dims["reconsideration"],
        motives=motives,
        evidence=evidence,
        stage=stage,
        answered=answered,
    )


def _weights() -> tuple[float, float]:
    total = DIMENSION_WEIGHT * len(DIMENSIONS) + MOTIVE_WEIGHT * len(MOTIVES)
    return DIMENSION_WEIGHT / total, MOTIVE_WEIGHT / total


def distance(scores: Scores, persona: Persona) -> float:
    """Weighted Euclidean distance in 0..1 between a pupil and a persona."""
    w_dim, w_mot = _weights()
    total = sum(w_dim * (scores.dimension(d) - persona.position[d]) ** 2 for d in DIMENSIONS)
    total += sum(w_mot * (scores.motives.get(m, 0.0) - persona.motives[m]) ** 2 for m in MOTIVES)
    return math.sqrt(total)


def _ordered(personas: Mapping[str, Persona]) -> list[str]:
    def key(pid: str) -> tuple[int, str]:
        return (PERSONA_ORDER.index(pid) if pid in PERSONA_ORDER else len(PERSONA_ORDER), pid)

    return sorted(personas, key=key)


def _pull(item: Evidence, best: Persona, runner: Persona | None) -> float:
    """How much one evidence item moves the pupil towards the best persona rather than the runner-up."""
    if runner is None:
        return abs(item.value)
    w_dim, w_mot = _weights()
    if item.kind == "motive":
        gap = best.motives.get(item.dimension, 0.0) - runner.motives.get(item.dimension, 0.0)
        return w_mot * item.value * gap
    gap = best.position.get(item.dimension, 0.5) - runner.position.get(item.dimension, 0.5)
    return w_dim * item.value * gap


def deciding_evidence(
    evidence: Iterable[Evidence], best: Persona, runner: Persona | None, limit: int = 4
) -> list[Evidence]:
    """The 2-4 answers that pulled hardest towards the chosen persona, one item per question.

    An answer's pull is summed over all its dimensions and motives; it is represented by its
    strongest single item so the explanation names the dimension that mattered most.
    """
    totals: dict[str, float] = {}
    strongest: dict[str, tuple[float, Evidence]] = {}
    for item in evidence:
        pull = _pull(item, best, runner)
        totals[item.question_id] = totals.get(item.question_id, 0.0) + pull
        current = strongest.get(item.question_id)
        if current is None or pull > current[0]:
            strongest[item.question_id] = (pull, item)
    ranked = sorted(
        (qid for qid, total in totals.items() if total > 1e-9),
        key=lambda qid: (-totals[qid], qid),
    )
    if not ranked:
        return []
    top = totals[ranked[0]]
    chosen = [qid for i, qid in enumerate(ranked[:limit]) if i < 2 or totals[qid] >= 0.25 * top]
    return [strongest[qid][1] for qid in chosen]


def match(scores: Scores, personas: Mapping[str, Persona] | None = None) -> Match:
    """Nearest persona with margin, confidence and fit; ties go to the fixed order joost, luuk, tim."""
    personas = personas or get_personas()
    if not personas:
        raise ValueError("no personas to match against")
    order = _ordered(personas)
    distances = {pid: round(distance(scores, personas[pid]), 6) for pid in order}
    ranked = sorted(order, key=lambda pid: (distances[pid], order.index(pid)))
    best_id = ranked[0]
    runner_id = ranked[1] if len(ranked) > 1 else None
    best_d = distances[best_id]
    runner_d = distances[runner_id] if runner_id else best_d
    margin = max(0.0, runner_d - best_d)
    confidence = _clamp(margin / runner_d) if runner_d > 0 else 0.0
    if scores.exploration < DIFFUSION_MAX and scores.commitment < DIFFUSION_MAX:
        fit = "diffusion"
    elif margin < WEAK_MARGIN:
        fit = "weak"
    else:
        fit = "good"
    runner = personas[runner_id] if runner_id else None
    deciding = deciding_evidence(scores.evidence, personas[best_id], runner)
    return Match(
        persona_id=best_id,
        distances=distances,
        margin=round(margin, 6),
        confidence=round(confidence, 6),
        fit=fit,
        deciding=deciding,
        runner_up=runner_id,
    )
