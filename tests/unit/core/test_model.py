"""The identity model: persona stories, free-text pupils, stage fairness, diffusion, too few answers,
capped influence, technology as a motive only, "waarom niet hij?", and properties (pure, deterministic)."""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.content import DIMENSIONS, DONT_KNOW, PERSONA_ORDER, get_personas, get_questionnaire
from bot.core.interpret import interpret, read_answer
from bot.core.model import (
    FITS,
    MAX_SHARE,
    Difference,
    Evidence,
    Scores,
    differences,
    distance,
    match,
    score,
    stage_table,
    targets,
)
from scripts.bench_model import code_of, enumerate_grid, quiet_allowed

Q = get_questionnaire()
P = get_personas()
STAGES = list(Q.stages)
MOTIVE_ONLY = ("hobbies_technical", "what_matters")


def _from_text(stage_text: str, texts: dict[str, str]) -> dict[str, Any]:
    """Run a pupil's free-text answers through interpret, like the form does."""
    stage = interpret(Q.question("stage"), stage_text)
    assert stage is not None, stage_text
    answers: dict[str, Any] = {"stage": stage[0]}
    for qid, text in texts.items():
        question = Q.question(qid)
        understood = interpret(question, text)
        assert understood is not None, f"{qid}: {text!r} not understood"
        answers[qid] = understood if question.multi else understood[0]
    return answers


def _quiet(stage: str) -> dict[str, Any]:
    """A pupil who has not looked around and not chosen (yet)."""
    return {
        "stage": stage,
        "hobbies_breadth": "few",
        "hobbies_technical": "not_really",
        "profile": "other",
        "extra_subjects": "none",
        "open_days": "few",
        "open_days_kind": "none_yet",
        "studies_considered": "none_yet",
        "doubt": "not_chosen",
        "first_year_doubt": "sometimes",
        "what_matters": ["social"],
        "direction_fit": "none",
        "future": "not_yet",
    }


# ------------------------------------------------------------------ the persona stories


@pytest.mark.parametrize("pid", ["joost", "luuk", "tim"])
@pytest.mark.parametrize("stage", ["klas3", "bovenbouw", "examen", "student"])
def test_each_story_gives_its_persona_with_a_good_fit_in_every_stage(pid: str, stage: str) -> None:
    result = match(score({**P[pid].demo_answers, "stage": stage}))
    assert (result.outcome, result.fit) == (pid, "good")
    assert not result.nearest
    assert result.margin > 0.15
    assert 2 <= len(result.deciding) <= 4


def test_story_scores_follow_the_seed() -> None:
    joost, luuk, tim = (score(P[pid].demo_answers) for pid in ("joost", "luuk", "tim"))
    # Joost: hardly looked around, very sure, rarely weighs his choice again.
    assert joost.exploration < 0.25 and joost.commitment > 0.85 and joost.reconsideration < 0.25
    # Luuk and Tim both explored widely.
    assert luuk.exploration > 0.7 and tim.exploration > 0.7
    # Tim is strongly committed now; Luuk keeps reconsidering.
    assert tim.commitment > luuk.commitment + 0.2
    assert luuk.reconsideration > tim.reconsideration + 0.3
    # Motives: Luuk challenge, people and variety; Tim ambition and challenge; Joost technology itself.
    assert tim.motives["ambition"] > luuk.motives["ambition"]
    assert luuk.motives["social"] > tim.motives["social"] and luuk.motives["variety"] > tim.motives["variety"]
    assert joost.motives["technology"] > max(luuk.motives["technology"], tim.motives["technology"])


def test_both_luuk_and_tim_doubted_while_choosing() -> None:
    for pid in ("luuk", "tim"):
        answers = P[pid].demo_answers
        assert answers["doubt"] in ("before", "after")
        assert answers["first_year_doubt"] == "sometimes"
    assert P["joost"].demo_answers["doubt"] == "never"


def test_persona_positions_lie_near_their_stories() -> None:
    for pid, persona in P.items():
        assert distance(score(persona.demo_answers), persona) < 0.12, pid


# ------------------------------------------------------------------ free-text pupils

JOOST_PUPILS: list[tuple[str, dict[str, str]]] = [
    (
        "4 havo",
        {
            "hobbies_breadth": "altijd voetbal, al jaren",
            "hobbies_technical": "ja lego en knutselen",
            "profile": "alleen nt natuurlijk",
            "open_days": "2",
            "doubt": "nooit getwijfeld",
            "future": "ik wil engineer worden",
        },
    ),
    (
        "5vwo",
        {
            "hobbies_breadth": "steeds hetzelfde",
            "hobbies_technical": "vooral technisch",
            "profile": "N&T, wist ik al lang",
            "extra_subjects": "nee",
            "open_days": "een",
            "open_days_kind": "alleen tu delft",
            "studies_considered": "alleen werktuigbouwkunde",
            "doubt": "nee nooit",
            "what_matters": "techniek",
            "future": "weet ik precies",
        },
    ),
    (
        "examenjaar",
        {
            "hobbies_breadth": "jaren lang hetzelfde gedaan",
            "hobbies_technical": "programmeren",
            "profile": "sowieso nt",
            "open_days": "twee",
            "open_days_kind": "alleen technische",
            "doubt": "twijfel nooit",
            "future": "in de techniek",
        },
    ),
    (
        "klas 3",
        {
            "hobbies_breadth": "dezelfde",
            "hobbies_technical": "technies, robots bouwen",
            "profile": "alleen nt",
            "studies_considered": "een technische",
            "doubt": "nee",
            "what_matters": "hoe dingen werken",
            "future": "ja zeker",
        },
    ),
    (
        "eerstejaars",
        {
            "hobbies_breadth": "1 hobby, altijd gedaan",
            "hobbies_technical": "elektronica",
            "profile": "nt natuurlijk",
            "extra_subjects": "geen extra",
            "open_days": "1",
            "open_days_kind": "techniek",
            "studies_considered": "maar een",
            "doubt": "geen twijfel",
            "first_year_doubt": "nee klopte meteen",
            "future": "technicus",
        },
    ),
    (
        "6 vwo",
        {
            "hobbies_breadth": "altijd dezelfde sport",
            "hobbies_technical": "ja heel erg",
            "profile": "meteen NT",
            "open_days": "weinig",
            "studies_considered": "die ene, stond vast",
            "doubt": "nooit getwijfelt",
            "what_matters": "techniek zelf",
            "future": "al heel lang",
        },
    ),
    (
        "havo 4",
        {
            "hobbies_breadth": "steeds hetzelfde",
            "hobbies_technical": "sleutelen en solderen",
            "profile": "gewoon nt",
            "extra_subjects": "nope",
            "open_days": "nul",
            "open_days_kind": "alleen technisch",
            "doubt": "wist het meteen",
            "future": "precies",
        },
    ),
    (
        "ik studeer al",
        {
            "hobbies_breadth": "jarenlang",
            "hobbies_technical": "uit elkaar halen",
            "profile": "alleen nt",
            "open_days": "een paar",
            "studies_considered": "alleen elektrotechniek",
            "doubt": "altijd zeker",
            "first_year_doubt": "nope",
            "what_matters": "techniek",
            "future": "blijf in de techniek",
        },
    ),
]

LUUK_PUPILS: list[tuple[str, dict[str, str]]] = [
    (
        "eerstejaars",
        {
            "hobbies_breadth": "heeel veel geprobeerd",
            "hobbies_technical": "soms",
            "profile": "lang getwijfeld tussen nt en em",
            "extra_subjects": "ik vind veel leuk",
            "open_days": "8",
            "open_days_kind": "ook economie",
            "studies_considered": "techniek of economie",
            "doubt": "twijfel nog steeds",
            "first_year_doubt": "ja soms",
            "what_matters": "gezelligheid en afwisseling",
            "future": "blijf twijfelen",
        },
    ),
    (
        "5 havo",
        {
            "hobbies_breadth": "van alles",
            "hobbies_technical": "af en toe",
            "profile": "meerdere profielen vergeleken",
            "open_days": "zeven",
            "open_days_kind": "ook finance en bedrijfskunde",
            "doubt": "nog steeds haha",
            "what_matters": "leuke mensen",
            "future": "weet ik nog niet",
        },
    ),
    (
        "4 vwo",
        {
            "hobbies_breadth": "elk jaar iets anders",
            "extra_subjects": "filosofie, interessant",
            "open_days": "heel veel",
            "studies_considered": "econometrie of werktuigbouwkunde",
            "doubt": "ook na het kiezen",
            "what_matters": "afwisseling, vrienden",
            "future": "nog zoekend",
        },
    ),
    (
        "klas 3",
        {
            "hobbies_breadth": "veel verschillende sporten",
            "hobbies_technical": "een beetje",
            "profile": "twijfel tussen nt en ng",
            "extra_subjects": "alles leuk",
            "doubt": "heel vaak",
            "what_matters": "samenwerken en afwisseling",
            "future": "verandert steeds",
        },
    ),
    (
        "1e jaar tu",
        {
            "hobbies_breadth": "alles geprobeerd",
            "profile": "NT/EM",
            "open_days": "tig",
            "open_days_kind": "allerlei",
            "studies_considered": "iets heel anders ook",
            "doubt": "bleef twijfelen",
            "first_year_doubt": "wilde switchen",
            "what_matters": "de sfeer en mensen",
            "future": "hangt ervan af",
        },
    ),
    (
        "6vwo",
        {
            "hobbies_breadth": "vaak gewisseld",
            "hobbies_technical": "soms wel",
            "extra_subjects": "brede interesse",
            "open_days": "9",
            "open_days_kind": "ook rechten",
            "studies_considered": "techniek of bedrijfskunde",
            "doubt": "twijfel constant",
            "future": "misschien techniek misschien niet",
        },
    ),
    (
        "vwo 5",
        {
            "hobbies_breadth": "steeds iets anders",
            "profile": "dubbelprofiel",
            "extra_subjects": "omdat ik het leuk vind",
            "open_days": "superveel",
            "doubt": "twijfel nog",
            "what_matters": "gezellig, afwisselend",
            "future": "nog aan het zoeken",
        },
    ),
    (
        "ik studeer",
        {
            "hobbies_breadth": "tig sporten",
            "hobbies_technical": "deels",
            "profile": "vergeleken",
            "open_days": "6",
            "open_days_kind": "ook economie",
            "doubt": "regelmatig, ook achteraf",
            "first_year_doubt": "soms",
            "what_matters": "mensen, uitdaging en afwisseling",
            "future": "in of uit de techniek, weet het nog niet",
        },
    ),
]

TIM_PUPILS: list[tuple[str, dict[str, str]]] = [
    (
        "6 vwo",
        {
            "hobbies_technical": "niet echt",
            "profile": "nt want het zwaarst",
            "extra_subjects": "wiskunde d, anders te makkelijk",
            "open_days": "4",
            "studies_considered": "werktuigbouwkunde of technische natuurkunde",
            "doubt": "eerst wel, nu zeker",
            "what_matters": "uitdaging en winnen",
            "future": "naar de top",
        },
    ),
    (
        "eerstejaars",
        {
            "hobbies_breadth": "een paar",
            "hobbies_technical": "geen techniek",
            "profile": "moeilijkste profiel",
            "extra_subjects": "voor de uitdaging",
            "open_days": "vijf",
            "doubt": "voor ik koos wel",
            "first_year_doubt": "nee",
            "what_matters": "competitief, de beste zijn",
            "future": "consultancy",
        },
    ),
    (
        "5 havo",
        {
            "hobbies_technical": "nauwelijks",
            "profile": "nt omdat het moeilijk is",
            "extra_subjects": "saai anders",
            "studies_considered": "meerdere technische",
            "doubt": "lang afgewogen, daarna zeker",
            "what_matters": "complexe problemen en winnen",
            "future": "grote ambitie, misschien mba",
        },
    ),
    (
        "4 vwo",
        {
            "hobbies_technical": "niet technisch",
            "profile": "het zwaarste natuurlijk",
            "extra_subjects": "uitdaging",
            "open_days": "drie",
            "doubt": "eventjes",
            "what_matters": "ambitie",
            "future": "ik wil de top",
        },
    ),
    (
        "klas 3",
        {
            "hobbies_breadth": "paar verschillende",
            "hobbies_technical": "weinig",
            "profile": "nt, meest uitdagend",
            "extra_subjects": "nw erbij want moeilijker",
            "doubt": "een beetje",
            "what_matters": "uitdgaing en presteren",
            "future": "eigen bedrijf",
        },
    ),
    (
        "examenjaar",
        {
            "hobbies_technical": "helemaal niet",
            "profile": "zwaarste profiel",
            "extra_subjects": "om mezelf te testen",
            "open_days": "4 ofzo",
            "studies_considered": "paar technische",
            "doubt": "toen ik koos niet meer",
            "what_matters": "hoge cijfers halen, uitdaging",
            "future": "zo hoog mogelijk",
        },
    ),
    (
        "ik studeer al",
        {
            "hobbies_technical": "totaal niet",
            "profile": "pittigste profiel",
            "extra_subjects": "te makkelijk anders",
            "open_days": "5",
            "doubt": "even, voor het kiezen",
            "first_year_doubt": "klopte gewoon",
            "what_matters": "cum laude, het maximale",
            "future": "consultant worden",
        },
    ),
    (
        "havo 5",
        {
            "hobbies_breadth": "een aantal",
            "hobbies_technical": "nee niet echt",
            "profile": "NT want moeilijk",
            "extra_subjects": "meer uitdaging",
            "open_days": "3",
            "studies_considered": "verschillende technische",
            "doubt": "eerst getwijfeld",
            "what_matters": "winnen",
            "future": "succesvol worden, naar de top",
        },
    ),
]


@pytest.mark.parametrize(
    ("pid", "stage_text", "texts"),
    [("joost", s, t) for s, t in JOOST_PUPILS]
    + [("luuk", s, t) for s, t in LUUK_PUPILS]
    + [("tim", s, t) for s, t in TIM_PUPILS],
)
def test_free_text_pupils_match_their_persona(pid: str, stage_text: str, texts: dict[str, str]) -> None:
    result = match(score(_from_text(stage_text, texts)))
    assert result.outcome == pid, (result.fit, result.distances)


# ------------------------------------------------------------------ dimensions and caps


@pytest.mark.parametrize("stage", STAGES)
def test_every_dimension_is_measured_by_at_least_two_questions(stage: str) -> None:
    table = stage_table(Q, stage)
    for i, name in enumerate(DIMENSIONS):
        measuring = [q.id for q, caps in zip(table.questions, table.caps, strict=True) if caps[i] > 0]
        assert len(measuring) >= 2, (stage, name, measuring)


@pytest.mark.parametrize("stage", STAGES)
def test_no_question_carries_more_than_its_share(stage: str) -> None:
    table = stage_table(Q, stage)
    for i, name in enumerate(DIMENSIONS):
        for question, caps in zip(table.questions, table.caps, strict=True):
            assert caps[i] <= MAX_SHARE * table.total[i] + 1e-9, (stage, name, question.id)


def test_a_question_over_its_share_is_scaled_down(tmp_path: Any) -> None:
    """A heavy question is scaled down to MAX_SHARE; the order of its options stays."""
    table = stage_table(Q, "examen")
    scaled = [
        (q.id, name)
        for q, raw, caps in zip(table.questions, table.raw_caps, table.caps, strict=True)
        for i, name in enumerate(DIMENSIONS)
        if caps[i] < raw[i] - 1e-12
    ]
    for qid, name in scaled:
        question = Q.question(qid)
        values = [score({"stage": "examen", qid: o}).dimension(name) for o in question.option_ids]
        raw = [o.evidence_for("examen").get(name, 0.0) for o in question.options]
        assert sorted(range(len(raw)), key=lambda k: raw[k]) == sorted(range(len(values)), key=lambda k: values[k])


@settings(max_examples=60, deadline=None)
@given(
    stage=st.sampled_from(STAGES),
    technical=st.sampled_from(Q.question("hobbies_technical").option_ids),
    matters=st.lists(st.sampled_from(Q.question("what_matters").option_ids), max_size=5, unique=True),
    seed=st.integers(0, 10_000),
)
def test_technology_is_a_motive_never_commitment_or_exploration(
    stage: str, technical: str, matters: list[str], seed: int
) -> None:
    """Liking technology (technical hobbies, "techniek zelf") never moves the three dimensions."""
    rng = random.Random(seed)
    answers: dict[str, Any] = {"stage": stage}
    for question in stage_table(Q, stage).questions:
        answers[question.id] = rng.choice(question.option_ids)
    base = score({**answers, "hobbies_technical": "not_really", "what_matters": ["social"]})
    other = score({**answers, "hobbies_technical": technical, "what_matters": matters})
    for name in DIMENSIONS:
        assert base.dimension(name) == other.dimension(name)


def test_no_option_mixes_technology_with_commitment() -> None:
    for question in Q.questions:
        for option in question.options:
            if option.motives.get("technology", 0.0) > 0:
                for stage in STAGES:
                    assert option.evidence_for(stage).get("commitment", 0.0) <= 0.6, (question.id, option.id)
    for qid in MOTIVE_ONLY:
        for option in Q.question(qid).options:
            assert not option.evidence, (qid, option.id)


# ------------------------------------------------------------------ fair per stage


def test_no_open_days_yet_is_normal_in_klas3_not_low_exploration() -> None:
    not_yet = {"open_days": "few", "open_days_kind": "none_yet", "studies_considered": "none_yet"}
    klas3 = score({"stage": "klas3", **not_yet})
    exam = score({"stage": "examen", **not_yet})
    assert klas3.exploration == 0.5
    assert exam.exploration < 0.45
    # ... but it still says "not chosen yet" in every stage
    assert klas3.commitment < 0.5 and exam.commitment < 0.5


def test_a_klas3_explorer_without_open_days_is_an_explorer() -> None:
    answers = {
        "stage": "klas3",
        "hobbies_breadth": "many",
        "hobbies_technical": "sometimes",
        "profile": "compared",
        "extra_subjects": "broad",
        "open_days": "few",
        "open_days_kind": "none_yet",
        "studies_considered": "none_yet",
        "doubt": "after",
        "what_matters": ["variety", "social"],
        "direction_fit": "looking",
        "future": "keep_reconsidering",
    }
    scores = score(answers)
    assert scores.exploration > 0.6
    assert match(scores).outcome == "luuk"


def test_explanations_use_the_pupils_tense() -> None:
    klas3 = score({"stage": "klas3", "profile": "compared"}).evidence[0].explain
    student = score({"stage": "student", "profile": "compared"}).evidence[0].explain
    assert "vergelijkt" in klas3 and "vergeleek" in student


# ------------------------------------------------------------------ diffusion and too few answers


@pytest.mark.parametrize("stage", STAGES)
def test_not_explored_not_committed_is_diffusion_in_every_stage(stage: str) -> None:
    result = match(score(_quiet(stage)))
    assert result.fit == "diffusion" and result.outcome == "diffusion"
    assert result.nearest and result.persona_id in P  # the nearest alumnus, offered to explore
    assert result.deciding and all(e.kind == "dimension" and e.value < 0 for e in result.deciding)


@pytest.mark.parametrize("stage", STAGES)
def test_quiet_answer_sets_give_diffusion_at_least_90_percent(stage: str) -> None:
    where = targets(P)
    grid = enumerate_grid(Q, stage, where, quiet_allowed(stage_table(Q, stage)))
    share = grid.outcomes.count(code_of("diffusion", 0)) / grid.n
    assert grid.n >= 30 and share >= 0.9


@pytest.mark.parametrize("stage", STAGES)
def test_weet_ik_niet_everywhere_is_insufficient_not_a_persona(stage: str) -> None:
    answers = {"stage": stage, **{q.id: DONT_KNOW for q in stage_table(Q, stage).questions}}
    result = match(score(answers))
    assert result.fit == "insufficient" and result.outcome == "insufficient"
    assert result.deciding == []


def test_too_few_real_answers_is_insufficient() -> None:
    story = dict(P["tim"].demo_answers)
    questions = [q.id for q in stage_table(Q, "student").questions]
    half = len(questions) // 2
    few = {"stage": "student", **{qid: story[qid] for qid in questions[: half - 1]}}
    assert match(score(few)).fit == "insufficient"
    enough = {"stage": "student", **{qid: story[qid] for qid in questions}}
    assert match(score(enough)).fit == "good"


@pytest.mark.parametrize("stage", STAGES)
def test_every_outcome_is_reachable_in_every_stage(stage: str) -> None:
    """A seeded sample of 2,000 answer sets meets every outcome (each shows up within the first 700 draws).

    `make bench-model` counts all 11.2 million single-answer sets and commits the shares (docs/bench/model.md);
    test_the_benchmark_enumeration_agrees_with_score_and_match keeps that count honest.
    """
    rng = random.Random(3)
    questions = stage_table(Q, stage).questions
    seen = set()
    for _ in range(2000):
        answers: dict[str, Any] = {"stage": stage}
        for question in questions:
            option = rng.choice(question.option_ids)
            answers[question.id] = [option] if question.multi else option
        result = match(score(answers, stage=stage))
        seen.add((result.outcome, result.fit))
    for fit in ("good", "weak"):
        for persona in PERSONA_ORDER:
            assert (persona, fit) in seen, (stage, persona, fit)
    assert ("diffusion", "diffusion") in seen


# ------------------------------------------------------------------ gaming and single answers


@pytest.mark.parametrize("stage", STAGES)
def test_socially_desirable_answers_do_not_force_a_confident_tim(stage: str) -> None:
    fixed = {"profile": "hardest", "future": "big_goal", "what_matters": ["ambition", "challenge"]}
    rng = random.Random(10)
    rest = [q for q in stage_table(Q, stage).questions if q.id not in fixed]
    good = 0
    draws = 400
    for _ in range(draws):
        answers = {"stage": stage, **fixed, **{q.id: rng.choice(q.option_ids) for q in rest}}
        result = match(score(answers))
        good += (result.outcome, result.fit) == ("tim", "good")
    assert good / draws <= 0.6


def test_one_answer_never_moves_a_dimension_by_more_than_its_cap() -> None:
    for stage in STAGES:
        table = stage_table(Q, stage)
        for question, caps in zip(table.questions, table.caps, strict=True):
            for option in question.option_ids:
                alone = score({"stage": stage, question.id: option})
                for i, name in enumerate(DIMENSIONS):
                    if table.total[i] > 0:
                        assert abs(alone.dimension(name) - 0.5) <= 0.5 * caps[i] / table.total[i] + 1e-9


# ------------------------------------------------------------------ "waarom niet hij?"


def test_differences_name_answers_that_bring_the_pupil_nearer() -> None:
    joost_like = score(P["joost"].demo_answers)
    found = differences(joost_like, "luuk")
    assert 2 <= len(found) <= 3
    assert len({d.question_id for d in found}) == len(found)
    assert all(isinstance(d, Difference) and d.gain > 0 and d.option_id not in d.current for d in found)
    assert found == sorted(found, key=lambda d: -d.gain)
    for item in found:
        changed = {**P["joost"].demo_answers, item.question_id: item.option_id}
        assert distance(score(changed), P["luuk"]) < distance(joost_like, P["luuk"])
        assert item.explain and item.label
    # the same from the answers themselves
    assert [d.question_id for d in differences(P["joost"].demo_answers, "luuk")] == [d.question_id for d in found]


def test_differences_reach_flag_is_honest() -> None:
    answers = {**P["tim"].demo_answers, "stage": "examen", "doubt": "after", "direction_fit": "looking"}
    for item in differences(answers, "luuk"):
        changed = {**answers, item.question_id: item.option_id}
        assert item.reaches == (match(score(changed)).outcome == "luuk")


def test_differences_for_the_own_persona_are_small() -> None:
    own = differences(P["luuk"].demo_answers, "luuk")
    assert all(d.gain < 0.05 for d in own)


# ------------------------------------------------------------------ properties

_QUESTIONS = [q for q in Q.questions if q.id != "stage"]


@st.composite
def answer_sets(draw: st.DrawFn) -> dict[str, Any]:
    stage = draw(st.sampled_from(STAGES))
    answers: dict[str, Any] = {"stage": stage}
    for question in _QUESTIONS:
        choice = draw(st.sampled_from([None, "dont_know", "unknown_id", *question.option_ids]))
        if choice is None:
            continue
        if question.multi and choice in question.option_ids:
            answers[question.id] = draw(st.lists(st.sampled_from(question.option_ids), max_size=5, unique=True))
        else:
            answers[question.id] = choice
    return answers


@settings(max_examples=150, deadline=None)
@given(answers=answer_sets())
def test_scores_are_bounded_and_matching_is_total(answers: dict[str, Any]) -> None:
    scores = score(answers)
    for name in DIMENSIONS:
        assert 0.0 <= scores.dimension(name) <= 1.0
    assert all(0.0 <= v <= 1.0 for v in scores.motives.values())
    result = match(scores)
    assert result.persona_id in P and result.fit in FITS
    assert result.outcome == (result.fit if result.nearest else result.persona_id)
    assert 0.0 <= result.confidence <= 1.0 and result.margin >= 0.0
    assert result.distances[result.persona_id] == min(result.distances.values())
    if scores.answered < scores.questions / 2:
        assert result.fit == "insufficient"


@settings(max_examples=100, deadline=None)
@given(answers=answer_sets(), seed=st.randoms(use_true_random=False))
def test_answer_order_does_not_matter(answers: dict[str, Any], seed: Any) -> None:
    items = list(answers.items())
    seed.shuffle(items)
    shuffled = dict(items)
    for key, value in shuffled.items():
        if isinstance(value, list):
            shuffled[key] = list(reversed(value))
    first, second = score(answers), score(shuffled)
    assert first.as_dict() == second.as_dict()
    assert match(first) == match(second)


def _exploring_additions() -> list[tuple[str, str]]:
    return [
        (q.id, o.id)
        for q in _QUESTIONS
        for o in q.options
        if all(o.evidence_for(s).get("exploration", 0.0) > 0 for s in STAGES)
    ]


@settings(max_examples=150, deadline=None)
@given(answers=answer_sets(), addition=st.sampled_from(_exploring_additions()))
def test_adding_an_exploring_answer_never_lowers_exploration(
    answers: dict[str, Any], addition: tuple[str, str]
) -> None:
    qid, oid = addition
    question = Q.question(qid)
    before = score(answers)
    current = answers.get(qid)
    if question.multi:
        existing = [x for x in current if x in question.option_ids] if isinstance(current, list) else []
        if oid in existing:
            return
        updated = {**answers, qid: [*existing, oid]}
    else:
        if current in question.option_ids:
            return  # replacing an answer is a different change; only additions are monotone
        updated = {**answers, qid: oid}
    after = score(updated)
    assert after.exploration >= before.exploration - 1e-12
    if question.asked_in(before.stage):
        assert after.exploration > before.exploration or before.exploration == 1.0


@settings(max_examples=100, deadline=None)
@given(
    garbage=st.dictionaries(
        st.text(max_size=12),
        st.one_of(st.none(), st.integers(), st.text(max_size=12), st.lists(st.text(max_size=8), max_size=3)),
        max_size=8,
    )
)
def test_garbage_never_crashes_and_adds_nothing(garbage: dict[str, Any]) -> None:
    scores = score(garbage)
    assert 0.0 <= scores.exploration <= 1.0
    assert match(scores).fit in FITS


def test_dont_know_and_unknown_ids_add_nothing() -> None:
    empty = score({"stage": "examen"})
    assert (empty.exploration, empty.commitment, empty.reconsideration) == (0.5, 0.5, 0.5)
    assert empty.evidence == [] and empty.answered == 0
    unsure = score({"stage": "examen", **{q.id: "dont_know" for q in _QUESTIONS}, "profile": "xyz"})
    assert unsure.as_dict() == empty.as_dict()
    assert score({"stage": "examen", "what_matters": ["dont_know", "bogus"]}).as_dict() == empty.as_dict()
    assert score({}).stage is None
    assert score("not a mapping").answered == 0  # type: ignore[arg-type]


def test_multi_question_cannot_exceed_its_maximum() -> None:
    everything = score({"stage": "examen", "what_matters": list(Q.question("what_matters").option_ids)})
    one = score({"stage": "examen", "what_matters": ["variety"]})
    assert everything.motives["variety"] == one.motives["variety"]
    assert score({"stage": "examen", "what_matters": "challenge,social"}).motives["social"] > 0


def test_normalisation_is_fixed_per_stage() -> None:
    """One answer moves the score by the same amount whatever else is answered."""
    base = {"stage": "examen", "doubt": "never"}
    alone = score({"stage": "examen", "open_days": "many"}).exploration - 0.5
    with_other = score({**base, "open_days": "many"}).exploration - score(base).exploration
    assert alone == pytest.approx(with_other)
    assert 0.5 < score({"stage": "examen", "open_days": "many"}).exploration < 0.6


def test_questions_of_other_stages_are_ignored() -> None:
    a = score({"stage": "examen", "first_year_doubt": "switched"})
    assert a.answered == 0 and a.reconsideration == 0.5


def test_evidence_items_carry_explanations() -> None:
    scores = score(P["luuk"].demo_answers)
    items = [e for e in scores.evidence if e.question_id == "hobbies_breadth"]
    assert {e.dimension for e in items} == {"exploration", "variety"}
    assert all(e.explain.startswith("je ") for e in items)
    assert items[0].as_dict()["text"] == items[0].explain
    assert {e.kind for e in scores.evidence} == {"dimension", "motive"}


def test_the_benchmark_enumeration_agrees_with_score_and_match() -> None:
    where = targets(P)
    rng = random.Random(4)
    for stage in STAGES:
        table = stage_table(Q, stage)
        allowed = {
            j: sorted(rng.sample(range(len(q.options)), min(2, len(q.options)))) for j, q in enumerate(table.questions)
        }
        grid = enumerate_grid(Q, stage, where, allowed)
        for index in range(0, grid.n, max(1, grid.n // 200)):
            result = match(score({"stage": stage, **grid.answers(index)}))
            assert code_of(result.fit, where.ids.index(result.persona_id)) == grid.outcomes[index]


# ------------------------------------------------------------------ matching details


def test_weak_fit_when_in_between() -> None:
    middle = Scores(
        0.6,
        0.6,
        0.6,
        {m: 0.5 for m in P["joost"].motives},
        answered=10,
        questions=11,
        coverage={"exploration": 1.0, "commitment": 1.0, "reconsideration": 1.0},
    )
    assert match(middle).fit == "weak"


def test_ties_break_in_fixed_order() -> None:
    twins = {pid: replace(P["tim"], id=pid) for pid in ("tim", "luuk", "joost")}
    scores = score(P["tim"].demo_answers)
    result = match(scores, twins)
    assert result.persona_id == "joost"
    assert result.runner_up == "luuk"
    assert result.margin == 0.0 and result.fit == "weak" and result.confidence == 0.0
    assert match(scores, {"luuk": twins["luuk"], "tim": twins["tim"]}).persona_id == "luuk"


def test_matching_is_deterministic() -> None:
    scores = score(P["luuk"].demo_answers)
    first = match(scores)
    for _ in range(5):
        assert match(scores) == first


def test_deciding_evidence_pulls_towards_the_winner() -> None:
    result = match(score(P["tim"].demo_answers))
    assert result.runner_up == "luuk"
    tim, luuk = P["tim"], P["luuk"]
    for item in result.deciding:
        assert isinstance(item, Evidence)
        if item.kind == "dimension":
            gap = tim.position[item.dimension] - luuk.position[item.dimension]
        else:
            gap = tim.motives[item.dimension] - luuk.motives[item.dimension]
        assert item.value * gap > 0
    assert len({item.question_id for item in result.deciding}) == len(result.deciding)


# ------------------------------------------------------------------ free text into the model (issue 10, item 5)


@pytest.mark.parametrize("text", ["N&T", "NT", "nt", "natuur en techniek", "N&T hoor", "N&T, en ik twijfel nooit"])
def test_nt_alone_is_ambiguous_and_gets_a_follow_up(text: str) -> None:
    for stage in STAGES:
        reading = read_answer(Q.question("profile"), text, stage=stage)
        assert reading.options == [] and not reading.understood
        assert reading.ambiguous == ["only_nt", "hardest", "compared"]
        assert reading.follow_up == Q.question("profile").ambiguous[0].ask_for(stage)
    assert interpret(Q.question("profile"), text) is None  # the old API no longer guesses the strongest option


def test_nt_with_a_reason_is_not_ambiguous() -> None:
    profile = Q.question("profile")
    assert read_answer(profile, "alleen nt, altijd al").options == ["only_nt"]
    assert read_answer(profile, "N&T want dat is het zwaarst").options == ["hardest"]
    assert read_answer(profile, "profile.only_nt").options == ["only_nt"]  # a button is never ambiguous


@pytest.mark.parametrize("text", ["nee", "nope", "weet ik nog niet", "weet het nog niet", "nee nog niet"])
def test_no_to_the_future_question_means_not_yet(text: str) -> None:
    reading = read_answer(Q.question("future"), text)
    assert reading.options == ["not_yet"] and reading.certainty == 1.0
    assert interpret(Q.question("future"), text) == ["not_yet"]


@pytest.mark.parametrize(
    "text",
    ["ingenieur denk ik maar weet het niet zeker", "ingenieur denk ik", "misschien ingenieur", "ingenieur volgens mij"],
)
def test_hedges_lower_certainty_instead_of_being_dropped(text: str) -> None:
    future = Q.question("future")
    assert read_answer(future, "ingenieur").options == ["know_exactly"]
    reading = read_answer(future, text)
    assert reading.options == ["probably"] and reading.hedged
    assert reading.certainty < 1.0
    assert interpret(future, text) == ["probably"]
    before, after = (
        score({"stage": "examen", "future": "know_exactly"}),
        score({"stage": "examen", "future": "probably"}),
    )
    assert after.commitment < before.commitment


def test_a_hedge_that_is_the_answer_itself_is_not_a_hedge() -> None:
    reading = read_answer(Q.question("future"), "ik denk het wel")
    assert reading.options == ["probably"] and reading.certainty == 1.0 and not reading.hedged


def test_a_hedged_option_without_weaker_form_keeps_its_option_with_lower_certainty() -> None:
    reading = read_answer(Q.question("hobbies_breadth"), "van alles denk ik")
    assert reading.options == ["many"] and reading.certainty < 1.0 and not reading.hedged


def test_dont_know_and_nonsense_readings() -> None:
    assert read_answer(Q.question("doubt"), "geen idee").options == [DONT_KNOW]
    nonsense = read_answer(Q.question("doubt"), "banaan")
    assert nonsense.options == [] and nonsense.ambiguous is None and nonsense.certainty == 0.0
