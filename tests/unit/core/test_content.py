"""Content loading: the real files are valid, and broken copies fail with file and key path."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import ROOT
from bot.core.content import (
    DIMENSIONS,
    MOTIVES,
    PERSONA_PHASES,
    REVEAL_TEXTS,
    STAGES,
    ContentError,
    get_personas,
    get_questionnaire,
    get_reveal_texts,
    load_personas,
    load_questionnaire,
    load_reveal_texts,
    slot_for,
)

QUESTIONNAIRE = ROOT / "content" / "questionnaire.yml"
PERSONAS = ROOT / "personas"
REVEAL = ROOT / "content" / "reveal.yml"
SEED = Path("/work/shared/seed/000_e56b72cf9cd39739.txt")
# Words a 14-year-old does not know or that belong to the research, never in pupil-facing text.
JARGON = re.compile(
    r"\b(persona\w*|recruiter|consultan\w*|master|mba|cum laude|afstudeerrichting|finance|foreclosure|moratorium"
    r"|diffusi\w*|exploratie|commitment)\b",
    re.I,
)


def _raw_questionnaire() -> dict[str, Any]:
    return yaml.safe_load(QUESTIONNAIRE.read_text(encoding="utf-8"))


def _write(tmp_path: Path, data: Any, name: str = "questionnaire.yml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _question(data: dict[str, Any], qid: str) -> dict[str, Any]:
    for phase in data["phases"]:
        for question in phase["questions"]:
            if question["id"] == qid:
                return question
    raise KeyError(qid)


def test_questionnaire_loads_with_expected_shape() -> None:
    q = load_questionnaire()
    ids = [question.id for question in q.questions]
    assert ids[0] == "stage"
    assert q.stages == ("klas3", "bovenbouw", "examen", "student")
    assert 12 <= len(ids) <= 14
    assert len(set(ids)) == len(ids)
    assert [p.id for p in q.phases] == ["now", "childhood", "secondary", "study_choice", "drive"]
    for question in q.questions:
        assert question.text_for(None) and question.rephrase_for("klas3")
        for option in question.options:
            for stage in (None, *STAGES):
                assert len(option.label_for(stage)) <= 28, option.label_for(stage)
                assert option.explain_for(stage).startswith(("je ", "de ", "techniek ")), option.explain_for(stage)
                assert "," not in option.explain_for(stage), "explanations are joined with commas"
            assert set(option.evidence) <= set(DIMENSIONS)
            assert set(option.motives) <= set(MOTIVES)
            if question.id != "stage":
                assert option.match, f"{question.id}.{option.id} has no free-text patterns"


def test_questions_for_stage() -> None:
    q = get_questionnaire()
    everyone = [x.id for x in q.questions_for(None)]
    student = [x.id for x in q.questions_for("student")]
    assert everyone[0] == student[0] == "stage"
    assert "first_year_doubt" not in everyone
    assert "first_year_doubt" in student
    assert [x.id for x in q.questions_for("klas3")] == everyone
    assert [x.id for x in q.questions_for("nonsense")] == everyone
    assert len(everyone) == 12 and len(student) == 13


def test_stage_specific_texts() -> None:
    profile = get_questionnaire().question("profile")
    assert "overweeg" in profile.text_for("klas3")
    assert "gekozen" in profile.text_for("bovenbouw")
    assert profile.text_for("examen") == profile.text_for(None)
    assert profile.rephrase_for("klas3") != profile.rephrase_for("student")


def test_labels_and_explanations_follow_the_pupils_tense() -> None:
    compared = get_questionnaire().question("profile").option("compared")
    assert compared is not None
    assert compared.label_for("klas3") == "Ik vergelijk er meerdere"
    assert compared.label_for("student") == compared.label == "Ik vergeleek er meerdere"
    assert compared.all_labels == ("Ik vergeleek er meerdere", "Ik vergelijk er meerdere")
    assert "vergelijkt" in compared.explain_for("klas3")


def test_stage_evidence_overrides_one_dimension() -> None:
    few = get_questionnaire().question("open_days").option("few")
    assert few is not None
    assert few.evidence_for("klas3")["exploration"] == 0.0
    assert few.evidence_for("examen")["exploration"] < 0
    assert few.evidence_for(None) == dict(few.evidence)


def test_hedged_and_ambiguous_answers_are_data() -> None:
    q = get_questionnaire()
    know = q.question("future").option("know_exactly")
    assert know is not None and know.hedged == "probably"
    rule = q.question("profile").ambiguous[0]
    assert set(rule.options) == {"only_nt", "hardest", "compared"}
    assert "nt" in rule.answers and "N&T" in rule.ask_for("examen")
    assert rule.ask_for("klas3") != rule.ask_for("student")


def test_slot_names() -> None:
    assert slot_for("hobbies_breadth") == "q_hobbies_breadth"


def test_personas_load_in_fixed_order() -> None:
    personas = load_personas()
    assert list(personas) == ["joost", "luuk", "tim"]
    statuses = {p.id: p.status for p in personas.values()}
    assert statuses == {"joost": "foreclosure", "luuk": "moratorium", "tim": "achievement"}
    for persona in personas.values():
        assert tuple(ph.id for ph in persona.phases) == PERSONA_PHASES
        assert re.fullmatch(r"#[0-9a-f]{6}", persona.color)
        assert 2 <= len(persona.status_label.split()) <= 3
        assert 3 <= len(re.findall(r"[.!?](\s|$)", persona.intro)) <= 5
        assert persona.demo_answers["stage"] == "student"
        for phase in persona.phases:
            sentences = len(re.findall(r"[.!?](\s|$)", phase.text))
            assert 2 <= sentences <= 4, (persona.id, phase.id, sentences)
    assert get_personas() is get_personas()


def test_persona_positions_are_separable() -> None:
    p = get_personas()
    joost, luuk, tim = p["joost"], p["luuk"], p["tim"]
    assert joost.exploration < 0.3 and joost.commitment > 0.7 and joost.reconsideration < 0.3
    assert luuk.exploration > 0.7 and 0.3 < luuk.commitment < 0.7 and luuk.reconsideration > 0.7
    assert tim.exploration > 0.7 and tim.commitment > 0.7 and tim.reconsideration < 0.5
    assert tim.motives["ambition"] > luuk.motives["ambition"]
    assert luuk.motives["social"] > tim.motives["social"]


def test_status_labels_respect_every_route() -> None:
    labels = {p.id: p.status_label for p in get_personas().values()}
    assert labels == {"joost": "Vroeg gekozen", "luuk": "Blijft zoeken", "tim": "Gezocht en gekozen"}
    for label in labels.values():
        assert "bewust" not in label.lower()


def test_intros_do_not_repeat_the_name() -> None:
    """The reveal says "Maak kennis met Joost", so his intro must not say "ik ben Joost" again."""
    for persona in get_personas().values():
        assert persona.name.lower() not in persona.intro.lower()


def _pupil_texts() -> dict[str, str]:
    texts: dict[str, str] = {}
    q = get_questionnaire()
    for question in q.questions:
        for key, text in [*question.text.items(), *question.rephrase.items()]:
            texts[f"{question.id}.text.{key}"] = text
        for rule in question.ambiguous:
            texts.update({f"{question.id}.ambiguous.{k}": v for k, v in rule.ask.items()})
        for option in question.options:
            for stage in (None, *STAGES):
                texts[f"{question.id}.{option.id}.label.{stage}"] = option.label_for(stage)
                texts[f"{question.id}.{option.id}.explain.{stage}"] = option.explain_for(stage)
    for name, info in [*q.dimensions.items(), *q.motives.items()]:
        texts.update({f"{name}.{k}": str(v) for k, v in info.items()})
    for persona in get_personas().values():
        texts[f"{persona.id}.intro"] = persona.intro
        texts[f"{persona.id}.doubt"] = persona.doubt
        texts[f"{persona.id}.motives_text"] = persona.motives_text
        texts[f"{persona.id}.status"] = f"{persona.status_label}. {persona.status_explain}"
        texts.update({f"{persona.id}.{ph.id}": f"{ph.title}. {ph.text}" for ph in persona.phases})
    for key, staged in get_reveal_texts().texts.items():
        texts.update({f"reveal.{key}.{stage}": text for stage, text in staged.items()})
    return texts


def test_pupil_facing_text_has_no_jargon() -> None:
    for key, text in _pupil_texts().items():
        assert not JARGON.search(text), (key, JARGON.search(text))


def test_pupil_facing_sentences_are_short_on_average() -> None:
    sentences = [s for text in _pupil_texts().values() for s in re.split(r"(?<=[.!?])\s+", text.strip()) if s]
    words = [len(s.split()) for s in sentences]
    assert sum(words) / len(words) <= 12


def test_one_name_per_score() -> None:
    """The dimension labels are the only names of the scores: the reveal payload carries them."""
    labels = {name: info["label"] for name, info in get_questionnaire().dimensions.items()}
    assert labels == {
        "exploration": "Rondkijken",
        "commitment": "Zeker van je keuze",
        "reconsideration": "Twijfel na het kiezen",
    }


def _ngrams(text: str, n: int = 7) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-zà-ÿ0-9&]+", text.lower().replace("’", "'"))
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


@pytest.mark.skipif(not SEED.exists(), reason="seed text not available")
def test_no_seven_word_overlap_with_the_source() -> None:
    seed = _ngrams(SEED.read_text(encoding="utf-8"))
    files = [QUESTIONNAIRE, REVEAL, *sorted(PERSONAS.glob("*.yml"))]
    for path in files:
        overlap = seed & _ngrams(path.read_text(encoding="utf-8"))
        assert not overlap, f"{path.name} copies the seed: {[' '.join(g) for g in overlap]}"


# ------------------------------------------------------------------ broken questionnaires


def _expect(path: Path, key: str, fragment: str) -> None:
    with pytest.raises(ContentError) as info:
        load_questionnaire(path)
    message = str(info.value)
    assert message.startswith(f"{path}: {key}: "), message
    assert fragment in message


def test_unknown_dimension_names_file_and_key(tmp_path: Path) -> None:
    data = _raw_questionnaire()
    data["phases"][2]["questions"][0]["options"][0]["evidence"]["exploraton"] = 0.5
    path = _write(tmp_path, data)
    _expect(path, "phases[2].questions[0].options[0].evidence.exploraton", "unknown dimension")


def test_unknown_motive(tmp_path: Path) -> None:
    data = _raw_questionnaire()
    data["phases"][1]["questions"][0]["options"][2]["motives"] = {"fun": 0.3}
    _expect(_write(tmp_path, data), "phases[1].questions[0].options[2].motives.fun", "unknown motive")


def test_evidence_out_of_range(tmp_path: Path) -> None:
    data = _raw_questionnaire()
    data["phases"][1]["questions"][1]["options"][0]["evidence"] = {"commitment": 1.5}
    _expect(_write(tmp_path, data), "phases[1].questions[1].options[0].evidence.commitment", "outside")


def test_evidence_not_a_number(tmp_path: Path) -> None:
    data = _raw_questionnaire()
    data["phases"][1]["questions"][1]["options"][0]["evidence"] = {"commitment": "veel"}
    _expect(_write(tmp_path, data), "phases[1].questions[1].options[0].evidence.commitment", "number")


def test_duplicate_question_id(tmp_path: Path) -> None:
    data = _raw_questionnaire()
    data["phases"][1]["questions"][1]["id"] = "hobbies_breadth"
    _expect(_write(tmp_path, data), "phases[1].questions[1].id", "duplicate question id")


def test_duplicate_option_id(tmp_path: Path) -> None:
    data = _raw_questionnaire()
    data["phases"][1]["questions"][0]["options"][1]["id"] = "same"
    _expect(_write(tmp_path, data), "phases[1].questions[0].options[1].id", "duplicate option id")


def test_missing_label(tmp_path: Path) -> None:
    data = _raw_questionnaire()
    del data["phases"][2]["questions"][1]["options"][1]["label"]
    _expect(_write(tmp_path, data), "phases[2].questions[1].options[1].label", "missing")


def test_affirm_must_reference_an_option(tmp_path: Path) -> None:
    data = _raw_questionnaire()
    _question(data, "hobbies_technical")["affirm"] = "yes_please"
    _expect(_write(tmp_path, data), "phases[1].questions[1].affirm", "unknown option")


def test_unknown_stage_in_text(tmp_path: Path) -> None:
    data = _raw_questionnaire()
    _question(data, "profile")["text"]["klas4"] = "Welk profiel?"
    _expect(_write(tmp_path, data), "phases[2].questions[0].text.klas4", "unknown stage")


def test_staged_text_needs_default(tmp_path: Path) -> None:
    data = _raw_questionnaire()
    _question(data, "profile")["text"] = {"klas3": "Welke profielen?"}
    _expect(_write(tmp_path, data), "phases[2].questions[0].text.default", "missing")


def test_stage_question_must_come_first(tmp_path: Path) -> None:
    data = _raw_questionnaire()
    data["phases"] = data["phases"][1:] + data["phases"][:1]
    _expect(_write(tmp_path, data), "phases[0].questions[0].id", "must be 'stage'")


def test_stage_evidence_unknown_stage(tmp_path: Path) -> None:
    data = _raw_questionnaire()
    _question(data, "open_days")["options"][0]["stage_evidence"]["klas4"] = {"exploration": 0}
    _expect(_write(tmp_path, data), "phases[3].questions[0].options[0].stage_evidence.klas4", "unknown stage")


def test_stage_evidence_unknown_dimension(tmp_path: Path) -> None:
    data = _raw_questionnaire()
    _question(data, "open_days")["options"][0]["stage_evidence"]["klas3"] = {"exploraton": 0}
    _expect(
        _write(tmp_path, data), "phases[3].questions[0].options[0].stage_evidence.klas3.exploraton", "unknown dimension"
    )


def test_staged_label_too_long(tmp_path: Path) -> None:
    data = _raw_questionnaire()
    _question(data, "profile")["options"][1]["label"]["klas3"] = "Ik vergelijk er heel erg veel met elkaar"
    _expect(_write(tmp_path, data), "phases[2].questions[0].options[1].label.klas3", "too long")


def test_hedged_must_name_another_option(tmp_path: Path) -> None:
    data = _raw_questionnaire()
    _question(data, "future")["options"][0]["hedged"] = "maybe"
    path = _write(tmp_path, data)
    with pytest.raises(ContentError) as info:
        load_questionnaire(path)
    assert ".hedged: unknown option 'maybe'" in str(info.value)


def test_ambiguous_rule_needs_known_options(tmp_path: Path) -> None:
    data = _raw_questionnaire()
    _question(data, "profile")["ambiguous"][0]["options"] = ["only_nt", "physics"]
    _expect(_write(tmp_path, data), "phases[2].questions[0].ambiguous[0].options[1]", "unknown option")
    data = _raw_questionnaire()
    _question(data, "profile")["ambiguous"][0]["options"] = ["only_nt"]
    _expect(_write(tmp_path, data), "phases[2].questions[0].ambiguous[0].options", "at least two")


def test_invalid_yaml(tmp_path: Path) -> None:
    path = tmp_path / "questionnaire.yml"
    path.write_text("phases: [\n  - id: x\n", encoding="utf-8")
    with pytest.raises(ContentError) as info:
        load_questionnaire(path)
    assert str(info.value).startswith(f"{path}: line ")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="not found"):
        load_questionnaire(tmp_path / "nope.yml")


def test_match_patterns_must_be_text(tmp_path: Path) -> None:
    data = _raw_questionnaire()
    data["phases"][1]["questions"][0]["options"][0]["match"].append(True)  # what an unquoted `no` becomes
    path = _write(tmp_path, data)
    with pytest.raises(ContentError) as info:
        load_questionnaire(path)
    assert str(info.value).startswith(f"{path}: phases[1].questions[0].options[0].match[")


def test_repo_relative_file_name_in_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Errors in the real files name them as advisors know them: content/questionnaire.yml."""
    from bot.core import content

    original = content._read_yaml

    def broken(path: Path, file: str) -> Any:
        data = original(path, file)
        data["phases"][2]["questions"][1]["options"][0]["evidence"] = {"exploraton": 1}
        return data

    monkeypatch.setattr(content, "_read_yaml", broken)
    with pytest.raises(ContentError) as info:
        load_questionnaire()
    assert str(info.value) == (
        "content/questionnaire.yml: phases[2].questions[1].options[0].evidence.exploraton: unknown dimension"
    )


# ------------------------------------------------------------------ broken personas


def _persona_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "personas"
    shutil.copytree(PERSONAS, folder)
    return folder


def _edit_persona(folder: Path, pid: str, change: Any) -> Path:
    path = folder / f"{pid}.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _expect_persona(folder: Path, path: Path, key: str, fragment: str) -> None:
    with pytest.raises(ContentError) as info:
        load_personas(folder)
    message = str(info.value)
    assert message.startswith(f"{path}: {key}: "), message
    assert fragment in message


def test_persona_copy_loads(tmp_path: Path) -> None:
    assert list(load_personas(_persona_dir(tmp_path))) == ["joost", "luuk", "tim"]


def test_persona_missing_phase(tmp_path: Path) -> None:
    folder = _persona_dir(tmp_path)
    path = _edit_persona(folder, "luuk", lambda d: d["phases"].pop("first_job"))
    _expect_persona(folder, path, "phases.first_job", "missing")


def test_persona_phases_out_of_order(tmp_path: Path) -> None:
    folder = _persona_dir(tmp_path)

    def swap(d: dict[str, Any]) -> None:
        phases = d["phases"]
        d["phases"] = {"secondary": phases.pop("secondary"), **phases}

    path = _edit_persona(folder, "tim", swap)
    _expect_persona(folder, path, "phases", "order")


def test_persona_position_out_of_range(tmp_path: Path) -> None:
    folder = _persona_dir(tmp_path)
    path = _edit_persona(folder, "joost", lambda d: d["position"].update(commitment=1.2))
    _expect_persona(folder, path, "position.commitment", "outside")


def test_persona_unknown_status(tmp_path: Path) -> None:
    folder = _persona_dir(tmp_path)
    path = _edit_persona(folder, "joost", lambda d: d.update(status="diffusion"))
    _expect_persona(folder, path, "status", "unknown status")


def test_persona_demo_answer_unknown_option(tmp_path: Path) -> None:
    folder = _persona_dir(tmp_path)
    path = _edit_persona(folder, "tim", lambda d: d["demo_answers"].update(doubt="sometimes"))
    _expect_persona(folder, path, "demo_answers.doubt", "unknown option")


def test_persona_demo_answer_unknown_question(tmp_path: Path) -> None:
    folder = _persona_dir(tmp_path)
    path = _edit_persona(folder, "luuk", lambda d: d["demo_answers"].update(favourite_colour="blue"))
    _expect_persona(folder, path, "demo_answers.favourite_colour", "unknown question")


def test_persona_list_for_single_question(tmp_path: Path) -> None:
    folder = _persona_dir(tmp_path)
    path = _edit_persona(folder, "luuk", lambda d: d["demo_answers"].update(doubt=["after"]))
    _expect_persona(folder, path, "demo_answers.doubt", "only allowed for multi")


def test_persona_id_must_match_file(tmp_path: Path) -> None:
    folder = _persona_dir(tmp_path)
    path = _edit_persona(folder, "luuk", lambda d: d.update(id="lucas"))
    _expect_persona(folder, path, "id", "must equal the file name")


def test_persona_bad_colour(tmp_path: Path) -> None:
    folder = _persona_dir(tmp_path)
    path = _edit_persona(folder, "tim", lambda d: d.update(color="purple"))
    _expect_persona(folder, path, "color", "expected a colour")


def test_persona_next_steps_live_elsewhere(tmp_path: Path) -> None:
    folder = _persona_dir(tmp_path)
    path = _edit_persona(folder, "luuk", lambda d: d.update(next_steps=["Ga naar open dagen."]))
    _expect_persona(folder, path, "next_steps", "unknown key")


# ------------------------------------------------------------------ reveal texts


def test_reveal_texts_load_with_every_key() -> None:
    texts = load_reveal_texts()
    assert set(texts.texts) == set(REVEAL_TEXTS)
    assert "Luuk" in texts.get("opening.diffusion", "student", name="Luuk")
    assert texts.get("opening.diffusion", "klas3", name="Luuk") != texts.get(
        "opening.diffusion", "student", name="Luuk"
    )
    assert get_reveal_texts() is get_reveal_texts()


def _reveal_copy(tmp_path: Path, change: Any) -> Path:
    data = yaml.safe_load(REVEAL.read_text(encoding="utf-8"))
    change(data)
    return _write(tmp_path, data, "reveal.yml")


def test_reveal_unknown_placeholder_names_file_and_key(tmp_path: Path) -> None:
    path = _reveal_copy(tmp_path, lambda d: d["opening"].update(good="Jij lijkt op {naam}!"))
    with pytest.raises(ContentError) as info:
        load_reveal_texts(path)
    assert str(info.value).startswith(f"{path}: opening.good: unknown placeholder {{naam}}")


def test_reveal_missing_text(tmp_path: Path) -> None:
    path = _reveal_copy(tmp_path, lambda d: d["why"].pop("diffusion"))
    with pytest.raises(ContentError) as info:
        load_reveal_texts(path)
    assert str(info.value) == f"{path}: why.diffusion: missing"


def test_reveal_unknown_key(tmp_path: Path) -> None:
    path = _reveal_copy(tmp_path, lambda d: d.update(goodbye="Doei!"))
    with pytest.raises(ContentError, match="goodbye: unknown key"):
        load_reveal_texts(path)


def test_persona_unknown_key(tmp_path: Path) -> None:
    folder = _persona_dir(tmp_path)
    path = _edit_persona(folder, "joost", lambda d: d.update(hobby="voetbal"))
    _expect_persona(folder, path, "hobby", "unknown key")
