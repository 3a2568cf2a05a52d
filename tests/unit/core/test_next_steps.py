"""content/next_steps.yml and bot/core/next_steps.py: the shipped content, the choice per pupil, broken copies."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core import next_steps as ns

SHIPPED = yaml.safe_load(ns.NEXT_STEPS_PATH.read_text(encoding="utf-8"))
CONTENT = ns.load()
# A step "assumes technology" when it talks about technical studies, N&T, engineers or bèta subjects.
ASSUMES_TECH = re.compile(r"techni|ingenieur|b[eè]ta|n&t\b", re.I)
JARGON = re.compile(r"\b(persona|recruiter|consultan\w*|master|mba|cum laude|afstudeerrichting)\b", re.I)
FORMAL = re.compile(r"\b(u|uw)\b", re.I)
COMBOS = [(stage, outcome, tech) for stage in ns.STAGES for outcome in ns.OUTCOMES for tech in (True, False)]


def all_lists(content: ns.NextSteps = CONTENT) -> dict[str, tuple[ns.RawStep, ...]]:
    lists: dict[str, tuple[ns.RawStep, ...]] = {}
    for stage, block in content.stages.items():
        lists[f"{stage}.all"] = block.all
        lists[f"{stage}.technical"] = block.technical
        lists[f"{stage}.not_technical"] = block.not_technical
        for outcome, steps in block.outcomes.items():
            lists[f"{stage}.outcomes.{outcome}"] = steps
    return lists


def texts(steps: list[ns.Step] | tuple[ns.RawStep, ...]) -> list[str]:
    return [step.text for step in steps]


def words(text: str) -> list[str]:
    return re.findall(r"[\wÀ-ÿ&'-]+", text)


def sentences(text: str) -> list[str]:
    return [part for part in re.split(r"(?<=[.!?])\s+", text.strip()) if part]


# ---------------------------------------------------------------- the shipped content


def test_shipped_file_has_every_stage_and_outcome_with_two_to_four_steps_per_list():
    lists = all_lists()
    assert len(lists) == len(ns.STAGES) * (3 + len(ns.OUTCOMES)) == 32
    for name, steps in lists.items():
        assert 2 <= len(steps) <= 4, name
    assert set(CONTENT.stages) == set(ns.STAGES)
    assert all(set(block.outcomes) == set(ns.OUTCOMES) for block in CONTENT.stages.values())


def test_every_link_is_used_and_every_school_placeholder_is_empty():
    used = {step.link for steps in all_lists().values() for step in steps if step.link}
    assert used == set(CONTENT.links)
    assert CONTENT.links["school_lob"].url == ""
    assert CONTENT.links["studielink"].url == "https://www.studielink.nl"
    assert CONTENT.links["studiekeuze123"].url == "https://www.studiekeuze123.nl"


def test_stage_lists_carry_the_dutch_routes():
    klas3 = " ".join(texts(CONTENT.stages["klas3"].all) + texts(CONTENT.stages["klas3"].technical))
    assert "wiskunde B" in " ".join(texts(CONTENT.stages["klas3"].all))
    assert "N&T" in klas3 and "N&G" in klas3 and "decaan" in klas3 and "proefles" in klas3
    exam = " ".join(texts(CONTENT.stages["examen"].all))
    assert "Studielink" in exam and "1 mei" in exam and "15 januari" in exam
    assert "studiekeuzecheck" in exam and "Studiekeuze123" in exam
    bovenbouw = " ".join(texts(CONTENT.stages["bovenbouw"].all))
    assert "open dagen" in bovenbouw and "proefstuderen" in bovenbouw and "hbo" in bovenbouw
    student = " ".join(texts(CONTENT.stages["student"].all))
    assert "1 februari" in student and "studieadviseur" in student and "gewoon" in student


def test_every_step_is_one_short_je_form_sentence_without_jargon():
    all_texts = [step.text for steps in all_lists().values() for step in steps]
    all_sentences = [s for text in all_texts for s in sentences(text)]
    average = sum(len(words(s)) for s in all_sentences) / len(all_sentences)
    assert average <= 14, average
    for text in all_texts:
        assert len(words(text)) <= 14, text
        assert len(sentences(text)) == 1, text
        assert not JARGON.search(text), text
        assert not FORMAL.search(text), text
    assert sum("je" in words(text.lower()) or "jou" in words(text.lower()) for text in all_texts) > len(all_texts) / 2


def test_lists_meant_for_everyone_do_not_assume_technology():
    for name, steps in all_lists().items():
        if name.endswith(".technical"):
            assert any(ASSUMES_TECH.search(step.text) for step in steps), name
        else:
            assert not [s.text for s in steps if ASSUMES_TECH.search(s.text)], name


# ---------------------------------------------------------------- steps_for


@pytest.mark.parametrize(("stage", "outcome", "technical"), COMBOS)
def test_every_pupil_gets_outcome_stage_and_extra_steps_in_that_order(stage, outcome, technical):
    block = CONTENT.stages[stage]
    extra = block.technical if technical else block.not_technical
    steps = ns.steps_for(stage, outcome, technical)
    assert 3 <= len(steps) <= ns.MAX_STEPS
    groups = [texts(block.outcomes[outcome]), texts(block.all), texts(extra)]
    where = [next(i for i, group in enumerate(groups) if step.text in group) for step in steps]
    assert where == sorted(where) and set(where) == {0, 1, 2}
    assert len(set(texts(steps))) == len(steps)
    # each list gives its steps from the top
    for i, group in enumerate(groups):
        mine = [step.text for step, w in zip(steps, where, strict=True) if w == i]
        assert mine == group[: len(mine)]


@pytest.mark.parametrize(("stage", "outcome", "technical"), COMBOS)
def test_not_technical_pupils_get_no_step_that_assumes_technology(stage, outcome, technical):
    steps = ns.steps_for(stage, outcome, technical)
    tech_steps = [s.text for s in steps if ASSUMES_TECH.search(s.text)]
    if technical:
        assert tech_steps, (stage, outcome)
    else:
        assert tech_steps == [], (stage, outcome)


@pytest.mark.parametrize("outcome", ns.OUTCOMES)
@pytest.mark.parametrize("technical", [True, False])
def test_deadlines_reach_every_exam_pupil_and_every_student(outcome, technical):
    exam = " ".join(texts(ns.steps_for("examen", outcome, technical)))
    assert "Studielink" in exam and "1 mei" in exam
    student = " ".join(texts(ns.steps_for("student", outcome, technical)))
    assert "1 februari" in student and "studieadviseur" in student
    klas3 = " ".join(texts(ns.steps_for("klas3", outcome, technical)))
    assert "wiskunde B" in klas3


def test_unknown_or_missing_stage_is_treated_as_bovenbouw():
    for outcome in ns.OUTCOMES:
        expected = ns.steps_for("bovenbouw", outcome, True)
        assert ns.steps_for(None, outcome, True) == expected
        assert ns.steps_for("groep8", outcome, True) == expected
    assert ns.steps_for(None, "tim", False) != ns.steps_for("examen", "tim", False)


def test_unknown_outcome_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown outcome 'fred'"):
        ns.steps_for("klas3", "fred", True)


def test_links_resolve_and_empty_urls_are_left_off():
    exam = ns.steps_for("examen", "tim", True)
    studielink = next(step for step in exam if "Studielink" in step.text)
    assert (studielink.link_title, studielink.link_url) == ("Studielink", "https://www.studielink.nl")
    assert studielink.as_dict() == {
        "text": studielink.text,
        "link": {"title": "Studielink", "url": studielink.link_url},
    }
    # the klas-3 "one small step" points at the school's LOB page, which is still empty
    small = ns.steps_for("klas3", "diffusion", False)[0]
    assert "kleine stap" in small.text and CONTENT.stages["klas3"].outcomes["diffusion"][0].link == "school_lob"
    assert small.link_title is None and small.link_url is None
    assert small.as_dict()["link"] is None
    filled = copy.deepcopy(SHIPPED)
    filled["links"]["school_lob"]["url"] = "https://www.school.nl/lob"
    small = ns.steps_for("klas3", "diffusion", False, ns.parse(filled))[0]
    assert (small.link_title, small.link_url) == ("De LOB-pagina van je school", "https://www.school.nl/lob")


def test_long_lists_take_turns_and_stop_at_five():
    data = copy.deepcopy(SHIPPED)
    block = data["stages"]["bovenbouw"]
    block["outcomes"]["luuk"] = [f"Uitkomst {i}." for i in range(6)]
    block["all"] = [f"Iedereen {i}." for i in range(6)]
    block["technical"] = [f"Techniek {i}." for i in range(6)]
    block["not_technical"] = []
    content = ns.parse(data)
    assert texts(ns.steps_for("bovenbouw", "luuk", True, content)) == [
        "Uitkomst 0.",
        "Uitkomst 1.",
        "Iedereen 0.",
        "Iedereen 1.",
        "Techniek 0.",
    ]
    # an empty extra list leaves its turns to the others
    assert texts(ns.steps_for("bovenbouw", "luuk", False, content)) == [
        "Uitkomst 0.",
        "Uitkomst 1.",
        "Uitkomst 2.",
        "Iedereen 0.",
        "Iedereen 1.",
    ]
    # the same text in two lists is shown once
    block["all"] = ["Uitkomst 0.", "Iedereen 1."]
    steps = texts(ns.steps_for("bovenbouw", "luuk", False, ns.parse(data)))
    assert steps.count("Uitkomst 0.") == 1 and "Iedereen 1." in steps


def test_plain_text_steps_and_cached_loading():
    data = copy.deepcopy(SHIPPED)
    data["stages"]["student"]["outcomes"]["tim"] = ["  Zoek   de uitdaging.  "]
    steps = ns.steps_for("student", "tim", False, ns.parse(data))
    assert steps[0] == ns.Step(text="Zoek de uitdaging.")
    assert ns.get_next_steps() is ns.get_next_steps()
    assert ns.get_next_steps() == CONTENT


# ---------------------------------------------------------------- broken copies


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    keys = path.split(".")
    target: Any = data
    for key in keys[:-1]:
        target = target[int(key)] if isinstance(target, list) else target[key]
    last = keys[-1]
    if value is _DELETE:
        del target[int(last) if isinstance(target, list) else last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value


_DELETE = object()
BROKEN = [
    ("stages.examen", _DELETE, "stages.examen: missing"),
    ("stages.klas3.all.0.link", "lob_pagina", "stages.klas3.all[0].link: unknown link 'lob_pagina'"),
    ("stages.student.outcomes.tim.1.text", "  ", "stages.student.outcomes.tim[1].text: expected non-empty text"),
    ("links.studielink.url", "javascript:alert(1)", "links.studielink.url: not a web address"),
    ("links.duo.url", "www.duo.nl", "links.duo.url: not a web address"),
    ("stages.bovenbouw.outcomes.jan", [{"text": "Hoi.", "link": None}], "stages.bovenbouw.outcomes.jan: unknown key"),
    ("stages.examen.outcomes.diffusion", _DELETE, "stages.examen.outcomes.diffusion: missing"),
    ("stages.klas3.technical", [f"Stap {i}." for i in range(7)], "stages.klas3.technical: too many steps"),
    ("stages.klas3.all", [], "stages.klas3.all: give at least one step"),
    (
        "stages.bovenbouw.all.1",
        {"text": "Kijk rond.", "url": "https://x.nl"},
        "stages.bovenbouw.all[1].url: unknown key",
    ),
    ("stages.examen.all.0.text", "x" * 200, "stages.examen.all[0].text: too long"),
    ("stages.student.not_technical", "Kijk rond.", "stages.student.not_technical: expected a list"),
    ("links.school_lob.title", None, "links.school_lob.title: expected non-empty text"),
    ("stages.klas3.tips", [], "stages.klas3.tips: unknown key"),
    ("stages.groep8", {}, "stages.groep8: unknown key"),
]


@pytest.mark.parametrize(("path", "value", "expected"), BROKEN, ids=[case[0] for case in BROKEN])
def test_broken_copy_names_file_and_key(tmp_path: Path, path: str, value: Any, expected: str):
    data = copy.deepcopy(SHIPPED)
    _set(data, path, value)
    broken = tmp_path / "next_steps.yml"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(ns.NextStepsError) as error:
        ns.load(broken)
    message = str(error.value)
    assert message.startswith(f"{broken}: "), message
    assert expected in message


def test_a_repeated_step_names_its_place(tmp_path: Path):
    data = copy.deepcopy(SHIPPED)
    luuk = data["stages"]["examen"]["outcomes"]["luuk"]
    luuk[1] = luuk[0]["text"]  # the same text again, written as a plain step
    broken = tmp_path / "next_steps.yml"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ns.NextStepsError, match=r"stages\.examen\.outcomes\.luuk\[1\]: the same step appears twice"):
        ns.load(broken)


def test_broken_files_name_the_file(tmp_path: Path):
    bad_yaml = tmp_path / "next_steps.yml"
    bad_yaml.write_text("links:\n  a: {title: A, url: ''\nstages: [\n", encoding="utf-8")
    with pytest.raises(ns.NextStepsError, match=r"next_steps\.yml: line \d+: invalid YAML"):
        ns.load(bad_yaml)
    with pytest.raises(ns.NextStepsError, match=r"missing\.yml: <file>: not found"):
        ns.load(tmp_path / "missing.yml")
    root_list = tmp_path / "list.yml"
    root_list.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ns.NextStepsError, match=r"list\.yml: <root>: expected a mapping, got list"):
        ns.load(root_list)
    assert ns.load(ns.NEXT_STEPS_PATH) == CONTENT
    with pytest.raises(ns.NextStepsError, match=r"^content/next_steps\.yml: links\.bad-key: "):
        ns.parse({"links": {"bad-key": {"title": "X", "url": ""}}, "stages": {}})
