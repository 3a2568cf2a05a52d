"""The study-choice glossary: real content is complete and readable, lookup finds what pupils type,
and broken copies fail with the file and the key path."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core.glossary import GLOSSARY_PATH, GlossaryError, load_glossary, sentences

SEED = Path("/work/shared/seed/000_e56b72cf9cd39739.txt")

REQUIRED_TERMS = (
    "profiel", "N&T", "N&G", "E&M", "C&M", "wiskunde A", "wiskunde B", "wiskunde C", "wiskunde D",
    "havo", "vwo", "mbo", "hbo", "wo", "universiteit", "hogeschool", "bachelor", "master", "propedeuse",
    "bindend studieadvies", "meeloopdag", "proefstuderen", "open dag", "studiekeuzecheck", "Studielink",
    "Studiekeuze123", "decaan", "mentor", "LOB", "studieadviseur", "consultant", "consultancy", "cum laude",
    "afstudeeropdracht", "afstuderen", "stage", "scriptie", "numerus fixus", "decentrale selectie", "doorstroom",
    "premaster", "studiefinanciering", "lening", "DUO", "studentenvereniging", "studievereniging", "minor",
    "tussenjaar", "switchen", "recruiter", "MBA", "ingenieur", "TU", "profielwerkstuk", "eindexamen",
)  # fmt: skip


@pytest.fixture(scope="module")
def glossary():
    return load_glossary()


def _raw() -> list[dict[str, Any]]:
    return yaml.load(GLOSSARY_PATH.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "glossary.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _index(data: list[dict[str, Any]], term: str) -> int:
    return next(i for i, entry in enumerate(data) if entry["term"] == term)


# ------------------------------------------------------------------ the real content


def test_counts_and_required_terms(glossary) -> None:
    assert len(glossary) >= 48
    assert len(set(glossary.terms)) == len(glossary)
    missing = [term for term in REQUIRED_TERMS if term not in glossary.terms]
    assert not missing, missing
    assert sum(len(entry.aliases) for entry in glossary) >= 2 * len(glossary)


def test_every_text_is_one_or_two_short_sentences(glossary) -> None:
    lengths: list[int] = []
    for entry in glossary:
        parts = sentences(entry.text)
        assert 1 <= len(parts) <= 2, (entry.term, parts)
        counts = [len(part.split()) for part in parts]
        assert sum(counts) / len(counts) <= 14, (entry.term, counts)
        assert max(counts) <= 20, (entry.term, counts)
        lengths += counts
    assert sum(lengths) / len(lengths) <= 12, "the glossary as a whole reads above the 12-word average"


def test_texts_are_informal_and_free_of_placeholders(glossary) -> None:
    for entry in glossary:
        lowered = f" {entry.text.lower()} "
        assert " u " not in lowered and " uw " not in lowered, entry.term  # informal "je", never "u"
        assert "todo" not in lowered and "..." not in entry.text, entry.term
        assert entry.text[0].isupper() or entry.text[0].isdigit(), entry.term


def test_key_facts_are_stated(glossary) -> None:
    assert "1 mei" in glossary.get("Studielink").text
    assert "15 januari" in glossary.get("Studielink").text
    assert "1 februari" in glossary.get("1-februariregeling").text
    assert "1 februari" in glossary.get("switchen").text
    assert "ir." in glossary.get("ingenieur").text and "ing." in glossary.get("ingenieur").text
    for term in ("N&T", "N&G", "E&M", "C&M"):
        assert term in glossary.get("profiel").text


@pytest.mark.skipif(not SEED.exists(), reason="seed text not available")
def test_no_seven_word_overlap_with_the_source() -> None:
    def grams(text: str) -> set[tuple[str, ...]]:
        tokens = re.findall(r"[a-zà-ÿ0-9&]+", text.lower().replace("’", "'"))
        return {tuple(tokens[i : i + 7]) for i in range(len(tokens) - 6)}

    overlap = grams(SEED.read_text(encoding="utf-8")) & grams(GLOSSARY_PATH.read_text(encoding="utf-8"))
    assert not overlap, [" ".join(g) for g in overlap]


# ------------------------------------------------------------------ lookup


def test_every_term_and_alias_finds_its_own_entry(glossary) -> None:
    checked = 0
    for entry in glossary:
        for form in entry.forms:
            for text in (form, f"wat is {form}?", f"wat betekent {form.upper()}"):
                found = glossary.lookup(text)
                assert found is entry, (text, entry.term, found and found.term)
                checked += 1
    assert checked >= 3 * 150


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("wat is een master?", "master"),
        ("wat betekent cum laude", "cum laude"),
        ("wat is N&T eigenlijk", "N&T"),
        ("wat bedoel je met propedeuse", "propedeuse"),
        ("studiekeuzecheck??", "studiekeuzecheck"),
        ("wat houdt proefstuderen in", "proefstuderen"),
        ("Wat is een BSA?", "bindend studieadvies"),
        ("wat is n & g", "N&G"),
        ("wat is wiskunde b nou", "wiskunde B"),
        ("wat is een open dag", "open dag"),
        ("wat is een opendag", "open dag"),  # typed together
        ("wat is een studie keuze check", "studiekeuzecheck"),  # typed apart
        ("wat is een pre master", "premaster"),
        ("wat is studie link", "Studielink"),
        ("wat is het nt profiel", "N&T"),
        ("wat is de tu/e", "TU"),
    ],
)
def test_lookup_finds_the_term_in_pupil_phrasings(glossary, text: str, term: str) -> None:
    found = glossary.lookup(text)
    assert found is not None and found.term == term, (text, found and found.term)


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("wat is een propedeuze", "propedeuse"),  # s -> z
        ("wat betekend studiefinancering", "studiefinanciering"),  # letter missing
        ("wat is een studentenvereneging", "studentenvereniging"),  # wrong vowel
        ("wat is proefstudren", "proefstuderen"),  # letter missing
        ("wat is een scirptie", "scriptie"),  # two letters swapped
        ("wat is consultansy", "consultancy"),
    ],
)
def test_one_typo_in_a_long_word_is_tolerated(glossary, text: str, term: str) -> None:
    found = glossary.lookup(text)
    assert found is not None and found.term == term, (text, found and found.term)


@pytest.mark.parametrize(
    "text",
    [
        "wat is een mastr",  # "master" has 6 letters: too short for typo tolerance
        "wat is een stagr",
        "wat is een studntenverenging",  # two typos
        "wat is het weer",
        "wie wint de champions league",
        "",
    ],
)
def test_lookup_finds_nothing_without_a_real_match(glossary, text: str) -> None:
    assert glossary.lookup(text) is None


def test_longest_alias_wins(glossary) -> None:
    assert glossary.lookup("wat is een hbo propedeuse").term == "doorstroom"
    assert glossary.lookup("wat is een technische universiteit").term == "TU"
    assert glossary.lookup("wat is een aanvullende beurs").term == "aanvullende beurs"
    assert glossary.lookup("wat is het verschil tussen een master en een premaster").term == "premaster"
    assert glossary.lookup("wat is een bindend studieadvies").term == "bindend studieadvies"


def test_exact_word_is_never_read_as_a_typo_of_another(glossary) -> None:
    # "studiepunt" is an exact term; it must not be taken as a typo of a longer alias.
    assert glossary.lookup("wat is een studiepunt").term == "studiepunt"
    assert glossary.lookup("wat is een consultant").term == "consultant"
    assert glossary.lookup("wat is consultancy").term == "consultancy"


# ------------------------------------------------------------------ definition questions


@pytest.mark.parametrize(
    "text",
    [
        "wat is een master?",
        "wat betekent cum laude",
        "wat is N&T eigenlijk",
        "wat bedoel je met propedeuse",
        "studiekeuzecheck??",
        "wat houdt proefstuderen in",
        "wat houdt een premaster eigenlijk in?",
        "wat betekend bsa",
        "wa is een decaan",
        "waar staat LOB voor",
        "wat wil cum laude zeggen",
        "leg uit wat een minor is",
        "bsa?",
        "en een minor?",
        "wat is een hypotheek",  # the shape counts; lookup decides whether we know the word
        "wat doet een consultant precies",
    ],
)
def test_definition_questions_are_recognised(glossary, text: str) -> None:
    assert glossary.is_definition_question(text), text


@pytest.mark.parametrize(
    "text",
    [
        "studiekeuzecheck",  # bare term without a question mark
        "wat is de stage van luuk",  # about someone's story
        "wat is joost zijn baan",
        "wat is het verschil tussen hbo en wo",
        "wat was de eerste baan van tim",
        "heeft luuk een master gedaan?",
        "wat deed tim na zijn studie?",
        "en tim?",
        "ik wil een master doen",
        "",
    ],
)
def test_other_messages_are_not_definition_questions(glossary, text: str) -> None:
    assert not glossary.is_definition_question(text), text


# ------------------------------------------------------------------ broken copies


def _broken(tmp_path: Path, change) -> str:
    data = _raw()
    change(data)
    with pytest.raises(GlossaryError) as info:
        load_glossary(_write(tmp_path, data))
    return str(info.value)


def test_missing_text_names_file_and_key(tmp_path: Path) -> None:
    data = _raw()
    i = _index(data, "master")
    message = _broken(tmp_path, lambda d: d[i].pop("text"))
    assert message.startswith(f"glossary.yml: [{i}] (master).text: missing"), message


def test_three_sentences_are_rejected(tmp_path: Path) -> None:
    data = _raw()
    i = _index(data, "master")
    message = _broken(tmp_path, lambda d: d[i].update(text="Een. Twee. Drie."))
    assert message.startswith(f"glossary.yml: [{i}] (master).text: "), message
    assert "found 3" in message


def test_alias_used_by_two_entries_is_rejected(tmp_path: Path) -> None:
    data = _raw()
    i = _index(data, "minor")
    j = _index(data, "bindend studieadvies")
    message = _broken(tmp_path, lambda d: d[i]["aliases"].append("b.s.a."))  # folds to "bsa"
    alias_index = len(data[i]["aliases"])
    assert message.startswith(f"glossary.yml: [{i}] (minor).aliases[{alias_index}]: "), message
    assert f"[{j}] (bindend studieadvies)" in message


def test_duplicate_term_is_rejected(tmp_path: Path) -> None:
    data = _raw()
    i = _index(data, "mentor")
    message = _broken(tmp_path, lambda d: d[i].update(term="Decaan", aliases=[]))
    assert message.startswith(f"glossary.yml: [{i}] (Decaan).term: "), message
    assert "(decaan)" in message


def test_alias_in_capitals_is_rejected(tmp_path: Path) -> None:
    data = _raw()
    i = _index(data, "DUO")
    message = _broken(tmp_path, lambda d: d[i]["aliases"].insert(0, "Mijn DUO app"))
    assert message.startswith(f"glossary.yml: [{i}] (DUO).aliases[0]: "), message
    assert "lowercase" in message


def test_missing_aliases_and_unknown_keys_are_rejected(tmp_path: Path) -> None:
    data = _raw()
    i = _index(data, "stage")
    message = _broken(tmp_path, lambda d: d[i].pop("aliases"))
    assert message.startswith(f"glossary.yml: [{i}] (stage).aliases: missing"), message
    message = _broken(tmp_path, lambda d: d[i].update(tekst="typo in the key name"))
    assert message.startswith(f"glossary.yml: [{i}] (stage).tekst: unknown key"), message


def test_missing_term_and_wrong_shapes_are_rejected(tmp_path: Path) -> None:
    message = _broken(tmp_path, lambda d: d[2].pop("term"))
    assert message.startswith("glossary.yml: [2].term: missing"), message
    message = _broken(tmp_path, lambda d: d.__setitem__(4, "just a word"))
    assert message.startswith("glossary.yml: [4]: expected a mapping"), message
    terms = [entry["term"] for entry in _raw()]
    message = _broken(tmp_path, lambda d: d[5].update(aliases="one, two"))
    assert message.startswith(f"glossary.yml: [5] ({terms[5]}).aliases: expected a list"), message
    message = _broken(tmp_path, lambda d: d[6].update(text="Geen punt aan het eind"))
    assert message.startswith(f"glossary.yml: [6] ({terms[6]}).text: end the text"), message


def test_broken_files_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "glossary.yml"
    path.write_text("- term: master\n  aliases: [masters\n  text: x\n", encoding="utf-8")
    with pytest.raises(GlossaryError, match=r"^glossary\.yml: line \d+: invalid YAML"):
        load_glossary(path)
    path.write_text("term: master\n", encoding="utf-8")
    with pytest.raises(GlossaryError, match=r"^glossary\.yml: <root>: expected a non-empty list"):
        load_glossary(path)
    with pytest.raises(GlossaryError, match=r"^nope\.yml: <file>: not found"):
        load_glossary(tmp_path / "nope.yml")
