"""Feedback figures ("Herken je jezelf?") from a real Rasa SQL tracker store (temporary SQLite database)."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import numpy as np
import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.workshops import feedback, store
from tests.unit.workshops.test_summary import T0, add_conversation


@pytest.fixture()
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tracker.db'}"


def rate(tracker: SQLTrackerStore, sender: str, rating: float | None, text: str | None = None, at: float = T0) -> None:
    """Add the feedback slot events to a stored conversation, as actions/feedback.py sets them."""
    existing = asyncio.run(tracker.retrieve(sender))
    assert existing is not None
    existing.update(SlotSet("feedback_rating", rating, timestamp=at))
    if text is not None:
        existing.update(SlotSet("feedback_text", text, timestamp=at + 1))
    asyncio.run(tracker.save(existing))


def pupils(db_url: str, ratings: list[tuple[str, float | None]], workshop: str = "ABCDEF") -> SQLTrackerStore:
    tracker = SQLTrackerStore(host=db_url)
    for i, (persona, rating) in enumerate(ratings):
        sender = f"pupil-{i}"
        add_conversation(tracker, sender, workshop=workshop, answers={"stage": "klas3"}, persona=persona,
                         scores=(0.5, 0.5, 0.5), start=T0 + 100 * i)  # fmt: skip
        if rating is not None:
            rate(tracker, sender, rating, text=f"tekst {i}", at=T0 + 10_000 - 100 * i)
    return tracker


def frame_for(db_url: str, workshop: str = "ABCDEF"):  # noqa: ANN201 - a DataFrame
    return feedback.with_feedback(store.load_conversations(workshop, db_url=db_url), db_url=db_url)


def test_ratings_and_texts_are_read_from_the_tracker_store(db_url: str) -> None:
    pupils(db_url, [("tim", 4), ("luuk", None), ("joost", 2)])
    frame = frame_for(db_url).set_index("sender_id")
    assert frame.loc["pupil-0", "feedback_rating"] == 4.0
    assert frame.loc["pupil-0", "feedback_text"] == "tekst 0"
    assert frame.loc["pupil-0", "feedback_at"] == pytest.approx(T0 + 10_000)
    assert math.isnan(frame.loc["pupil-1", "feedback_rating"]) and frame.loc["pupil-1", "feedback_text"] is None
    assert frame.loc["pupil-2", "feedback_rating"] == 2.0


def test_the_last_rating_counts_and_a_reset_removes_it(db_url: str) -> None:
    tracker = pupils(db_url, [("tim", 2), ("tim", 5)])
    rate(tracker, "pupil-0", 5, at=T0 + 20_000)
    rate(tracker, "pupil-1", None, at=T0 + 20_000)  # asked again after "opnieuw beginnen", not answered yet
    frame = frame_for(db_url).set_index("sender_id")
    assert frame.loc["pupil-0", "feedback_rating"] == 5.0
    assert math.isnan(frame.loc["pupil-1", "feedback_rating"])


def test_nothing_is_shown_below_three_ratings(db_url: str) -> None:
    pupils(db_url, [("tim", 4), ("tim", 5), ("luuk", None), ("joost", None)])
    summary = feedback.rating_summary(frame_for(db_url), ["joost", "luuk", "tim"])
    assert summary["enough"] is False
    assert summary["rated"] == 0 and summary["mean"] is None and summary["counts"] is None
    assert all(p["mean"] is None and p["rated"] is None for p in summary["personas"])


def test_ratings_in_steps_of_three_with_small_counts_hidden(db_url: str) -> None:
    ratings = [("tim", 5), ("tim", 4), ("tim", 4), ("luuk", 2), ("luuk", 3), ("joost", 5), ("joost", 4)]
    pupils(db_url, ratings)
    summary = feedback.rating_summary(frame_for(db_url), ["joost", "luuk", "tim"])
    # 7 ratings: the first 6 in the order they were given (the last pupil rated first here) count.
    assert summary["enough"] is True and summary["rated"] == 6
    used = [r for _, r in ratings][1:]
    assert summary["mean"] == round(sum(used) / 6, 1)
    # Used: 4, 4, 2, 3, 5, 4. Only the three 4s may be shown; everything below 3 is hidden.
    assert summary["counts"] == {"1": "<3", "2": "<3", "3": "<3", "4": 3, "5": "<3"}
    by_id = {p["id"]: p for p in summary["personas"]}
    assert by_id["luuk"]["mean"] is None and by_id["joost"]["mean"] is None  # only two each
    assert by_id["tim"]["rated"] is None  # pupil-0 (tim) rated last, so only two tim ratings are in the six


def test_one_more_rating_never_shows_on_its_own(db_url: str) -> None:
    tracker = pupils(db_url, [("tim", 5), ("tim", 1), ("tim", 3)])
    before = feedback.rating_summary(frame_for(db_url), ["tim"])
    add_conversation(tracker, "late", answers={"stage": "klas3"}, persona="tim", scores=(0.5, 0.5, 0.5),
                     start=T0 + 50_000)  # fmt: skip
    rate(tracker, "late", 1, at=T0 + 60_000)
    after = feedback.rating_summary(frame_for(db_url), ["tim"])
    assert before == after


def test_demo_and_unfinished_conversations_do_not_count(db_url: str) -> None:
    tracker = pupils(db_url, [("tim", 5), ("tim", 5), ("tim", 5)])
    add_conversation(tracker, "demo", demo=True, answers={"stage": "klas3"}, persona="tim", scores=(0.5, 0.5, 0.5))
    rate(tracker, "demo", 1, at=T0 + 1)
    add_conversation(tracker, "busy", answers={"stage": "klas3"})
    rate(tracker, "busy", 1, at=T0 + 2)
    summary = feedback.rating_summary(frame_for(db_url), ["tim"])
    assert summary["mean"] == 5.0 and summary["rated"] == 3


def test_mean_rating_per_persona_for_the_validation_report(db_url: str) -> None:
    pupils(db_url, [("tim", 5), ("tim", 4), ("tim", 3), ("luuk", 2)])
    report = feedback.mean_by_persona(frame_for(db_url))
    assert report["tim"]["rated"] == 3 and report["tim"]["mean"] == 4.0
    assert report["tim"]["by_fit"]["good"] == {"rated": 3, "mean": 4.0}
    assert report["luuk"] == {"rated": 1, "mean": None, "by_fit": {"good": {"rated": 1, "mean": None}}}


def test_whole_number_ratings_from_pandas_count(db_url: str) -> None:
    """Without any text in the store, pandas gives the ratings as numpy.int64: they must count all the same."""
    tracker = pupils(db_url, [("tim", None), ("tim", None), ("tim", None)])
    for i, rating in enumerate((5, 4, 3)):
        rate(tracker, f"pupil-{i}", rating, at=T0 + 10_000)
    rows = store.last_slot_values(["feedback_rating", "feedback_text"], db_url=db_url)
    assert list(rows["value"]) == [5, 4, 3]
    frame = feedback.with_feedback(store.load_conversations("ABCDEF", db_url=db_url), db_url=db_url)
    assert sorted(frame["feedback_rating"]) == [3.0, 4.0, 5.0]
    assert feedback.rating_summary(frame, ["tim"])["mean"] == 4.0
    assert feedback.rating_of(np.int64(4)) == 4 and feedback.rating_of(np.float64(2.0)) == 2
    assert feedback.rating_of(True) is None and feedback.rating_of("4") is None and feedback.rating_of(4.5) is None


def test_csv_cells_hold_the_rating_only() -> None:
    assert feedback.CSV_COLUMNS == ("feedback_rating",)
    assert feedback.csv_values({"feedback_rating": 4.0, "feedback_text": "ik ben Sanne uit 4B"}) == [4]
    assert feedback.csv_values({"feedback_rating": float("nan"), "feedback_text": None}) == [""]
    assert feedback.csv_values({}) == [""]
    assert feedback.csv_values({"feedback_rating": 9.0}) == [""]


def test_texts_are_only_counted_and_never_below_three(db_url: str) -> None:
    tracker = pupils(db_url, [("tim", 4), ("tim", 5), ("luuk", 3)])  # each with a text
    summary = feedback.rating_summary(frame_for(db_url), ["joost", "luuk", "tim"])
    assert summary["with_text"] == 3
    rate(tracker, "pupil-2", 3, text="   ", at=T0 + 9_800)  # an empty text is no text
    summary = feedback.rating_summary(frame_for(db_url), ["joost", "luuk", "tim"])
    assert summary["with_text"] == "<3"
    assert "tekst" not in str(summary)


def test_a_persona_mean_is_hidden_when_it_would_give_the_others_away(db_url: str, tmp_path: Path) -> None:
    """Six ratings, four of them Tim's: his mean and the overall mean would give the other two pupils' sum."""
    pupils(db_url, [("tim", 5), ("tim", 4), ("tim", 4), ("tim", 5), ("luuk", 1), ("joost", 1)])
    summary = feedback.rating_summary(frame_for(db_url), ["joost", "luuk", "tim"])
    assert summary["rated"] == 6 and summary["mean"] == 3.3
    assert all(p["mean"] is None and p["rated"] is None for p in summary["personas"])
    other = f"sqlite:///{tmp_path / 'other.db'}"
    pupils(other, [("tim", 5), ("tim", 4), ("tim", 4), ("luuk", 1), ("luuk", 2), ("luuk", 2)])
    by_id = {p["id"]: p for p in feedback.rating_summary(frame_for(other), ["luuk", "tim"])["personas"]}
    assert by_id["tim"] == {"id": "tim", "rated": 3, "mean": 4.3}
    assert by_id["luuk"] == {"id": "luuk", "rated": 3, "mean": 1.7}


def test_validation_report_from_the_tracker_store(db_url: str, tmp_path: Path) -> None:
    missing = f"sqlite:///{tmp_path / 'nothing' / 'here.db'}"
    lines = feedback.validation_report(missing, {"joost": "Joost"})
    assert "No ratings yet" in "\n".join(lines)
    assert not (tmp_path / "nothing").exists(), "looking must not create a database"
    tracker = pupils(db_url, [("tim", 5), ("tim", 4), ("tim", 3), ("luuk", 2), ("joost", None)])
    add_conversation(tracker, "weak", answers={"stage": "klas3"}, persona="luuk", scores=(0.5, 0.5, 0.5))
    rate(tracker, "weak", 4)
    text = "\n".join(feedback.validation_report(db_url, {"joost": "Joost", "luuk": "Luuk", "tim": "Tim"}))
    assert "| alumnus | all | good fit |" in text
    assert "| Luuk | <3 ratings (2) | <3 ratings (2) |" in text
    assert "| Tim | 4.0 (3) | 4.0 (3) |" in text
    assert "Joost" not in text.split("|---")[1], "no rating, no row"
    assert "5 rating(s) in all." in text


def test_no_database_tables_yet(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    assert feedback.load_feedback(db_url=url).empty
    assert store.last_slot_values(["persona"], db_url=url).empty


def test_last_slot_values_for_one_conversation(db_url: str) -> None:
    tracker = pupils(db_url, [("tim", 4), ("luuk", 2)])
    tracker_one = asyncio.run(tracker.retrieve("pupil-1"))
    assert isinstance(tracker_one, DialogueStateTracker)
    rows = store.last_slot_values(["persona", "q_stage", "feedback_rating"], sender_id="pupil-1", db_url=db_url)
    assert set(rows["sender_id"]) == {"pupil-1"}
    assert dict(zip(rows["slot"], rows["value"], strict=True)) == {
        "persona": "luuk",
        "q_stage": "klas3",
        "feedback_rating": 2.0,
    }
