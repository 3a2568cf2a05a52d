"""`make bench-model`: validate the identity model over every answer combination; writes docs/bench/model.md.

What it measures (issue 10):
- the outcome (Joost, Luuk, Tim with a good or weak fit, diffusion, insufficient) for every combination of
  single answers per stage (each question one option, no "weet ik niet"; the multi question with one option);
- random populations (with "weet ik niet", several options on the multi question);
- the simulated pupils of benchmarks/pupils.yml (free text through the interpreter), when that file exists;
- each persona's own story in every stage;
- "not explored, not committed" answer sets: the share that gets diffusion (target >= 90%);
- sensitivity: the largest outcome change one answer can cause;
- gaming: the largest share of the rest's combinations that three fixed answers give one persona (target <= 60%);
- whether every outcome is reachable in every stage;
- the mean "Herken je jezelf?" rating per persona (and fit) from the tracker store, once pupils have rated.

Pure Python, no Rasa. The exhaustive part uses the model's own stage table and classify() (the same code
as score() and match(); a spot check below compares both on sampled combinations).
Run: make bench-model, or python scripts/bench_model.py [--out docs/bench/model.md] [--random N] [--feedback-db URL]
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot import ROOT, settings
from bot.core.content import (
    DIMENSIONS,
    DONT_KNOW,
    MOTIVES,
    PERSONA_ORDER,
    STAGE_QUESTION,
    STAGES,
    Question,
    Questionnaire,
    get_personas,
    get_questionnaire,
)
from bot.core.interpret import interpret
from bot.core.model import (
    MAX_SHARE,
    StageTable,
    Targets,
    dimension_part,
    finish,
    match,
    score,
    stage_table,
    targets,
)
from bot.workshops import feedback

STAGE_NAMES = {"klas3": "klas 3", "bovenbouw": "bovenbouw", "examen": "examenjaar", "student": "student"}
PERSONAS = PERSONA_ORDER
# Outcome codes: persona good 0-2, persona weak 3-5, diffusion 6, insufficient 7.
OUTCOMES = (*(f"{p}:good" for p in PERSONAS), *(f"{p}:weak" for p in PERSONAS), "diffusion", "insufficient")
DIFFUSION, INSUFFICIENT = 6, 7
GAMING_LIMIT = 0.60
DIFFUSION_TARGET = 0.90
PUPILS_FILE = ROOT / "benchmarks" / "pupils.yml"
VECTOR_LEN = len(DIMENSIONS) + len(MOTIVES)


def code_of(fit: str, persona_index: int) -> int:
    if fit == "good":
        return persona_index
    if fit == "weak":
        return 3 + persona_index
    return DIFFUSION if fit == "diffusion" else INSUFFICIENT


def persona_of(code: int) -> int:
    """0-2 a persona (good or weak), 3 diffusion, 4 insufficient."""
    if code < 6:
        return code % 3
    return 3 if code == DIFFUSION else 4


def pct(part: float, whole: float) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "-"


# ---------------------------------------------------------------- exhaustive enumeration


@dataclass
class Grid:
    """Every combination of one stage in mixed-radix order over `order` (first position most significant)."""

    stage: str
    table: StageTable
    order: list[int]  # indices into table.questions: questions with dimension evidence first, motives-only last
    choices: list[list[int]]  # per position, the option indices enumerated
    outcomes: bytes  # one outcome code per combination

    @property
    def n(self) -> int:
        return len(self.outcomes)

    @property
    def sizes(self) -> list[int]:
        return [len(c) for c in self.choices]

    @property
    def strides(self) -> list[int]:
        sizes = self.sizes
        strides = [1] * len(sizes)
        for j in range(len(sizes) - 2, -1, -1):
            strides[j] = strides[j + 1] * sizes[j + 1]
        return strides

    def question(self, j: int) -> Question:
        return self.table.questions[self.order[j]]

    def option_id(self, j: int, digit: int) -> str:
        return self.question(j).option_ids[self.choices[j][digit]]

    def column(self, j: int) -> bytes:
        """The digit (position in `choices`) of question j for every combination."""
        n, s = self.sizes[j], self.strides[j]
        block = b"".join(bytes([d]) * s for d in range(n))
        return block * (self.n // (n * s))

    def answers(self, index: int) -> dict[str, str]:
        sizes, strides = self.sizes, self.strides
        return {self.question(j).id: self.option_id(j, (index // strides[j]) % sizes[j]) for j in range(len(sizes))}


def _units(table: StageTable) -> list[list[tuple[float, ...]]]:
    """Every option's contribution already divided by the stage totals (dimensions: half of it), so that a
    pupil's scores are 0.5 + the sum (dimensions) and the sum (motives): normalise() without the clamp,
    which a capped sum never needs."""
    dims = len(DIMENSIONS)
    units = []
    for vectors in table.vectors:
        per_option = []
        for vector in vectors:
            per_option.append(
                tuple(
                    (0.5 if i < dims else 1.0) * value / table.total[i] if table.total[i] > 0 else 0.0
                    for i, value in enumerate(vector)
                )
            )
        units.append(per_option)
    return units


def _add(vectors: Iterable[tuple[float, ...]]) -> tuple[float, ...]:
    total = [0.0] * VECTOR_LEN
    for vector in vectors:
        for i, value in enumerate(vector):
            total[i] += value
    return tuple(total)


def enumerate_grid(
    questionnaire: Questionnaire,
    stage: str,
    where: Targets,
    allowed: Mapping[int, Sequence[int]] | None = None,
) -> Grid:
    """Classify every combination (of the allowed options per question, default all) with the model's rule.

    Questions whose options only carry motives go innermost: for one set of dimension scores, dimension_part()
    is computed once and finish() runs for each motive combination. Same functions as match() uses.
    """
    table = stage_table(questionnaire, stage)
    units = _units(table)
    dims = len(DIMENSIONS)
    motive_only = [j for j in range(len(table.questions)) if all(not any(v[:dims]) for v in table.vectors[j])]
    order = [j for j in range(len(table.questions)) if j not in motive_only] + motive_only
    choices = [
        list(allowed[j]) if allowed and j in allowed else list(range(len(table.questions[j].options))) for j in order
    ]
    outer = order[: len(order) - len(motive_only)]
    outer_choices = choices[: len(outer)]
    half = len(outer) // 2

    def partial(positions: range) -> list[tuple[float, ...]]:
        return [
            _add(units[outer[k]][o] for k, o in zip(positions, combo, strict=True))
            for combo in itertools.product(*(outer_choices[k] for k in positions))
        ]

    first, second = partial(range(half)), partial(range(half, len(outer)))
    inner = [
        _add(units[motive_only[k]][o] for k, o in enumerate(combo))[dims:]
        for combo in itertools.product(*(choices[len(outer) + k] for k in range(len(motive_only))))
    ]
    width = len(inner)
    out = bytearray()
    diffusion_block = bytes([DIFFUSION]) * width
    for a in first:
        for b in second:
            e, c, r = 0.5 + a[0] + b[0], 0.5 + a[1] + b[1], 0.5 + a[2] + b[2]
            part = dimension_part(e, c, r, where)
            if part[2] < min(part[1]):
                out += diffusion_block  # "nobody yet" depends on the three dimensions only
                continue
            base = [x + y for x, y in zip(a[dims:], b[dims:], strict=True)]
            for m in inner:
                fit, best, _, _, _ = finish(part, [x + y for x, y in zip(base, m, strict=True)], True, where)
                out.append(code_of(fit, best))
    return Grid(stage=stage, table=table, order=order, choices=choices, outcomes=bytes(out))


def distribution(codes: Iterable[int]) -> Counter[int]:
    return Counter(codes)


def summary_row(label: str, counts: Counter[int], total: int | None = None) -> str:
    total = total if total is not None else sum(counts.values())
    persona = [counts[i] + counts[i + 3] for i in range(3)]
    weak = sum(counts[i] for i in range(3, 6))
    cells = [label, f"{total:,}"]
    cells += [pct(p, total) for p in persona]
    cells += [pct(weak, total), pct(counts[DIFFUSION], total), pct(counts[INSUFFICIENT], total)]
    return "| " + " | ".join(cells) + " |"


SUMMARY_HEAD = (
    "| | n | Joost | Luuk | Tim | of which weak fit | diffusion | insufficient |\n"
    "|---|---:|---:|---:|---:|---:|---:|---:|"
)


# ---------------------------------------------------------------- sensitivity and gaming


def _rows(grid: Grid, j: int, option: int, data: bytes) -> bytes:
    """`data` (one byte per combination) for every combination with question j at `option`, in the order of
    the other questions."""
    n, s = grid.sizes[j], grid.strides[j]
    block = n * s
    return b"".join(data[a + option * s : a + option * s + s] for a in range(0, grid.n, block))


def _differ(x: bytes, y: bytes) -> int:
    """Positions where two equally long byte strings differ (C speed)."""
    xor = int.from_bytes(x, "big") ^ int.from_bytes(y, "big")
    return len(x) - xor.to_bytes(len(x), "big").count(0)


@dataclass
class Sensitivity:
    question: str
    flip_any: float  # share of combinations where some other answer to this question changes the outcome
    flip_pair: tuple[str, str, float]  # the option pair with the most changes
    shift: tuple[str, float]  # the option whose fixing moves the outcome distribution most (total variation)
    flip_fit: float  # like flip_any, counting a change between a good and a weak fit too


_TO_CLASS = bytes(persona_of(c) if c < len(OUTCOMES) else 0 for c in range(256))


def _any_change(rows: list[bytes]) -> float:
    per = len(rows[0])
    first = int.from_bytes(rows[0], "big")
    changed = 0
    for row in rows[1:]:
        changed |= first ^ int.from_bytes(row, "big")
    return (per - changed.to_bytes(per, "big").count(0)) / per


def sensitivity(grid: Grid) -> list[Sensitivity]:
    """Per question: how often another answer to it changes the outcome (Joost, Luuk, Tim, diffusion or
    insufficient; a change between good and weak fit of the same alumnus does not count, see flip_fit)."""
    result = []
    classes = grid.outcomes.translate(_TO_CLASS)
    overall = Counter(classes)
    for j in range(len(grid.order)):
        question = grid.question(j)
        n = grid.sizes[j]
        rows = [_rows(grid, j, o, classes) for o in range(n)]
        per = len(rows[0])
        ids = [grid.option_id(j, d) for d in range(n)]
        best_pair = ("", "", 0.0)
        for a, b in itertools.combinations(range(n), 2):
            share = _differ(rows[a], rows[b]) / per
            if share > best_pair[2]:
                best_pair = (ids[a], ids[b], share)
        best_shift = ("", 0.0)
        for o in range(n):
            fixed = Counter(rows[o])
            tv = 0.5 * sum(abs(fixed[c] / per - overall[c] / grid.n) for c in range(5))
            if tv > best_shift[1]:
                best_shift = (ids[o], tv)
        flip_fit = _any_change([_rows(grid, j, o, grid.outcomes) for o in range(n)])
        result.append(Sensitivity(question.id, _any_change(rows), best_pair, best_shift, flip_fit))
    return result


@dataclass
class Gaming:
    persona: str
    share: float
    answers: tuple[tuple[str, str], ...]


def _bits(data: bytes, wanted: Iterable[int]) -> int:
    """A byte-per-combination bitset (as one big int) of the combinations whose byte is in `wanted`."""
    table = bytearray(256)
    for value in wanted:
        table[value] = 1
    return int.from_bytes(data.translate(bytes(table)), "big")


def _persona_codes(good_only: bool) -> list[list[int]]:
    return [[p] if good_only else [p, p + 3] for p in range(3)]


def _triple_search(
    columns: Sequence[bytes], sizes: Sequence[int], outcomes: bytes, good_only: bool, keep: int
) -> list[list[tuple[float, tuple[int, int, int], tuple[int, int, int]]]]:
    """Per persona, the `keep` three-answer sets with the largest share of that persona among the rows
    (combinations) that have those three answers. Counting with byte-per-row bitsets in big ints."""
    personas = [_bits(outcomes, codes) for codes in _persona_codes(good_only)]
    masks = [[_bits(column, [o]) for o in range(sizes[j])] for j, column in enumerate(columns)]
    found: list[list[tuple[float, tuple[int, int, int], tuple[int, int, int]]]] = [[] for _ in range(3)]
    for a, b, c in itertools.combinations(range(len(columns)), 3):
        for ia, ib in itertools.product(range(sizes[a]), range(sizes[b])):
            both = masks[a][ia] & masks[b][ib]
            for ic in range(sizes[c]):
                rows = both & masks[c][ic]
                total = rows.bit_count()
                if not total:
                    continue
                for p in range(3):
                    share = (rows & personas[p]).bit_count() / total
                    found[p].append((share, (a, b, c), (ia, ib, ic)))
    return [sorted(items, reverse=True)[:keep] for items in found]


def gaming(grid: Grid, good_only: bool = False, sample: int = 150_000, seed: int = 3, keep: int = 5) -> list[Gaming]:
    """Per persona, the three answers that give him in the largest share of the combinations of the rest.

    Searching all three-answer sets on every combination is slow in pure Python, so the search runs on a
    uniform sample of combinations (every three-answer set is seen hundreds of times), and the best `keep`
    candidates per persona are then counted exactly on all combinations.
    """
    count = len(grid.order)
    sizes = grid.sizes
    columns = [grid.column(j) for j in range(count)]
    if grid.n > sample:
        rng = random.Random(seed)
        rows = sorted(rng.sample(range(grid.n), sample))
        sample_columns = [bytes(column[i] for i in rows) for column in columns]
        sample_outcomes = bytes(grid.outcomes[i] for i in rows)
    else:
        sample_columns, sample_outcomes = columns, grid.outcomes
    candidates = _triple_search(sample_columns, sizes, sample_outcomes, good_only, keep)
    personas = [_bits(grid.outcomes, codes) for codes in _persona_codes(good_only)]
    result = []
    for p in range(3):
        best = Gaming(PERSONAS[p], 0.0, ())
        for _, (a, b, c), (ia, ib, ic) in candidates[p]:
            rows = _bits(columns[a], [ia]) & _bits(columns[b], [ib]) & _bits(columns[c], [ic])
            share = (rows & personas[p]).bit_count() / rows.bit_count()
            if share > best.share:
                answers = tuple(
                    (grid.question(q).id, grid.option_id(q, o)) for q, o in zip((a, b, c), (ia, ib, ic), strict=True)
                )
                best = Gaming(PERSONAS[p], share, answers)
        result.append(best)
    return result


def fixed_answers_share(
    questionnaire: Questionnaire, stage: str, fixed: Mapping[str, Any], persona: str
) -> tuple[float, float, int]:
    """Through the public score()/match(): the shares of the rest's single-answer combinations giving
    `persona` (good or weak fit, and good fit only), and how many combinations there are."""
    rest = [q for q in stage_table(questionnaire, stage).questions if q.id not in fixed]
    hits = good = total = 0
    for combo in itertools.product(*(q.option_ids for q in rest)):
        answers = {STAGE_QUESTION: stage, **fixed, **{q.id: o for q, o in zip(rest, combo, strict=True)}}
        result = match(score(answers, questionnaire, stage))
        total += 1
        hits += result.outcome == persona
        good += result.outcome == persona and result.fit == "good"
    return hits / total, good / total, total


def triple_share(grid: Grid, answers: Sequence[tuple[str, str]], codes: Sequence[int]) -> float:
    """Exact share of the combinations with these answers whose outcome code is in `codes`."""
    rows = -1
    for qid, oid in answers:
        j = next(k for k in range(len(grid.order)) if grid.question(k).id == qid)
        digit = next(d for d in range(grid.sizes[j]) if grid.option_id(j, d) == oid)
        rows &= _bits(grid.column(j), [digit])
    return (rows & _bits(grid.outcomes, codes)).bit_count() / rows.bit_count()


# ---------------------------------------------------------------- populations


def random_answers(questionnaire: Questionnaire, stage: str, rng: random.Random, dont_know: float) -> dict[str, Any]:
    answers: dict[str, Any] = {STAGE_QUESTION: stage}
    for question in stage_table(questionnaire, stage).questions:
        if rng.random() < dont_know:
            answers[question.id] = DONT_KNOW
        elif question.multi:
            chosen = [o for o in question.option_ids if rng.random() < 0.35]
            answers[question.id] = chosen or [rng.choice(question.option_ids)]
        else:
            answers[question.id] = rng.choice(question.option_ids)
    return answers


NOT_TECHNICAL = {
    "hobbies_technical": ("not_really",),
    "profile": ("compared", "other"),
    "what_matters": ("challenge", "social", "variety", "ambition"),
}


def not_technical_answers(questionnaire: Questionnaire, stage: str, rng: random.Random) -> dict[str, Any]:
    answers = random_answers(questionnaire, stage, rng, 0.0)
    for qid, options in NOT_TECHNICAL.items():
        question = questionnaire.question(qid)
        if question.multi:
            answers[qid] = [o for o in options if rng.random() < 0.35] or [rng.choice(options)]
        else:
            answers[qid] = rng.choice(options)
    return answers


def population(answer_sets: Iterable[Mapping[str, Any]], questionnaire: Questionnaire, where: Targets) -> Counter[int]:
    counts: Counter[int] = Counter()
    for answers in answer_sets:
        result = match(score(answers, questionnaire))
        counts[code_of(result.fit, where.ids.index(result.persona_id))] += 1
    return counts


def quiet_allowed(table: StageTable, little: float = 0.0) -> dict[int, list[int]]:
    """Per question, the options that say "not explored, not committed" in this stage.

    With little=0 (the strict set) an option qualifies when its evidence (after the stage's own values) adds
    no exploration and no commitment. With little > 0 (the broad set) it may add up to `little` of each, but
    then it may not say that the pupil weighs a choice again (reconsideration at most `little` too), unless
    no option of the question qualifies that way. Questions that only carry motives keep all their options.
    """
    allowed: dict[int, list[int]] = {}
    for j, question in enumerate(table.questions):
        evidence = [option.evidence_for(table.stage) for option in question.options]
        if not any(ev.get("exploration") or ev.get("commitment") for ev in evidence):
            allowed[j] = list(range(len(question.options)))
            continue
        quiet = [
            i
            for i, ev in enumerate(evidence)
            if ev.get("exploration", 0.0) <= little and ev.get("commitment", 0.0) <= little
        ]
        if little > 0:
            calm = [i for i in quiet if evidence[i].get("reconsideration", 0.0) <= little]
            quiet = calm or quiet
        allowed[j] = quiet
    return allowed


# ---------------------------------------------------------------- simulated pupils


def read_pupils(path: Path) -> list[dict[str, Any]]:
    """The simulated pupils: a list (or a mapping with a list) of pupils with a stage and answers by question id."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if isinstance(data, Mapping):
        lists = [v for v in data.values() if isinstance(v, list)]
        if "pupils" in data and isinstance(data["pupils"], list):
            items = data["pupils"]
        else:
            items = []
            for key, value in data.items():
                if isinstance(value, list):
                    for item in value:
                        if isinstance(item, Mapping):
                            items.append({"group": key, **item})
            if not lists:
                items = []
    elif isinstance(data, list):
        items = data
    else:
        items = []
    return [dict(item) for item in items if isinstance(item, Mapping)]


def pupil_answers(pupil: Mapping[str, Any], questionnaire: Questionnaire) -> tuple[dict[str, Any], str | None]:
    raw = pupil.get("answers") if isinstance(pupil.get("answers"), Mapping) else pupil
    stage_text = pupil.get("stage", raw.get(STAGE_QUESTION))
    stage = None
    if stage_text is not None:
        text = str(stage_text)
        found = [text] if text in questionnaire.stages else interpret(questionnaire.question(STAGE_QUESTION), text)
        stage = found[0] if found and found[0] in questionnaire.stages else None
    answers: dict[str, Any] = {STAGE_QUESTION: stage} if stage else {}
    ids = {q.id for q in questionnaire.questions}
    for qid, value in raw.items():
        if qid not in ids or qid == STAGE_QUESTION or value is None:
            continue
        question = questionnaire.question(qid)
        texts = value if isinstance(value, list) else [value]
        chosen: list[str] = []
        for text in texts:
            text = str(text)
            if text in question.option_ids or text == DONT_KNOW:
                chosen.append(text)
                continue
            found = interpret(question, text)
            if found:
                chosen.extend(found)
        if chosen:
            answers[qid] = chosen if question.multi else chosen[0]
    return answers, stage


def expected_of(pupil: Mapping[str, Any]) -> str | None:
    for key in ("expected", "persona", "outcome", "expect"):
        value = pupil.get(key)
        if isinstance(value, str):
            return value
        if isinstance(value, Mapping):
            for inner in ("persona", "outcome"):
                if isinstance(value.get(inner), str):
                    return value[inner]
    group = pupil.get("group")
    return group if isinstance(group, str) else None


# ---------------------------------------------------------------- the report


def dimension_table(questionnaire: Questionnaire) -> list[str]:
    lines = [
        "| stage | dimension | questions that measure it | largest share of one question (after the cap) |",
        "|---|---|---|---:|",
    ]
    for stage in STAGES:
        table = stage_table(questionnaire, stage)
        for i, dim in enumerate(DIMENSIONS):
            measuring = [q.id for j, q in enumerate(table.questions) if table.caps[j][i] > 0]
            share = max(table.caps[j][i] for j in range(len(table.questions))) / table.total[i]
            lines.append(f"| {STAGE_NAMES[stage]} | {dim} | {len(measuring)}: {', '.join(measuring)} | {share:.0%} |")
    return lines


def spot_check(questionnaire: Questionnaire, grids: Mapping[str, Grid], where: Targets, rng: random.Random) -> int:
    """Compare the fast enumeration with score()+match() on sampled combinations; returns the mismatches."""
    mismatches = 0
    for stage, grid in grids.items():
        for _ in range(300):
            index = rng.randrange(grid.n)
            answers: dict[str, Any] = {STAGE_QUESTION: stage, **grid.answers(index)}
            result = match(score(answers, questionnaire))
            if code_of(result.fit, where.ids.index(result.persona_id)) != grid.outcomes[index]:
                mismatches += 1
    return mismatches


def build_report(random_n: int, feedback_db: str, seed: int = 10) -> str:
    started = time.time()
    questionnaire = get_questionnaire()
    personas = get_personas()
    where = targets(personas)
    rng = random.Random(seed)
    lines: list[str] = []
    add = lines.append

    add("# Identity model: validation report")
    add("")
    add("Written by `make bench-model` (scripts/bench_model.py). The model is `bot/core/model.py`, its")
    add("numbers are in `content/questionnaire.yml` and `personas/*.yml`; docs/model.md explains them.")
    add("Outcomes: one of the three alumni with a good or a weak fit, *diffusion* (nobody yet) or")
    add('*insufficient* (too few real answers). "Joost" etc. count good and weak fits together; the')
    add("weak column says how many of all outcomes were a weak fit.")
    add("")

    # dimensions
    add("## What measures what")
    add("")
    add(
        "Each dimension is measured by at least two questions in every stage; no question may carry more than "
        f"{MAX_SHARE:.0%}"
    )
    add("of a dimension (the model scales a bigger one down). Liking technology is a motive, not a dimension.")
    add("")
    lines.extend(dimension_table(questionnaire))
    add("")

    # exhaustive
    grids: dict[str, Grid] = {}
    for stage in STAGES:
        grids[stage] = enumerate_grid(questionnaire, stage, where)
    add("## Every single-answer combination")
    add("")
    add('Every question answered with one option (no "weet ik niet"; the multi question with one option),')
    add("all combinations enumerated: that is every pupil who clicks one button per question.")
    add("*Insufficient* cannot occur here: everything is answered.")
    add("")
    add(SUMMARY_HEAD)
    for stage in STAGES:
        add(summary_row(STAGE_NAMES[stage], Counter(grids[stage].outcomes)))
    add("")
    mismatches = spot_check(questionnaire, grids, where, rng)
    add(
        f"Spot check: {300 * len(STAGES)} sampled combinations through the public `score()` + `match()` give "
        f"the same outcome as the enumeration in all but {mismatches} cases."
    )
    add("")

    # reachability
    add("## Every outcome reachable in every stage")
    add("")
    header = "| stage | " + " | ".join(OUTCOMES) + " |"
    add(header)
    add("|---|" + "---:|" * len(OUTCOMES))
    reach_dk: dict[str, Counter[int]] = {}
    all_reachable = True
    for stage in STAGES:
        counts = Counter(grids[stage].outcomes)
        dk = population(
            (random_answers(questionnaire, stage, rng, 0.5) for _ in range(max(200, random_n // 10))),
            questionnaire,
            where,
        )
        reach_dk[stage] = dk
        cells = []
        for code in range(len(OUTCOMES)):
            n = counts[code] + dk[code]
            all_reachable &= n > 0
            cells.append(f"{counts[code]:,}" if code != INSUFFICIENT else f"({dk[code]:,})")
        add(f"| {STAGE_NAMES[stage]} | " + " | ".join(cells) + " |")
    add("")
    add("Counts of single-answer combinations; *insufficient* in brackets: pupils of a population that answers")
    add(
        'half the questions with "weet ik niet". All outcomes reachable in all stages: '
        f"**{'yes' if all_reachable else 'NO'}**."
    )
    add("")

    # random populations
    add("## Random populations")
    add("")
    add(f"{random_n:,} pupils per stage and population, answers drawn at random (seed {seed}); multi question: each")
    add("option with chance 35% (at least one).")
    add("")
    add(SUMMARY_HEAD)
    for stage in STAGES:
        counts = population(
            (random_answers(questionnaire, stage, rng, 0.1) for _ in range(random_n)), questionnaire, where
        )
        add(summary_row(f"{STAGE_NAMES[stage]}, 10% weet ik niet", counts))
    for stage in STAGES:
        counts = population(
            (not_technical_answers(questionnaire, stage, rng) for _ in range(random_n)), questionnaire, where
        )
        add(summary_row(f"{STAGE_NAMES[stage]}, not technical", counts))
    for stage in STAGES:
        add(summary_row(f"{STAGE_NAMES[stage]}, 50% weet ik niet", reach_dk[stage]))
    add("")
    add("*Not technical*: no technical hobbies, no N&T-only or N&T-because-hardest profile, technology not")
    add("chosen as what matters. Liking technology is a motive only, so these pupils spread over the three")
    add("ways of choosing instead of landing on one of them.")
    add("")
    all_dk = population(
        ({STAGE_QUESTION: s, **{q.id: DONT_KNOW for q in stage_table(questionnaire, s).questions}} for s in STAGES),
        questionnaire,
        where,
    )
    add(f'"Weet ik niet" to every question: {all_dk[INSUFFICIENT]} of {len(STAGES)} stages give *insufficient*.')
    add("")

    # diffusion target
    add("## Not explored, not committed")
    add("")
    add('Every combination of answers that say "not looked around, not chosen" in the pupil\'s stage, for example')
    add("no open days, no idea of a study, not busy with later, no direction yet, a profile without comparing.")
    add("*Strict*: each answer adds no exploration and no commitment. *Broad*: each answer adds at most 0.2 of")
    add('either (so also "N&T, want het zwaarst" or "Ik wil naar de top") and does not say the pupil weighs a')
    add("choice again. Questions that only measure motives keep all their options. Target: at least 90% diffusion.")
    add("")
    add(SUMMARY_HEAD)
    diffusion_ok = True
    for little, label in ((0.0, "strict"), (0.2, "broad")):
        for stage in STAGES:
            grid = enumerate_grid(questionnaire, stage, where, quiet_allowed(stage_table(questionnaire, stage), little))
            counts = Counter(grid.outcomes)
            diffusion_ok &= counts[DIFFUSION] / grid.n >= DIFFUSION_TARGET
            add(summary_row(f"{STAGE_NAMES[stage]}, {label}", counts))
    add("")
    add(f"Target met in every stage: **{'yes' if diffusion_ok else 'NO'}**.")
    add("")

    # persona stories
    add("## Each persona's own story in every stage")
    add("")
    add("The persona's `demo_answers` (his own story as answers), with the stage changed.")
    add("")
    add("| persona | stage | outcome | fit | margin | exploration | commitment | reconsideration |")
    add("|---|---|---|---|---:|---:|---:|---:|")
    stories_ok = True
    for pid, persona in personas.items():
        for stage in STAGES:
            scores = score({**persona.demo_answers, STAGE_QUESTION: stage}, questionnaire)
            result = match(scores, personas)
            stories_ok &= result.outcome == pid and result.fit == "good"
            add(
                f"| {persona.name} | {STAGE_NAMES[stage]} | {result.outcome} | {result.fit} | {result.margin:.3f} | "
                f"{scores.exploration:.2f} | {scores.commitment:.2f} | {scores.reconsideration:.2f} |"
            )
    add("")
    add(f"Every story gives its own persona with a good fit: **{'yes' if stories_ok else 'NO'}**.")
    add("")

    # simulated pupils
    add("## Simulated pupils (free text)")
    add("")
    if PUPILS_FILE.exists():
        pupils = read_pupils(PUPILS_FILE)
        by_stage: dict[str, Counter[int]] = {}
        confusion: dict[str, Counter[str]] = {}
        for pupil in pupils:
            answers, stage = pupil_answers(pupil, questionnaire)
            result = match(score(answers, questionnaire), personas)
            key = STAGE_NAMES.get(stage or "", "stage unknown")
            by_stage.setdefault(key, Counter())[code_of(result.fit, where.ids.index(result.persona_id))] += 1
            expected = expected_of(pupil)
            if expected is not None:
                outcome = result.outcome if result.fit != "weak" else f"{result.outcome} (weak)"
                confusion.setdefault(expected, Counter())[outcome] += 1
        add(f"{len(pupils)} pupils from `benchmarks/pupils.yml`, every answer read by `bot.core.interpret` as the")
        add("bot reads it (no follow-up questions: an answer the bot would ask about counts as not answered).")
        add("")
        add(SUMMARY_HEAD)
        for key in (*(STAGE_NAMES[s] for s in STAGES), "stage unknown"):
            if key in by_stage:
                add(summary_row(key, by_stage[key]))
        add("")
        if confusion:
            columns = [*PERSONAS, *(f"{p} (weak)" for p in PERSONAS), "diffusion", "insufficient"]
            add("Intended outcome (rows, `expected` in the file; `none` is diffusion) against the model (columns):")
            add("")
            add("| intended | n | " + " | ".join(columns) + " | same outcome |")
            add("|---|---:|" + "---:|" * len(columns) + "---:|")
            agree_all = total_all = 0
            for expected, counts in confusion.items():
                total = sum(counts.values())
                wanted = "diffusion" if expected == "none" else expected
                agree = counts[wanted] + counts[f"{wanted} (weak)"]
                agree_all += agree
                total_all += total
                cells = [str(counts[c]) for c in columns]
                add(f"| {expected} | {total} | " + " | ".join(cells) + f" | {pct(agree, total)} |")
            add("")
            add(
                f"Same outcome as intended (good or weak fit): {agree_all} of {total_all} "
                f"({pct(agree_all, total_all)})."
            )
            add("")
    else:
        add("Skipped: `benchmarks/pupils.yml` is not there yet (it is being written separately).")
        add("Run `make bench-model` again once it is on main.")
        add("")

    # sensitivity
    add("## Sensitivity: what one answer can do")
    add("")
    add("For every question, over all single-answer combinations: how often another answer to this question alone")
    add("changes the outcome (Joost, Luuk, Tim, diffusion; the option pair with most changes), how far fixing one")
    add("option moves the distribution of outcomes (total variation distance to the stage's overall distribution),")
    add("and how often the outcome *or* the fit (good or weak) changes.")
    add("")
    add(
        "| stage | question | outcome changes | most changing pair | largest shift by one option "
        "| outcome or fit changes |"
    )
    add("|---|---|---:|---|---:|---:|")
    largest_pair = (0.0, "", "")
    largest_shift = (0.0, "", "")
    for stage in STAGES:
        for item in sensitivity(grids[stage]):
            add(
                f"| {STAGE_NAMES[stage]} | {item.question} | {item.flip_any:.1%} | "
                f"{item.flip_pair[0]} ↔ {item.flip_pair[1]}: {item.flip_pair[2]:.1%} | "
                f"{item.shift[0]}: {item.shift[1]:.1%} | {item.flip_fit:.1%} |"
            )
            pair = f"{item.question} {item.flip_pair[0]} ↔ {item.flip_pair[1]}"
            largest_pair = max(largest_pair, (item.flip_pair[2], stage, pair))
            largest_shift = max(largest_shift, (item.shift[1], stage, f"{item.question}={item.shift[0]}"))
    add("")
    add(
        f"Largest: changing one answer changes the outcome in at most **{largest_pair[0]:.1%}** of the combinations "
        f"({largest_pair[2]}, {STAGE_NAMES[largest_pair[1]]}); fixing one answer shifts the outcome distribution "
        f"by at most **{largest_shift[0]:.1%}** ({largest_shift[2]}, {STAGE_NAMES[largest_shift[1]]}). No question "
        f"carries more than {MAX_SHARE:.0%} of a score, so no single answer decides on its own: the largest changes "
        "come from the opposite ends of the most telling questions."
    )
    add("")

    # gaming
    add("## Gaming: can three answers force a persona?")
    add("")
    add("For every three answers (three different questions), the share of all combinations of the other")
    add('answers that gives each persona: as a clear match (good fit: "Jij lijkt het meest op ..."), and as a')
    add(f"good or weak fit. Target: no clear match forced in more than {GAMING_LIMIT:.0%}. A weak fit says the pupil")
    add("resembles him only a bit (or another one almost as much), so it does not force him on the pupil.")
    add("The search runs on a uniform sample of 150,000 combinations per stage; the best candidates are then")
    add("counted exactly on all combinations.")
    add("")
    add("| stage | persona | good fit only | the three answers | good or weak fit | the three answers |")
    add("|---|---|---:|---|---:|---|")
    worst_good = worst_any = 0.0
    worst_any_good = 0.0
    for stage in STAGES:
        good = gaming(grids[stage], good_only=True)
        any_fit = gaming(grids[stage])
        for p, (g, a) in enumerate(zip(good, any_fit, strict=True)):
            worst_good = max(worst_good, g.share)
            if a.share > worst_any:
                worst_any = a.share
                worst_any_good = triple_share(grids[stage], a.answers, [p])
            add(
                f"| {STAGE_NAMES[stage]} | {g.persona} | {g.share:.1%} | "
                f"{', '.join(f'{q}={o}' for q, o in g.answers)} | "
                f"{a.share:.1%} | {', '.join(f'{q}={o}' for q, o in a.answers)} |"
            )
    add("")
    verdict = "met" if worst_good <= GAMING_LIMIT else "NOT met"
    add(
        f"No three answers force a clear match (good fit) with one persona in more than {GAMING_LIMIT:.0%} of the "
        f"rest: **{verdict}** (largest {worst_good:.1%})."
    )
    add(
        f"Counting weak fits too, the largest share is {worst_any:.1%}, of which a good fit {worst_any_good:.1%}: "
        'three answers that all point one way (such as "ook na het kiezen getwijfeld", "ik kijk nog verder" '
        'and "ik blijf twijfelen") do put a pupil nearest to one alumnus, but the rest of the answers decide '
        'whether the bot says "Jij lijkt het meest op" or only "Je lijkt een beetje op".'
    )
    add("")
    fixed = {"profile": "hardest", "future": "big_goal", "what_matters": ["ambition", "challenge"]}
    add('The socially desirable answers of the review ("N&T, want het zwaarst", "Ik wil naar de top",')
    add('"Winnen" + "Uitdaging"), through the public `score()` + `match()`:')
    add("")
    for stage in STAGES:
        share, good, total = fixed_answers_share(questionnaire, stage, fixed, "tim")
        add(
            f"- {STAGE_NAMES[stage]}: Tim in {share:.1%} of {total:,} combinations of the other answers, "
            f"with a good fit in {good:.1%} (the review found 97.7% in the exam year)."
        )
    add("")
    # what pupils say: their "Herken je jezelf?" ratings (bot.workshops.feedback)
    lines.extend(feedback.validation_report(feedback_db, {pid: p.name for pid, p in personas.items()}))
    add(f"_Generated in {time.time() - started:.0f} s._")
    add("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "bench" / "model.md"))
    parser.add_argument("--random", type=int, default=5000, help="pupils per stage in each random population")
    parser.add_argument("--feedback-db", help="tracker store with the pupils' ratings (default: KEUZESPIEGEL_DB_URL)")
    args = parser.parse_args(argv)
    # Settings are read here, once, and only for the database: the rest of the report needs none.
    report = build_report(args.random, feedback_db=args.feedback_db or settings.load().db_url)
    Path(args.out).write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
