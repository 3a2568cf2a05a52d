"""The dashboard API with "Herken je jezelf?" ratings, through aiohttp's test client and a real SQLite tracker store.

The summary shows the ratings as an aggregate only from 3 on, the CSV has the rating and never the pupil's own
words, the report names the mean, and persona colours and score names come from the content files.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from bot.core.content import get_personas, get_questionnaire
from bot.workshops import registry
from tests.unit.server.test_web_security import auth, make_app, with_client
from tests.unit.workshops.test_feedback import rate
from tests.unit.workshops.test_summary import T0, add_conversation, tracker_store

PRIVATE = "ik ben Sanne uit 4B"


def pupils(tmp_path: Path, ratings: list[tuple[str, int | None]]) -> str:
    """A workshop with one finished conversation per (persona, rating); returns the workshop code."""
    db_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    code = registry.create_workshop("4H techniek", db_url=db_url).code
    tracker = tracker_store(db_url)
    for i, (persona, rating) in enumerate(ratings):
        add_conversation(tracker, f"pupil-{i}", workshop=code, answers={"stage": "bovenbouw", "doubt": "never"},
                         persona=persona, scores=(0.5, 0.6, 0.2), start=T0 + 100 * i)  # fmt: skip
        if rating is not None:
            rate(tracker, f"pupil-{i}", rating, text=PRIVATE if i == 0 else None, at=T0 + 5_000 + i)
    return code


def fetch(tmp_path: Path, code: str) -> tuple[dict[str, Any], str, bytes]:
    async def body(client: TestClient) -> tuple[dict[str, Any], str, bytes]:
        base = f"/dashboard/api/workshops/{code}"
        summary = await (await client.get(base + "/summary", headers=auth())).json()
        export = await client.get(base + "/export.csv", headers=auth())
        assert export.status == 200
        report = await client.get(base + "/report.pdf", headers=auth())
        assert report.status == 200
        return summary, (await export.read()).decode("utf-8-sig"), await report.read()

    return with_client(make_app(tmp_path), body)


def test_two_ratings_show_nothing(tmp_path: Path) -> None:
    code = pupils(tmp_path, [("tim", 5), ("tim", 1), ("luuk", None)])
    summary, _, _ = fetch(tmp_path, code)
    figures = summary["feedback"]
    assert figures["enough"] is False and figures["min_count"] == 3
    assert figures["mean"] is None and figures["counts"] is None and figures["with_text"] is None
    assert [p["id"] for p in figures["personas"]] == ["joost", "luuk", "tim"]
    assert all(p["mean"] is None for p in figures["personas"])


def test_three_ratings_on_the_dashboard_in_the_csv_and_the_report(tmp_path: Path) -> None:
    code = pupils(tmp_path, [("tim", 5), ("tim", 4), ("tim", 3), ("joost", None)])
    summary, text, pdf = fetch(tmp_path, code)
    figures = summary["feedback"]
    assert figures["enough"] is True and figures["rated"] == 3 and figures["mean"] == 4.0
    assert figures["counts"] == {"1": "<3", "2": "<3", "3": "<3", "4": "<3", "5": "<3"}
    assert figures["with_text"] == "<3"
    by_id = {p["id"]: p for p in figures["personas"]}
    assert by_id["tim"] == {"id": "tim", "rated": 3, "mean": 4.0} and by_id["joost"]["mean"] is None
    assert PRIVATE not in str(summary)

    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 4 and sorted(r["feedback_rating"] for r in rows) == ["", "3", "4", "5"]
    assert PRIVATE not in text and "feedback_text" not in text
    assert pdf[:5] == b"%PDF-"


def test_persona_colours_and_score_names_come_from_the_content(tmp_path: Path) -> None:
    code = pupils(tmp_path, [])
    summary, _, _ = fetch(tmp_path, code)
    personas = get_personas()
    assert {p["id"]: p["color"] for p in summary["personas"]} == {pid: p.color for pid, p in personas.items()}
    dimensions = get_questionnaire().dimensions
    assert summary["dimensions"] == {name: info["label"] for name, info in dimensions.items()}
