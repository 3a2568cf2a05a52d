"""CSV and report exports: anonymous, finished non-demo conversations only."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from bot.core.content import SCORE_SLOTS, STAGE_QUESTION, get_questionnaire
from bot.workshops import export, feedback, registry, store, summary
from tests.unit.workshops.test_feedback import rate
from tests.unit.workshops.test_summary import PERSONAS, QUESTIONNAIRE, add_conversation, fill_workshop, tracker_store


@pytest.fixture()
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tracker.db'}"


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_has_one_anonymous_row_per_finished_pupil(db_url: str) -> None:
    fill_workshop(tracker_store(db_url))
    frame = store.load_conversations("ABCDEF", db_url=db_url)
    text = export.to_csv(frame, QUESTIONNAIRE)
    header = text.splitlines()[0].split(",")
    assert header == [
        "nr",
        "stage",
        "exploration",
        "commitment",
        "reconsideration",
        "persona",
        "fit",
        "hobbies",
        "drive",
        "feedback_rating",
    ]
    rows = read_csv(text)
    assert len(rows) == 9
    assert sorted(int(r["nr"]) for r in rows) == list(range(1, 10))
    assert "pupil-" not in text and "demo-1" not in text and "halfway" not in text
    assert sorted(r["persona"] for r in rows) == ["joost"] * 4 + ["luuk"] * 2 + ["tim"] * 3
    first = next(r for r in rows if r["exploration"] == "0.810")
    assert first == {
        "nr": first["nr"],
        "stage": "klas3",
        "exploration": "0.810",
        "commitment": "0.770",
        "reconsideration": "0.300",
        "persona": "tim",
        "fit": "good",
        "hobbies": "Veel",
        "drive": "Uitdaging; Techniek",
        "feedback_rating": "",
    }
    assert any(r["hobbies"] == "Weet ik niet" for r in rows)


def test_csv_has_the_rating_and_never_the_pupils_own_words(db_url: str) -> None:
    """The "Herken je jezelf?" rating is a CSV column; the free text may name a pupil, so it stays out."""
    tracker = tracker_store(db_url)
    fill_workshop(tracker)
    rate(tracker, "pupil-0", 4, text="ik ben Sanne uit 4B en ik lijk meer op Luuk")
    rate(tracker, "pupil-3", 2, text="klopt niet")
    rate(tracker, "demo-1", 5, text="demo")
    frame = feedback.with_feedback(store.load_conversations("ABCDEF", db_url=db_url), db_url=db_url)
    text = export.to_csv(frame, QUESTIONNAIRE)
    rows = read_csv(text)
    assert len(rows) == 9  # the demo conversation stays out, its rating too
    by_scores = {r["exploration"]: r["feedback_rating"] for r in rows}
    assert by_scores["0.810"] == "4" and by_scores["0.800"] == "2"
    assert sorted(r["feedback_rating"] for r in rows) == [""] * 7 + ["2", "4"]
    assert "Sanne" not in text and "klopt niet" not in text and "feedback_text" not in text


def test_csv_row_order_is_not_arrival_order(db_url: str) -> None:
    tracker = tracker_store(db_url)
    for i in range(12):
        add_conversation(
            tracker,
            f"p{i}",
            answers={"stage": "klas3"},
            persona="tim",
            scores=(i / 20, 0.5, 0.5),
            start=1_700_000_000.0 + i,
        )
    frame = store.load_conversations("ABCDEF", db_url=db_url)
    orders = {tuple(r["exploration"] for r in read_csv(export.to_csv(frame, QUESTIONNAIRE))) for _ in range(5)}
    assert len(orders) > 1


def test_csv_columns_follow_the_questionnaire(db_url: str) -> None:
    """Question columns in the order of content/questionnaire.yml, whichever stage asks them."""
    questionnaire = get_questionnaire()
    frame = store.load_conversations("ABCDEF", db_url=db_url)
    header = export.to_csv(frame, questionnaire).splitlines()[0].split(",")
    asked = [q.id for q in questionnaire.questions if q.id != STAGE_QUESTION]
    assert header[7 : 7 + len(asked)] == asked
    assert header == ["nr", STAGE_QUESTION, *SCORE_SLOTS, "persona", "fit", *asked, *feedback.CSV_COLUMNS]


def test_csv_cells_cannot_be_formulas() -> None:
    assert export._cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert export._cell("Veel") == "Veel"
    assert export._cell(3) == 3


def test_report_png_and_pdf(db_url: str, tmp_path: Path) -> None:
    fill_workshop(tracker_store(db_url))
    figures = summary.summarize(store.load_conversations("ABCDEF", db_url=db_url), QUESTIONNAIRE, PERSONAS)
    png = tmp_path / "r.png"
    export.write_report(figures, "Keuzespiegel: test (ABCDEF)", png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    pdf = tmp_path / "r.pdf"
    export.write_report(figures, "Keuzespiegel: test (ABCDEF)", pdf)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    empty = summary.summarize(store.load_conversations("NOPE23", db_url=db_url), QUESTIONNAIRE, PERSONAS)
    assert export.render_report(empty, "leeg")[:4] == b"\x89PNG"
    with pytest.raises(ValueError):
        export.render_report(figures, "x", "svg")


def test_report_with_feedback_and_colours_from_the_summary(db_url: str) -> None:
    tracker = tracker_store(db_url)
    fill_workshop(tracker)
    for i, rating in enumerate((5, 4, 3)):
        rate(tracker, f"pupil-{i}", rating)
    frame = feedback.with_feedback(store.load_conversations("ABCDEF", db_url=db_url), db_url=db_url)
    figures = summary.summarize(frame, QUESTIONNAIRE, PERSONAS)
    figures["feedback"] = feedback.rating_summary(frame, [p["id"] for p in figures["personas"]])
    assert export.rating_line(figures["feedback"]) == (
        "Herken je jezelf? Gemiddeld 4,0 van 5 (3 leerlingen gaven een cijfer)."
    )
    texts = [t.get_text() for t in export.report_figure(figures, "x").texts]
    assert any(t.startswith("Herken je jezelf? Gemiddeld 4,0") for t in texts)
    few = feedback.rating_summary(frame.iloc[0:2], ["tim"])
    assert export.rating_line(few) == "Herken je jezelf? Nog minder dan 3 leerlingen gaven een cijfer."
    assert export.rating_line(None) == ""
    assert export.render_report(figures, "x")[:4] == b"\x89PNG"


def test_export_command(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli.main import main

    monkeypatch.setenv("KEUZESPIEGEL_DB_URL", db_url)
    monkeypatch.setenv("KEUZESPIEGEL_HOST", "localhost")
    monkeypatch.setenv("WEB_PORT", "8000")
    assert main(["workshop", "new", "5V techniekdag"]) == 0
    out = capsys.readouterr().out
    code = out.split("code: ")[1].split()[0]
    assert f"link: http://localhost:8000/?workshop={code}" in out
    assert main(["workshop", "list"]) == 0
    assert code in capsys.readouterr().out and registry.get_workshop(code, db_url=db_url)
    tracker = tracker_store(db_url)
    for i, rating in enumerate((5, 4, 2)):
        add_conversation(
            tracker, f"p{i}", workshop=code, answers={"stage": "examen"}, persona="luuk", scores=(0.9, 0.4, 0.6)
        )
        rate(tracker, f"p{i}", rating, text=f"eigen woorden {i}")
    reports: list[dict[str, Any]] = []
    write_report = export.write_report

    def keep_figures(figures: dict[str, Any], title: str, path: Path) -> None:
        reports.append(figures)
        write_report(figures, title, path)

    monkeypatch.setattr(export, "write_report", keep_figures)
    out_csv, out_png = tmp_path / "out.csv", tmp_path / "out.png"
    assert main(["export", code, "--csv", str(out_csv), "--report", str(out_png)]) == 0
    text = out_csv.read_text(encoding="utf-8")
    rows = read_csv(text)
    assert len(rows) == 3 and {r["persona"] for r in rows} == {"luuk"}
    assert {r["stage"] for r in rows} == {"examen"}
    assert sorted(r["feedback_rating"] for r in rows) == ["2", "4", "5"], "the ratings reach the CSV"
    assert "eigen woorden" not in text, "the pupils' own words stay in the tracker store"
    assert out_png.read_bytes()[:4] == b"\x89PNG"
    assert export.rating_line(reports[0]["feedback"]) == (
        "Herken je jezelf? Gemiddeld 3,7 van 5 (3 leerlingen gaven een cijfer)."
    ), "and the report"
    assert main(["export", "ZZZZZZ", "--csv", str(out_csv)]) == 1
    assert main(["export", code]) == 2
