"""Scoring and matching: demo answers, free-text pupils, properties, diffusion and ties."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.content import DIMENSIONS, get_personas, get_questionnaire
from bot.core.interpret import interpret
from bot.core.model import Evidence, Scores, match, score

Q = get_questionnaire()
P = get_personas()
STAGES = list(Q.stages)


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


# ------------------------------------------------------------------ demo answers


@pytest.mark.parametrize("pid", ["joost", "luuk", "tim"])
def test_demo_answers_match_their_persona(pid: str) -> None:
    result = match(score(P[pid].demo_answers))
    assert result.persona_id == pid
    assert result.fit == "good"
    assert result.margin > 0.15
    assert 0.4 < result.confidence <= 1.0
    assert 2 <= len(result.deciding) <= 4


@pytest.mark.parametrize("pid", ["joost", "luuk", "tim"])
@pytest.mark.parametrize("stage", ["klas3", "bovenbouw", "examen"])
def test_demo_answers_match_in_every_stage(pid: str, stage: str) -> None:
    answers = {**P[pid].demo_answers, "stage": stage}
    result = match(score(answers))
    assert (result.persona_id, result.fit) == (pid, "good")


def test_demo_scores_have_the_expected_shape() -> None:
    joost = score(P["joost"].demo_answers)
    luuk = score(P["luuk"].demo_answers)
    tim = score(P["tim"].demo_answers)
    assert joost.exploration < 0.2 and joost.commitment > 0.9 and joost.reconsideration < 0.2
    assert luuk.exploration > 0.8 and 0.3 < luuk.commitment < 0.6 and luuk.reconsideration > 0.8
    assert tim.exploration > 0.7 and tim.commitment > 0.7 and tim.reconsideration < 0.5
    assert tim.motives["ambition"] > luuk.motives["ambition"]
    assert luuk.motives["social"] > tim.motives["social"]


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
    assert result.persona_id == pid, result.distances
    assert result.fit != "diffusion"


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
            answers[question.id] = draw(
                st.lists(st.sampled_from(question.option_ids), max_size=5, unique=True)
            )
        else:
            answers[question.id] = choice
    return answers


@settings(max_examples=300, deadline=None)
@given(answers=answer_sets())
def test_scores_are_bounded_and_matching_is_total(answers: dict[str, Any]) -> None:
    scores = score(answers)
    for name in DIMENSIONS:
        assert 0.0 <= scores.dimension(name) <= 1.0
    assert all(0.0 <= v <= 1.0 for v in scores.motives.values())
    result = match(scores)
    assert result.persona_id in P
    assert result.fit in {"good", "weak", "diffusion"}
    assert 0.0 <= result.confidence <= 1.0
    assert result.margin >= 0.0
    assert result.distances[result.persona_id] == min(result.distances.values())


@settings(max_examples=200, deadline=None)
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
    assert match(first).persona_id == match(second).persona_id


def _exploring_additions() -> list[tuple[str, str]]:
    return [(q.id, o.id) for q in _QUESTIONS for o in q.options if o.evidence.get("exploration", 0.0) > 0]


@settings(max_examples=300, deadline=None)
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
        assert after.exploration > before.exploration or before.exploration == 1.0 or question.multi


@settings(max_examples=200, deadline=None)
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
    match(scores)


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
    assert everything.exploration <= one.exploration
    assert score({"stage": "examen", "what_matters": "challenge,social"}).motives["social"] > 0


def test_normalisation_is_fixed_per_stage() -> None:
    """One answer moves the score by the same amount whatever else is answered."""
    base = {"stage": "examen", "doubt": "never"}
    alone = score({"stage": "examen", "open_days": "many"}).exploration - 0.5
    with_other = score({**base, "open_days": "many"}).exploration - score(base).exploration
    assert alone == pytest.approx(with_other)
    assert 0.5 < score({"stage": "examen", "open_days": "many"}).exploration < 0.7


def test_questions_of_other_stages_are_ignored() -> None:
    a = score({"stage": "examen", "first_year_doubt": "switched"})
    assert a.answered == 0 and a.reconsideration == 0.5


def test_evidence_items_carry_explanations() -> None:
    scores = score(P["luuk"].demo_answers)
    items = [e for e in scores.evidence if e.question_id == "hobbies_breadth"]
    assert {e.dimension for e in items} == {"exploration", "reconsideration", "variety"}
    assert all(e.explain.startswith("je ") for e in items)
    assert items[0].as_dict()["text"] == items[0].explain
    assert {e.kind for e in scores.evidence} == {"dimension", "motive"}


# ------------------------------------------------------------------ matching details


def test_diffusion_when_neither_exploring_nor_committed() -> None:
    answers = {
        "stage": "klas3",
        "hobbies_breadth": "few",
        "hobbies_technical": "not_really",
        "extra_subjects": "none",
        "open_days": "few",
        "open_days_kind": "none_yet",
        "studies_considered": "none_yet",
        "future": "not_yet",
    }
    scores = score(answers)
    assert scores.exploration < 0.42 and scores.commitment < 0.42
    result = match(scores)
    assert result.fit == "diffusion"
    assert result.persona_id in P  # still reports the closest persona


def test_weak_fit_when_in_between() -> None:
    answers = {"stage": "examen", "hobbies_breadth": "many", "doubt": "never"}
    result = match(score(answers))
    assert result.fit in {"weak", "good"}
    middle = Scores(0.5, 0.5, 0.5, {m: 0.5 for m in P["joost"].motives})
    assert match(middle).fit in {"weak", "good"}


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
        again = match(scores)
        assert again == first


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
