"""The content of "Mijn keuzespiegel", built from a conversation's stored slot values."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core import result_sheet
from bot.core.content import ContentError, get_personas, get_questionnaire, slot_for
from bot.core.reveal import build_reveal
from bot.core.turn import State

# Words a 14-year-old should not meet on their own result (issue 14).
JARGON = ("persona", "recruiter", "finance", "consultant", "consultancy", "cum laude", "mba", "afstudeerrichting")


def demo_slots(persona_id: str) -> dict[str, Any]:
    """The slots of a finished conversation with this alumnus' own answers."""
    answers = get_personas()[persona_id].demo_answers
    slots: dict[str, Any] = {slot_for(q): ",".join(v) if isinstance(v, list) else v for q, v in answers.items()}
    slots["persona"] = persona_id
    return slots


def sentences(text: str) -> list[str]:
    return [part for part in re.split(r"(?<=[.!?])\s+", text.strip()) if part]


def average_words(texts: list[str]) -> float:
    parts = [sentence for text in texts for sentence in sentences(text)]
    return sum(len(sentence.split()) for sentence in parts) / len(parts)


@pytest.mark.parametrize("persona_id", ["joost", "luuk", "tim"])
def test_each_alumnus_own_answers_give_a_sheet_about_him(persona_id: str) -> None:
    slots = demo_slots(persona_id)
    sheet = result_sheet.build_sheet(slots)
    assert sheet is not None
    state = State.from_slots(slots)
    reveal = build_reveal(state.model_answers(), state.stage)
    assert sheet.persona_id == reveal.persona_id == persona_id
    assert sheet.fit == reveal.match.fit
    name = get_personas()[persona_id].name
    assert name in sheet.heading
    assert sheet.status_label == reveal.payload["status_label"]
    # Scores: one line per dimension with the questionnaire's own label, the value as in the chat.
    dimensions = get_questionnaire().dimensions
    assert [line.label for line in sheet.scores] == [
        dimensions[d]["label"] for d in ("exploration", "commitment", "reconsideration")
    ]
    for line in sheet.scores:
        assert line.value == pytest.approx(reveal.payload[line.id])
        assert sheet.you[line.id] == pytest.approx(reveal.payload[line.id])
    assert {p.id for p in sheet.points} == set(get_personas())
    assert len(sheet.reflection) == 3 and sheet.steps


def test_answers_are_shown_as_the_option_labels_in_questionnaire_order() -> None:
    slots = demo_slots("tim")
    sheet = result_sheet.build_sheet(slots)
    assert sheet is not None
    questionnaire = get_questionnaire()
    state = State.from_slots(slots)
    expected = []
    for question in questionnaire.questions_for(state.stage):
        chosen = state.answers.get(question.id)
        if chosen:
            labels = [question.option(option_id).label for option_id in chosen]
            expected.append((question.text_for(state.stage), "; ".join(labels)))
    assert [(a.question, a.answer) for a in sheet.answers] == expected
    multi = next(q for q in questionnaire.questions if q.multi and q.id in state.answers)
    shown = next(a.answer for a in sheet.answers if a.question == multi.text_for(state.stage))
    assert shown == "; ".join(multi.option(option_id).label for option_id in state.answers[multi.id])


def test_dont_know_is_shown_in_plain_words() -> None:
    slots = demo_slots("luuk")
    question = next(q for q in get_questionnaire().questions_for("student") if q.id != "stage")
    slots[slot_for(question.id)] = "dont_know"
    sheet = result_sheet.build_sheet(slots)
    assert sheet is not None
    assert "Weet ik niet" in [a.answer for a in sheet.answers]


def test_no_result_gives_no_sheet() -> None:
    slots = demo_slots("joost")
    slots["persona"] = None  # started over, or not finished yet
    assert result_sheet.build_sheet(slots) is None
    assert result_sheet.build_sheet({}) is None


def test_the_sheet_holds_no_chat_text_and_no_id() -> None:
    slots = demo_slots("joost")
    slots["sender_id"] = "pupil-1234"
    slots["chat_text"] = "ik heet Sanne en zit op het Stedelijk"
    sheet = result_sheet.build_sheet(slots)
    assert sheet is not None
    everything = repr(sheet)
    assert "pupil-1234" not in everything and "Sanne" not in everything


@pytest.mark.parametrize("fit", result_sheet.FITS)
def test_every_outcome_has_an_honest_heading(fit: str) -> None:
    texts = result_sheet.get_texts()
    heading = texts.headings[fit].format(name="Luuk")
    assert "Luuk" in heading
    if fit in ("diffusion", "insufficient"):
        assert "dichtst bij" in heading, "with no real match the name is only the nearest"
        assert fit in texts.notes
    if fit != "good":
        assert "het meest op" not in heading


def test_no_deciding_answers_for_still_searching_or_too_few_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    slots = demo_slots("luuk")
    real = result_sheet.build_reveal

    def as_fit(fit: str) -> Any:
        def fake(*args: Any, **kwargs: Any) -> Any:
            reveal = real(*args, **kwargs)
            reveal.payload["fit"] = fit
            return reveal

        return fake

    monkeypatch.setattr(result_sheet, "build_reveal", as_fit("diffusion"))
    sheet = result_sheet.build_sheet(slots)
    assert sheet is not None and sheet.fit == "diffusion"
    assert sheet.why == () and sheet.note
    assert "dichtst bij" in sheet.heading
    monkeypatch.setattr(result_sheet, "build_reveal", as_fit("insufficient"))
    sheet = result_sheet.build_sheet(slots)
    assert sheet is not None and sheet.fit == "insufficient" and sheet.why == ()


def test_next_steps_follow_the_payload_when_it_has_them(monkeypatch: pytest.MonkeyPatch) -> None:
    real = result_sheet.build_reveal

    def with_steps(*args: Any, **kwargs: Any) -> Any:
        reveal = real(*args, **kwargs)
        reveal.payload["next_steps"] = [
            {
                "text": "Ga naar een open dag.",
                "link": {"title": "Studiekeuze123", "url": "https://www.studiekeuze123.nl"},
            },
            "Praat met je decaan.",
        ]
        return reveal

    monkeypatch.setattr(result_sheet, "build_reveal", with_steps)
    sheet = result_sheet.build_sheet(demo_slots("tim"))
    assert sheet is not None
    assert [(s.text, s.link_url) for s in sheet.steps] == [
        ("Ga naar een open dag.", "https://www.studiekeuze123.nl"),
        ("Praat met je decaan.", None),
    ]


@pytest.mark.parametrize("persona_id", ["joost", "luuk", "tim"])
def test_sheet_texts_are_plain_dutch(persona_id: str) -> None:
    sheet = result_sheet.build_sheet(demo_slots(persona_id))
    assert sheet is not None
    own = [sheet.title, sheet.subtitle, sheet.heading, *sheet.reflection, sheet.footer, sheet.why_title]
    own += [sheet.scores_title, sheet.plot_title, sheet.answers_title, sheet.reflection_title, sheet.steps_title]
    assert average_words(own) <= 12
    lowered = " ".join(own).lower()
    assert not [word for word in JARGON if word in lowered]


def test_all_texts_in_the_file_are_short_and_free_of_jargon() -> None:
    texts = result_sheet.get_texts()
    every = [
        texts.title,
        texts.subtitle,
        *texts.headings.values(),
        *texts.notes.values(),
        *texts.sections.values(),
        texts.why_fallback,
        *texts.reflection,
        texts.footer,
    ]
    assert average_words(every) <= 12
    lowered = " ".join(every).lower()
    assert not [word for word in JARGON if word in lowered]


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "result_sheet.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def valid_data() -> dict[str, Any]:
    return yaml.safe_load(result_sheet.SHEET_PATH.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d.pop("footer"), "footer: missing"),
        (lambda d: d["headings"].pop("diffusion"), "headings.diffusion: missing"),
        (lambda d: d["headings"].update(great="x {name}"), "headings.great: unknown key"),
        (lambda d: d.update(reflection=["Een vraag?"]), "reflection: give exactly 3 questions"),
        (lambda d: d["reflection"].__setitem__(1, ""), "reflection[1]: expected non-empty text"),
        (lambda d: d["headings"].update(good="Je lijkt op {naam}."), "headings.good: unknown placeholder {naam}"),
        (lambda d: d.update(extra="x"), "extra: unknown key"),
    ],
)
def test_broken_texts_name_the_file_and_the_key(tmp_path: Path, change: Any, where: str) -> None:
    data = valid_data()
    change(data)
    with pytest.raises(ContentError) as caught:
        result_sheet.load_texts(write(tmp_path, data))
    assert str(caught.value).startswith(str(tmp_path / "result_sheet.yml"))
    assert where in str(caught.value)


@pytest.mark.parametrize("persona_id", ["joost", "luuk", "tim"])
def test_next_steps_and_colours_are_the_ones_the_chat_showed(persona_id: str) -> None:
    slots = demo_slots(persona_id)
    sheet = result_sheet.build_sheet(slots)
    assert sheet is not None
    state = State.from_slots(slots)
    payload = build_reveal(state.model_answers(), state.stage).payload
    expected = [(step["text"], (step.get("link") or {}).get("url")) for step in payload["next_steps"]]
    assert [(s.text, s.link_url) for s in sheet.steps] == expected and expected
    colours = {p["id"]: p.get("color") for p in payload["personas"]}
    assert {p.id: p.color for p in sheet.points} == colours
