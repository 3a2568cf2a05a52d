"""Study and hobby lexicons: the shipped content, the matcher, and the loader's error messages."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.core.lexicons import (
    LEXICON_DIR,
    NEVER_CORRECT,
    SECTORS,
    LexiconError,
    Lexicons,
    load_lexicons,
)

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _read(path: Path) -> list[dict]:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)  # noqa: S506 (a safe loader)


def _write(path: Path, data: object) -> None:
    path.write_text(yaml.dump(data, Dumper=_DUMPER, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture(scope="module")
def lex() -> Lexicons:
    return load_lexicons(LEXICON_DIR)


def study_ids(lex: Lexicons, text: str) -> list[str]:
    return [hit.study.id for hit in lex.find_studies(text)]


def hobby_ids(lex: Lexicons, text: str) -> list[str]:
    return [hobby.id for hobby in lex.find_hobbies(text)]


# ---------------------------------------------------------------- shipped content


def test_counts_and_every_sector_covered(lex: Lexicons) -> None:
    assert len(lex.studies) >= 160
    assert len(lex.hobbies) >= 120
    per_sector = {sector: sum(1 for s in lex.studies if s.sector == sector) for sector in SECTORS}
    assert all(count >= 3 for count in per_sector.values()), per_sector
    assert {s.technical for s in lex.studies} == {True, False}
    assert {h.social for h in lex.hobbies} == {"team", "alone", "both"}
    assert {h.technical for h in lex.hobbies} == {True, False}


def test_levels_follow_the_dutch_system(lex: Lexicons) -> None:
    assert lex.study("geneeskunde").levels == ("wo",)
    assert lex.study("pabo").levels == ("hbo",)
    assert lex.study("hbo_ict").levels == ("hbo",)
    assert lex.study("bouwkunde").levels == ("hbo", "wo")
    assert lex.study("verpleegkunde").levels == ("hbo",)
    assert lex.study("luchtvaart_en_ruimtevaarttechniek").levels == ("wo",)


def test_every_study_name_and_alias_matches_its_own_entry(lex: Lexicons) -> None:
    for study in lex.studies:
        for phrase in (study.name, *study.aliases):
            assert study_ids(lex, phrase) == [study.id], phrase


def test_every_hobby_name_and_alias_matches_its_own_entry(lex: Lexicons) -> None:
    for hobby in lex.hobbies:
        for phrase in (hobby.name, *hobby.aliases):
            assert hobby_ids(lex, phrase) == [hobby.id], phrase


# ---------------------------------------------------------------- matching examples


def test_bouwkunde_at_the_hogeschool_is_one_technical_hbo_study(lex: Lexicons) -> None:
    hits = lex.find_studies("bouwkunde aan de hogeschool")
    assert [(h.study.id, h.level_said, h.study.technical, h.start, h.end) for h in hits] == [
        ("bouwkunde", "hbo", True, 0, 1)
    ]


def test_geneeskunde_or_rechten_are_two_non_technical_options(lex: Lexicons) -> None:
    hits = lex.find_studies("Geneeskunde of rechten")
    assert [h.study.id for h in hits] == ["geneeskunde", "rechtsgeleerdheid"]
    assert [h.study.technical for h in hits] == [False, False]
    assert [h.level_said for h in hits] == [None, None]


def test_a_city_is_not_a_level(lex: Lexicons) -> None:
    hits = lex.find_studies("werktuigbouw in delft")
    assert [(h.study.id, h.level_said) for h in hits] == [("werktuigbouwkunde", None)]


def test_abbreviations(lex: Lexicons) -> None:
    hits = lex.find_studies("wtb of ee")
    assert [h.study.id for h in hits] == ["werktuigbouwkunde", "elektrotechniek"]
    assert all(h.study.technical for h in hits)
    assert study_ids(lex, "tbk, io of cs") == ["technische_bedrijfskunde", "industrieel_ontwerpen", "informatica"]


def test_iets_met_economie(lex: Lexicons) -> None:
    hits = lex.find_studies("iets met economie")
    assert hits, "economie should name an economics study"
    assert all(h.study.sector == "economie" and not h.study.technical for h in hits)


def test_gaming_and_hockey(lex: Lexicons) -> None:
    hobbies = lex.find_hobbies("ik game veel en zit op hockey")
    assert [(h.id, h.technical, h.social) for h in hobbies] == [("gamen", False, "both"), ("hockey", False, "team")]


def test_soldering_and_arduino_are_technical(lex: Lexicons) -> None:
    hobbies = lex.find_hobbies("solderen en arduino")
    assert [h.id for h in hobbies] == ["elektronica", "arduino"]
    assert all(h.technical for h in hobbies)


def test_slang_and_spelling_variants_of_hobbies(lex: Lexicons) -> None:
    assert hobby_ids(lex, "voetballe met vrienden") == ["voetbal"]
    assert hobby_ids(lex, "gamenn en fifa") == ["gamen"]
    assert hobby_ids(lex, "ik zit op de manege") == ["paardrijden"]
    assert hobby_ids(lex, "turnen, scouting en drummen") == ["turnen", "scouting", "drummen"]
    assert hobby_ids(lex, "raspberry pi en lego") == ["raspberry_pi", "lego"]


def test_longest_match_consumes_its_words(lex: Lexicons) -> None:
    assert study_ids(lex, "technische bedrijfskunde") == ["technische_bedrijfskunde"]
    assert study_ids(lex, "technische natuurkunde of gewoon natuurkunde") == [
        "technische_natuurkunde",
        "natuurkunde",
    ]
    assert study_ids(lex, "lucht- en ruimtevaart") == ["luchtvaart_en_ruimtevaarttechniek"]
    assert study_ids(lex, "hbo-ict") == ["hbo_ict"]
    assert hobby_ids(lex, "redstone in minecraft") == ["redstone"]
    assert hobby_ids(lex, "ik speel minecraft en bouw met redstone") == ["gamen", "redstone"]


def test_each_entry_once_in_text_order(lex: Lexicons) -> None:
    hits = lex.find_studies("rechten, geneeskunde en toch weer rechten")
    assert [(h.study.id, h.start) for h in hits] == [("rechtsgeleerdheid", 0), ("geneeskunde", 1)]
    assert hobby_ids(lex, "hockey, tekenen, hockey") == ["hockey", "tekenen"]


def test_nothing_found(lex: Lexicons) -> None:
    assert lex.find_studies("") == []
    assert lex.find_studies("iets met computers, weet ik nog niet") == []
    assert lex.find_hobbies("") == []
    assert lex.find_hobbies("geen idee eigenlijk") == []


# ---------------------------------------------------------------- levels


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("op het hbo wil ik bouwkunde of werktuigbouwkunde", [("bouwkunde", "hbo"), ("werktuigbouwkunde", "hbo")]),
        ("bouwkunde aan de hogeschool of geneeskunde", [("bouwkunde", "hbo"), ("geneeskunde", None)]),
        ("rechten, maar op de uni wil ik geneeskunde", [("rechtsgeleerdheid", None), ("geneeskunde", "wo")]),
        ("rechten op de universiteit of bouwkunde op het hbo", [("rechtsgeleerdheid", "wo"), ("bouwkunde", "hbo")]),
        ("technische bedrijfskunde aan de tu", [("technische_bedrijfskunde", "wo")]),
        ("bouwkunde aan de hoge school", [("bouwkunde", "hbo")]),
        ("hbo-ict of informatica", [("hbo_ict", None), ("informatica", None)]),
        ("bouwkunde, en later bouwkunde aan de universitiet", [("bouwkunde", "wo")]),
    ],
)
def test_level_said(lex: Lexicons, text: str, expected: list[tuple[str, str | None]]) -> None:
    assert [(h.study.id, h.level_said) for h in lex.find_studies(text)] == expected


# ---------------------------------------------------------------- typos


@pytest.mark.parametrize(
    ("typed", "study_id"),
    [
        ("werktuibouwkunde", "werktuigbouwkunde"),
        ("electrotechniek", "elektrotechniek"),
        ("elektortechniek", "elektrotechniek"),
        ("psycholgie", "psychologie"),
        ("fysiotherpie", "fysiotherapie"),
        ("bedrijfskunds", "bedrijfskunde"),
        ("technische bedrijfskunnde", "technische_bedrijfskunde"),
    ],
)
def test_one_typo_in_long_words(lex: Lexicons, typed: str, study_id: str) -> None:
    assert study_ids(lex, typed) == [study_id]


def test_one_typo_in_hobbies(lex: Lexicons) -> None:
    assert hobby_ids(lex, "progammeren") == ["programmeren"]
    assert hobby_ids(lex, "basketbbal") == ["basketbal"]


def test_short_words_and_two_typos_never_match(lex: Lexicons) -> None:
    assert lex.find_studies("wtbb of eee") == []
    assert lex.find_studies("rechtn") == []  # 6 letters: too short for typo tolerance
    assert lex.find_studies("wrktuibouwkunde") == []  # two edits
    assert lex.find_hobbies("hocky") == []
    assert lex.find_studies("xerktuigbouwkunde") == []  # first letter must be right


def test_common_words_are_never_corrected(lex: Lexicons) -> None:
    assert "politie" in NEVER_CORRECT
    assert lex.find_studies("bij de politie werken") == []
    assert hobby_ids(lex, "ik wil stoppen met voetbal") == ["voetbal"]
    assert lex.find_hobbies("in alle klassen") == []


# ---------------------------------------------------------------- loader


def test_load_is_cached_per_path() -> None:
    assert load_lexicons(LEXICON_DIR) is load_lexicons(LEXICON_DIR)


def _copy(tmp_path: Path) -> Path:
    for name in ("studies.yml", "hobbies.yml"):
        shutil.copy(LEXICON_DIR / name, tmp_path / name)
    return tmp_path


def _edit(folder: Path, name: str, change) -> None:
    data = _read(folder / name)
    change(data)
    _write(folder / name, data)


def _error(folder: Path) -> str:
    with pytest.raises(LexiconError) as info:
        load_lexicons(folder)
    return str(info.value)


def test_bad_sector_names_file_entry_and_key(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "studies.yml", lambda d: d[12].update(sector="tech"))
    study_id = _read(folder / "studies.yml")[12]["id"]
    message = _error(folder)
    assert f"studies.yml: [12] ({study_id}).sector: unknown sector 'tech'; expected one of techniek," in message


def test_duplicate_id(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "studies.yml", lambda d: d[5].update(id=d[4]["id"]))
    message = _error(folder)
    assert "studies.yml: [5] (" in message
    assert ").id: duplicate id" in message
    assert "also at [4]" in message


def test_duplicate_alias_across_entries(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "hobbies.yml", lambda d: d[3]["aliases"].append("voetballen"))
    message = _error(folder)
    assert message.startswith("hobbies.yml: [3] (")
    assert ".aliases[" in message
    assert "duplicate alias 'voetballen': already used by [0] (voetbal)" in message


def test_alias_equal_to_another_entrys_name(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "studies.yml", lambda d: d[1]["aliases"].append("Werktuigbouwkunde".lower()))
    message = _error(folder)
    assert "studies.yml: [1] (elektrotechniek).aliases[" in message
    assert "already used by [0] (werktuigbouwkunde)" in message


def test_missing_field(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "studies.yml", lambda d: d[0].pop("levels"))
    assert "studies.yml: [0] (werktuigbouwkunde).levels: missing" in _error(folder)


def test_wrong_type(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "hobbies.yml", lambda d: d[1].update(technical="yes"))
    assert "hobbies.yml: [1] (zaalvoetbal).technical: expected true or false, got 'yes'" in _error(folder)


def test_aliases_not_a_list(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "hobbies.yml", lambda d: d[2].update(aliases="hockeyen"))
    assert "hobbies.yml: [2] (hockey).aliases: expected a list, got str" in _error(folder)


def test_file_not_a_list(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _write(folder / "studies.yml", {"studies": _read(folder / "studies.yml")})
    assert "studies.yml: <root>: expected a list of entries, got dict" in _error(folder)


def test_empty_and_uppercase_aliases(tmp_path: Path) -> None:
    folder = _copy(tmp_path)

    def change(data: list[dict]) -> None:
        data[0]["aliases"] = []
        data[1]["aliases"] = ["EE"]

    _edit(folder, "studies.yml", change)
    message = _error(folder)
    assert "studies.yml: [0] (werktuigbouwkunde).aliases: empty list" in message
    assert "studies.yml: [1] (elektrotechniek).aliases[0]: alias 'EE' must be lowercase" in message


def test_unknown_level_and_unknown_key(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "studies.yml", lambda d: d[0].update(levels=["hbo", "mbo"], aliasses=["x"]))
    message = _error(folder)
    assert "studies.yml: [0] (werktuigbouwkunde).aliasses: unknown key" in message
    _edit(folder, "studies.yml", lambda d: d[0].pop("aliasses"))
    message = _error(folder)
    assert "studies.yml: [0] (werktuigbouwkunde).levels: unknown level 'mbo'; expected hbo or wo" in message


def test_unknown_social(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "hobbies.yml", lambda d: d[0].update(social="club"))
    assert "hobbies.yml: [0] (voetbal).social: unknown value 'club'; expected one of team, alone, both" in _error(
        folder
    )


def test_missing_file_and_invalid_yaml(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "hobbies.yml").unlink()
    assert "hobbies.yml: <file>: not found" in _error(folder)
    (folder / "hobbies.yml").write_text("- id: x\n  name: [unclosed\n", encoding="utf-8")
    assert "hobbies.yml: line " in _error(folder)


def test_all_problems_reported_together(tmp_path: Path) -> None:
    folder = _copy(tmp_path)

    def change(data: list[dict]) -> None:
        data[3]["sector"] = "tech"
        data[7]["technical"] = "nee"

    _edit(folder, "studies.yml", change)
    lines = _error(folder).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("studies.yml: [3] (") and ".sector: unknown sector" in lines[0]
    assert lines[1].startswith("studies.yml: [7] (") and ".technical: expected true or false" in lines[1]
