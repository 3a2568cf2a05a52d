"""Identity model: turn answers into scores on three dimensions and say whom the pupil resembles, if anyone.

The dimensions follow the identity research the personas come from (docs/model.md):

- exploration: exploration in breadth (DIDS, Luyckx et al. 2008): how many different options a pupil
  looks at and compares;
- commitment: certainty about and identification with the current direction (U-MICS, Crocetti et al.
  2008), in any field: liking technology is a motive, never commitment;
- reconsideration: weighing a choice already made again (U-MICS reconsideration of commitment).

Motives (challenge, social, variety, ambition, technology) tell apart routes that look alike (Luuk, Tim).
The outcome is a persona with a good or weak fit, "diffusion" (nobody yet: little exploration and little
commitment, common at 14-15), or "insufficient" (too few real answers). Everything is pure and
deterministic, so it can be tested exhaustively (scripts/bench_model.py) and explained to a pupil.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.core.content import (
    DIMENSIONS,
    MOTIVES,
    STAGE_QUESTION,
    Persona,
    Question,
    Questionnaire,
    decode_answer,
    get_personas,
    get_questionnaire,
    persona_sort_key,
)

# Weights of the distance: the three dimensions carry the match, motives tip the balance between routes.
DIMENSION_WEIGHT = 1.0
MOTIVE_WEIGHT = 0.1
# No question may carry more than this share of a dimension (or motive); a bigger one is scaled down.
MAX_SHARE = 0.30
# "Nobody yet" (Marcia's diffusion, U-MICS: low on all three). A pupil whose three scores are nearer to
# this point than to any of the three alumni gets the outcome "diffusion".
DIFFUSION_POINT: Mapping[str, float] = {"exploration": 0.30, "commitment": 0.22, "reconsideration": 0.35}
# A fit is weak when the runner-up (another alumnus, or "nobody yet") is almost as near.
WEAK_MARGIN = 0.035
# A good fit also needs the pupil near the alumnus: at most this distance on the three dimensions
# (root mean square of the three differences). Further away he is only the nearest: a weak fit.
GOOD_DISTANCE = 0.22
# ... and near him counting the motives too (the full weighted distance): choosing like him for other
# reasons is a weak fit.
GOOD_FULL_DISTANCE = 0.2
# Too few real answers: fewer than half of the questions, or under 40% of what could be known about
# exploration or commitment. Then the outcome is "insufficient", never a persona.
MIN_ANSWERED_SHARE = 0.5
MIN_COVERAGE = 0.4

FITS: tuple[str, ...] = ("good", "weak", "diffusion", "insufficient")
Answers = Mapping[str, Any]
_VECTOR = (*DIMENSIONS, *MOTIVES)


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
    """A pupil's place in the model: three dimensions and the motives, all in 0..1 (0.5 = no evidence)."""

    exploration: float
    commitment: float
    reconsideration: float
    motives: dict[str, float]
    evidence: list[Evidence] = field(default_factory=list)
    stage: str | None = None
    answered: int = 0  # content questions answered with a real option (the stage question not counted)
    questions: int = 0  # content questions asked in this stage
    coverage: dict[str, float] = field(default_factory=dict)  # share of each dimension's evidence answered
    answers: dict[str, tuple[str, ...]] = field(default_factory=dict)  # the valid answers that were scored
    missing: tuple[str, ...] = ()  # questions of the stage without a real answer, in questionnaire order

    def dimension(self, name: str) -> float:
        """Score of one dimension by name."""
        return float(getattr(self, name))

    def as_dict(self) -> dict[str, Any]:
        """The three dimensions and the motives, rounded: the reveal payload's and the slots' form."""
        return {
            **{name: round(self.dimension(name), 3) for name in DIMENSIONS},
            "motives": {k: round(v, 3) for k, v in self.motives.items()},
        }


@dataclass(frozen=True)
class Match:
    """Whom the pupil resembles, how clearly, and the answers that decided it.

    `persona_id` is always the nearest alumnus; with fit "diffusion" or "insufficient" he is only offered
    as someone to explore (`nearest` is True), not as a match.
    """

    persona_id: str
    distances: dict[str, float]
    margin: float
    confidence: float
    fit: str  # good | weak | diffusion | insufficient
    deciding: list[Evidence]
    runner_up: str | None = None
    diffusion_distance: float = 0.0  # distance (three dimensions) to "nobody yet"

    @property
    def nearest(self) -> bool:
        return self.fit in ("diffusion", "insufficient")

    @property
    def outcome(self) -> str:
        """The persona id for a good or weak fit, else "diffusion" or "insufficient"."""
        return self.fit if self.nearest else self.persona_id

    def as_dict(self) -> dict[str, Any]:
        """Whom and how clearly, rounded: the reveal payload's form (the deciding answers go separately)."""
        return {
            "outcome": self.outcome,
            "persona": self.persona_id,
            "nearest": self.nearest,
            "fit": self.fit,
            "runner_up": self.runner_up,
            "margin": round(self.margin, 3),
            "confidence": round(self.confidence, 3),
        }


@dataclass(frozen=True)
class Difference:
    """One answer that would bring the pupil nearer to a persona ("waarom niet hij?")."""

    question_id: str
    option_id: str  # the answer that would move the pupil
    current: tuple[str, ...]  # what the pupil answered (empty: not answered or "weet ik niet")
    gain: float  # how much nearer to the persona (distance units)
    explain: str  # the option's phrase in the pupil's tense ("je vergeleek verschillende profielen")
    label: str  # the option's button text in the pupil's tense
    reaches: bool  # this change alone would make him the outcome


# ---------------------------------------------------------------- the stage table (caps and scaling)


@dataclass(frozen=True)
class StageTable:
    """Per stage: the questions that count, how far each may push, and every option's contribution.

    `vectors[q][i]` is the contribution of option i of question q on (*DIMENSIONS, *MOTIVES), already
    scaled so that no question carries more than MAX_SHARE of a dimension or motive. The scores are
    `0.5 + 0.5 * sum / total` for dimensions and `sum / total` for motives. Used by score() and, for speed,
    by the exhaustive benchmark, so both compute exactly the same thing.
    """

    stage: str | None
    questions: tuple[Question, ...]
    caps: tuple[tuple[float, ...], ...]  # per question, on _VECTOR, after scaling
    scale: tuple[tuple[float, ...], ...]  # per question, on _VECTOR
    raw_caps: tuple[tuple[float, ...], ...]
    total: tuple[float, ...]  # on _VECTOR
    vectors: tuple[tuple[tuple[float, ...], ...], ...]


def _raw_cap(question: Question, stage: str | None, key: str) -> float:
    values: list[float] = []
    for option in question.options:
        source = option.evidence_for(stage) if key in DIMENSIONS else option.motives
        values.append(abs(source.get(key, 0.0)))
    return max(values, default=0.0)


def _capped(raw: list[float]) -> list[float]:
    """Caps so that none exceeds MAX_SHARE of their total (a fixed point; impossible with < 4 questions)."""
    if sum(1 for v in raw if v > 0) * MAX_SHARE < 1.0:
        return list(raw)
    caps = list(raw)
    for _ in range(50):
        limit = MAX_SHARE * sum(caps)
        new = [min(v, limit) for v in raw]
        if all(abs(a - b) < 1e-12 for a, b in zip(new, caps, strict=True)):
            break
        caps = new
    return caps


_TABLES: dict[tuple[int, str | None], tuple[Questionnaire, StageTable]] = {}


def stage_table(questionnaire: Questionnaire, stage: str | None) -> StageTable:
    """The (cached) table of a questionnaire for one stage."""
    key = (id(questionnaire), stage)
    cached = _TABLES.get(key)
    if cached is not None and cached[0] is questionnaire:
        return cached[1]
    questions = tuple(q for q in questionnaire.questions_for(stage) if q.id != STAGE_QUESTION)
    raw = [[_raw_cap(q, stage, k) for k in _VECTOR] for q in questions]
    columns = [_capped([row[i] for row in raw]) for i in range(len(_VECTOR))]
    caps = tuple(tuple(columns[i][j] for i in range(len(_VECTOR))) for j in range(len(questions)))
    scale = tuple(
        tuple((caps[j][i] / raw[j][i]) if raw[j][i] > 0 else 0.0 for i in range(len(_VECTOR)))
        for j in range(len(questions))
    )
    vectors = []
    for j, question in enumerate(questions):
        per_option = []
        for option in question.options:
            evidence = option.evidence_for(stage)
            per_option.append(
                tuple(
                    (evidence.get(k, 0.0) if k in DIMENSIONS else option.motives.get(k, 0.0)) * scale[j][i]
                    for i, k in enumerate(_VECTOR)
                )
            )
        vectors.append(tuple(per_option))
    table = StageTable(
        stage=stage,
        questions=questions,
        caps=caps,
        scale=scale,
        raw_caps=tuple(tuple(r) for r in raw),
        total=tuple(sum(caps[j][i] for j in range(len(questions))) for i in range(len(_VECTOR))),
        vectors=tuple(vectors),
    )
    _TABLES[key] = (questionnaire, table)
    return table


def _clamp(value: float, low: float = 0.0, high: float = 1.0) -> float:
    return max(low, min(high, value))


def normalise(table: StageTable, sums: Sequence[float]) -> tuple[float, ...]:
    """Scores on (*DIMENSIONS, *MOTIVES) from summed contributions: dimensions 0.5 + 0.5 * sum / total,
    motives sum / total, all clamped to 0..1 (a dimension without any evidence stays 0.5)."""
    total = table.total
    n = len(DIMENSIONS)
    dims = [min(1.0, max(0.0, 0.5 + 0.5 * sums[i] / total[i])) if total[i] > 0 else 0.5 for i in range(n)]
    motives = [min(1.0, max(0.0, sums[i] / total[i])) if total[i] > 0 else 0.0 for i in range(n, len(total))]
    return (*dims, *motives)


# ---------------------------------------------------------------- scoring


def _selected(question: Question, value: Any) -> list[str]:
    """Valid option ids from a stored answer; anything unknown or malformed is dropped."""
    if value is None:
        return []
    if isinstance(value, str):
        items: list[Any] = decode_answer(value) if question.multi else [value.strip()]
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


def _stage_of(answers: Answers, stage: str | None, questionnaire: Questionnaire) -> str | None:
    if stage in questionnaire.stages:
        return stage
    value = answers.get(STAGE_QUESTION) if isinstance(answers, Mapping) else None
    if isinstance(value, (list, tuple)) and value:
        value = value[0]
    return value if isinstance(value, str) and value in questionnaire.stages else None


def question_sum(table: StageTable, index: int, chosen: Iterable[str]) -> tuple[float, ...]:
    """One question's contribution for the chosen options: summed, and never beyond its cap."""
    question = table.questions[index]
    ids = question.option_ids
    total = [0.0] * len(_VECTOR)
    for option_id in chosen:
        vector = table.vectors[index][ids.index(option_id)]
        for i, value in enumerate(vector):
            total[i] += value
    caps = table.caps[index]
    return tuple(
        _clamp(value, -caps[i], caps[i]) if _VECTOR[i] in DIMENSIONS else _clamp(value, 0.0, caps[i])
        for i, value in enumerate(total)
    )


def score(answers: Answers, questionnaire: Questionnaire | None = None, stage: str | None = None) -> Scores:
    """Score answers on the three dimensions and the motives.

    Evidence is summed per dimension and divided by the largest total possible over all questions of the
    stage, then mapped around 0.5: bounded, independent of answer order, and an answer never counts
    more because fewer questions were answered. "Weet ik niet" and unknown ids add nothing.
    """
    questionnaire = questionnaire or get_questionnaire()
    if not isinstance(answers, Mapping):
        answers = {}
    stage = _stage_of(answers, stage, questionnaire)
    table = stage_table(questionnaire, stage)

    sums = [0.0] * len(_VECTOR)
    covered = [0.0] * len(_VECTOR)
    evidence: list[Evidence] = []
    scored: dict[str, tuple[str, ...]] = {}
    missing: list[str] = []
    for index, question in enumerate(table.questions):
        chosen = _selected(question, answers.get(question.id))
        if not chosen:
            missing.append(question.id)
            continue
        scored[question.id] = tuple(chosen)
        contribution = question_sum(table, index, chosen)
        for i in range(len(_VECTOR)):
            sums[i] += contribution[i]
            covered[i] += table.caps[index][i]
        for option_id in chosen:
            option = question.option(option_id)
            if option is None:  # pragma: no cover - _selected only returns valid ids
                continue
            vector = table.vectors[index][question.option_ids.index(option_id)]
            explain = option.explain_for(stage)
            for i, key in enumerate(_VECTOR):
                if vector[i]:
                    kind = "dimension" if key in DIMENSIONS else "motive"
                    evidence.append(Evidence(question.id, option.id, key, vector[i], explain, kind))

    values = normalise(table, sums)
    coverage = {
        key: (covered[i] / table.total[i] if table.total[i] > 0 else 0.0)
        for i, key in enumerate(_VECTOR)
        if key in DIMENSIONS
    }
    return Scores(
        exploration=values[0],
        commitment=values[1],
        reconsideration=values[2],
        motives={key: values[i] for i, key in enumerate(_VECTOR) if key in MOTIVES},
        evidence=evidence,
        stage=stage,
        answered=len(scored),
        questions=len(table.questions),
        coverage=coverage,
        answers=scored,
        missing=tuple(missing),
    )


# ---------------------------------------------------------------- matching


def _weights() -> tuple[float, float]:
    """Weights of one dimension and one motive in the distance; they sum to 1 over all of them."""
    total = DIMENSION_WEIGHT * len(DIMENSIONS) + MOTIVE_WEIGHT * len(MOTIVES)
    return DIMENSION_WEIGHT / total, MOTIVE_WEIGHT / total


def _persona_vector(persona: Persona) -> tuple[float, ...]:
    return tuple(persona.position[d] for d in DIMENSIONS) + tuple(persona.motives[m] for m in MOTIVES)


def _distance(values: Sequence[float], target: Sequence[float]) -> float:
    w_dim, w_mot = _weights()
    n = len(DIMENSIONS)
    total = sum(w_dim * (values[i] - target[i]) ** 2 for i in range(n))
    total += sum(w_mot * (values[i] - target[i]) ** 2 for i in range(n, len(_VECTOR)))
    return math.sqrt(total)


def _values(scores: Scores) -> tuple[float, ...]:
    return (
        scores.exploration,
        scores.commitment,
        scores.reconsideration,
        *(scores.motives.get(m, 0.0) for m in MOTIVES),
    )


def distance(scores: Scores, persona: Persona) -> float:
    """Weighted Euclidean distance in 0..1 between a pupil and a persona (dimensions and motives)."""
    return _distance(_values(scores), _persona_vector(persona))


def enough(answered: int, questions: int, coverage_exploration: float, coverage_commitment: float) -> bool:
    """Whether there are enough real answers to say anything (else the outcome is "insufficient")."""
    if questions == 0:
        return False
    return (
        answered >= MIN_ANSWERED_SHARE * questions
        and coverage_exploration >= MIN_COVERAGE
        and coverage_commitment >= MIN_COVERAGE
    )


@dataclass(frozen=True)
class Decision:
    fit: str
    best: str
    runner_up: str | None
    distances: dict[str, float]
    margin: float
    confidence: float
    diffusion_distance: float


@dataclass(frozen=True)
class Targets:
    """The alumni (in fixed order) and "nobody yet" as plain vectors on (*DIMENSIONS, *MOTIVES)."""

    ids: tuple[str, ...]
    vectors: tuple[tuple[float, ...], ...]
    diffusion: tuple[float, ...]


def targets(personas: Mapping[str, Persona]) -> Targets:
    order = sorted(personas, key=persona_sort_key)
    return Targets(
        ids=tuple(order),
        vectors=tuple(_persona_vector(personas[pid]) for pid in order),
        diffusion=tuple(DIFFUSION_POINT[d] for d in DIMENSIONS),
    )


def dimension_part(e: float, c: float, r: float, where: Targets) -> tuple[list[float], list[float], float]:
    """The part of classify() that needs only the three dimensions: per alumnus the squared and the
    root-mean-square difference, and the distance to "nobody yet". (Split off so the benchmark can reuse
    it for every motive combination of the same dimension scores.)"""
    squares: list[float] = []
    dims: list[float] = []
    for t in where.vectors:
        de, dc, dr = e - t[0], c - t[1], r - t[2]
        square = de * de + dc * dc + dr * dr
        squares.append(square)
        dims.append(math.sqrt(square / 3))
    p = where.diffusion
    de, dc, dr = e - p[0], c - p[1], r - p[2]
    return squares, dims, math.sqrt((de * de + dc * dc + dr * dr) / 3)


def finish(
    part: tuple[list[float], list[float], float], motives: Sequence[float], sufficient: bool, where: Targets
) -> tuple[str, int, int, list[float], float]:
    """The rest of classify(): add the motives, rank the alumni and decide the fit."""
    squares, dims, diffusion_d = part
    w_dim, w_mot = _weights()
    distances: list[float] = []
    for square, t in zip(squares, where.vectors, strict=True):
        mot_sq = 0.0
        for k, value in enumerate(motives):
            x = value - t[3 + k]
            mot_sq += x * x
        distances.append(round(math.sqrt(w_dim * square + w_mot * mot_sq), 6))
    best, runner = -1, -1
    for i, d in enumerate(distances):
        if best < 0 or d < distances[best]:
            best, runner = i, best
        elif runner < 0 or d < distances[runner]:
            runner = i
    margin = distances[runner] - distances[best] if runner >= 0 else 0.0
    if not sufficient:
        fit = "insufficient"
    elif diffusion_d < min(dims):
        fit = "diffusion"
    elif (
        margin < WEAK_MARGIN
        or diffusion_d - dims[best] < WEAK_MARGIN
        or dims[best] > GOOD_DISTANCE
        or distances[best] > GOOD_FULL_DISTANCE
    ):
        fit = "weak"
    else:
        fit = "good"
    return fit, best, runner, distances, diffusion_d


def classify(values: Sequence[float], sufficient: bool, where: Targets) -> tuple[str, int, int, list[float], float]:
    """The outcome rule, used by match() and by the benchmark alike.

    Returns (fit, index of the nearest alumnus, index of the runner-up or -1, all distances, the
    distance to "nobody yet"):
    1. too few answers: "insufficient";
    2. nearer to "nobody yet" than to each alumnus on the three dimensions: "diffusion";
    3. else the nearest alumnus (dimensions and motives). The fit is "good" when the pupil is near him
       (within GOOD_DISTANCE on the three dimensions and GOOD_FULL_DISTANCE with the motives) and clearly
       nearer to him than to the runner-up and to "nobody yet" (by WEAK_MARGIN); otherwise "weak".
       Ties go to the fixed order joost, luuk, tim.
    """
    return finish(dimension_part(values[0], values[1], values[2], where), values[3:], sufficient, where)


def decide(values: Sequence[float], sufficient: bool, personas: Mapping[str, Persona]) -> Decision:
    """classify() with names: the outcome for scores on (*DIMENSIONS, *MOTIVES)."""
    where = targets(personas)
    fit, best, runner, distances, diffusion_d = classify(values, sufficient, where)
    best_d = distances[best]
    runner_d = distances[runner] if runner >= 0 else best_d
    margin = max(0.0, runner_d - best_d)
    return Decision(
        fit=fit,
        best=where.ids[best],
        runner_up=where.ids[runner] if runner >= 0 else None,
        distances=dict(zip(where.ids, distances, strict=True)),
        margin=round(margin, 6),
        confidence=round(_clamp(margin / runner_d) if runner_d > 0 else 0.0, 6),
        diffusion_distance=round(diffusion_d, 6),
    )


def _pull(item: Evidence, best: Mapping[str, Mapping[str, float]], runner: Mapping[str, Mapping[str, float]]) -> float:
    """How much one evidence item moves the pupil towards `best` rather than `runner` (positions, motives)."""
    w_dim, w_mot = _weights()
    if item.kind == "motive":
        gap = best["motives"].get(item.dimension, 0.0) - runner["motives"].get(item.dimension, 0.0)
        return w_mot * item.value * gap
    gap = best["position"].get(item.dimension, 0.5) - runner["position"].get(item.dimension, 0.5)
    return w_dim * item.value * gap


def _place(persona: Persona | None) -> dict[str, Mapping[str, float]]:
    if persona is None:
        return {"position": DIFFUSION_POINT, "motives": {}}
    return {"position": persona.position, "motives": persona.motives}


# A persona's position this close to the middle (0.5) says little about that score: any answer agrees.
NEUTRAL_BAND = 0.15


def _contradicts(item: Evidence, position: Mapping[str, float]) -> bool:
    """Whether an answer's push on one score goes against where the target sits ("alleen in één richting
    gekeken" is no reason to resemble Tim, who looked around widely)."""
    if item.kind != "dimension" or item.value == 0:
        return False
    offset = position.get(item.dimension, 0.5) - 0.5
    return abs(offset) >= NEUTRAL_BAND and (item.value > 0) != (offset > 0)


def deciding_evidence(
    evidence: Iterable[Evidence], best: Persona | None, runner: Persona | None, limit: int = 4
) -> list[Evidence]:
    """The 2-4 answers that pulled hardest towards `best` rather than `runner`, one item per question.

    `best` None means "nobody yet" (the diffusion point, dimensions only). An answer's pull is summed
    over its dimensions and motives; it is represented by its strongest single item, so the explanation
    names what mattered most. An answer that pushes any score against where the target sits is left out:
    its phrase would not read as a reason.
    """
    items = list(evidence)
    if runner is None and best is not None:
        agreeing = [e for e in items if e.value > 0 and not _contradicts(e, best.position)]
        return sorted(agreeing, key=lambda e: (-abs(e.value), e.question_id))[:limit]
    to, away = _place(best), _place(runner)
    position = to["position"]
    against = {e.question_id for e in items if _contradicts(e, position)}
    totals: dict[str, float] = {}
    strongest: dict[str, tuple[float, Evidence]] = {}
    for item in items:
        if item.question_id in against or (best is None and item.kind == "motive"):
            continue
        pull = _pull(item, to, away)
        totals[item.question_id] = totals.get(item.question_id, 0.0) + pull
        current = strongest.get(item.question_id)
        if current is None or pull > current[0]:
            strongest[item.question_id] = (pull, item)
    ranked = sorted((qid for qid, total in totals.items() if total > 1e-9), key=lambda qid: (-totals[qid], qid))
    if not ranked:
        return []
    top = totals[ranked[0]]
    chosen = [qid for i, qid in enumerate(ranked[:limit]) if i < 2 or totals[qid] >= 0.25 * top]
    return [strongest[qid][1] for qid in chosen]


def match(scores: Scores, personas: Mapping[str, Persona] | None = None) -> Match:
    """Whom the pupil resembles: a persona (good or weak fit), "diffusion" or "insufficient".

    Ties between alumni go to the fixed order joost, luuk, tim.
    """
    personas = personas or get_personas()
    if not personas:
        raise ValueError("no personas to match against")
    sufficient = enough(
        scores.answered,
        scores.questions,
        scores.coverage.get("exploration", 0.0),
        scores.coverage.get("commitment", 0.0),
    )
    decision = decide(_values(scores), sufficient, personas)
    best = personas[decision.best]
    runner = personas[decision.runner_up] if decision.runner_up else None
    if decision.fit == "insufficient":
        deciding: list[Evidence] = []
    elif decision.fit == "diffusion":
        deciding = deciding_evidence(scores.evidence, None, best)
    else:
        deciding = deciding_evidence(scores.evidence, best, runner)
    return Match(
        persona_id=decision.best,
        distances=decision.distances,
        margin=decision.margin,
        confidence=decision.confidence,
        fit=decision.fit,
        deciding=deciding,
        runner_up=decision.runner_up,
        diffusion_distance=decision.diffusion_distance,
    )


# ---------------------------------------------------------------- "waarom niet hij?"


def differences(
    scores_or_answers: Scores | Answers,
    persona_id: str,
    questionnaire: Questionnaire | None = None,
    personas: Mapping[str, Persona] | None = None,
    limit: int = 3,
) -> list[Difference]:
    """The 2-3 answers that would most move the pupil towards a persona, one per question, best first.

    For every question of the pupil's stage, every other option (for a multi question: one more option)
    is tried; the change that brings the pupil nearest to the persona counts for that question.
    """
    questionnaire = questionnaire or get_questionnaire()
    personas = personas or get_personas()
    persona = personas[persona_id]
    if isinstance(scores_or_answers, Scores):
        base_answers: dict[str, Any] = {qid: list(ids) for qid, ids in scores_or_answers.answers.items()}
        stage = scores_or_answers.stage
    else:
        stage = _stage_of(scores_or_answers, None, questionnaire)
        base_answers = {}
        for question in questionnaire.questions_for(stage):
            chosen = _selected(question, scores_or_answers.get(question.id))
            if chosen:
                base_answers[question.id] = chosen
    if stage is not None:
        base_answers[STAGE_QUESTION] = stage
    base = score(base_answers, questionnaire, stage)
    start = distance(base, persona)
    found: list[Difference] = []
    for question in stage_table(questionnaire, stage).questions:
        current = list(base.answers.get(question.id, ()))
        best: tuple[float, Any, Scores] | None = None
        for option in question.options:
            if option.id in current:
                continue
            value: Any = [*current, option.id] if question.multi else option.id
            trial = score({**base_answers, question.id: value}, questionnaire, stage)
            gain = start - distance(trial, persona)
            if gain > 1e-9 and (best is None or gain > best[0]):
                best = (gain, option, trial)
        if best is None:
            continue
        gain, option, trial = best
        found.append(
            Difference(
                question_id=question.id,
                option_id=option.id,
                current=tuple(current),
                gain=gain,
                explain=option.explain_for(stage),
                label=option.label_for(stage),
                reaches=match(trial, personas).outcome == persona_id,
            )
        )
    found.sort(key=lambda d: (-d.gain, d.question_id))
    return found[:limit]
