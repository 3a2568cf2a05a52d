"""Dashboard figures from a real Rasa SQL tracker store (temporary SQLite database).

The helpers here (fake questionnaire, conversation writer) are shared by the other workshop tests.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

from rasa.core.tracker_store import SQLTrackerStore  # noqa: E402
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered  # noqa: E402
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402

from bot.workshops import store, summary  # noqa: E402

T0 = 1_700_000_000.0


@dataclass
class FakeOption:
    id: str
    label: str


@dataclass
class FakeQuestion:
    id: str
    text: str
    options: list[FakeOption]
    multi: bool = False
    phase: str = "now"

    def text_for(self, stage: str | None) -> str:
        return self.text


@dataclass
class FakeQuestionnaire:
    questions: list[FakeQuestion] = field(default_factory=list)

    def questions_for(self, stage: str | None) -> list[FakeQuestion]:
        return list(self.questions)


@dataclass
class FakePosition:
    exploration: float
    commitment: float


@dataclass
class FakePersona:
    id: str
    name: str
    position: FakePosition


def _options(*pairs: str) -> list[FakeOption]:
    return [FakeOption(*pair.split("=", 1)) for pair in pairs]


QUESTIONNAIRE = FakeQuestionnaire(
    [
        FakeQuestion(
            "stage",
            "Waar sta je nu?",
            _options("klas3=Klas 3", "bovenbouw=Bovenbouw", "examen=Examenjaar", "student=Student"),
        ),
        FakeQuestion("hobbies", "Hobby's?", _options("same=Steeds dezelfde", "many=Veel")),
        FakeQuestion(
            "drive", "Wat drijft je?", _options("challenge=Uitdaging", "people=Mensen", "tech=Techniek"), multi=True
        ),
    ]
)
PERSONAS = {
    "joost": FakePersona("joost", "Joost", FakePosition(0.15, 0.9)),
    "luuk": FakePersona("luuk", "Luuk", FakePosition(0.8, 0.3)),
    "tim": FakePersona("tim", "Tim", FakePosition(0.8, 0.8)),
}


@pytest.fixture()
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tracker.db'}"


def tracker_store(db_url: str) -> SQLTrackerStore:
    return SQLTrackerStore(host=db_url)


def add_conversation(
    tracker: SQLTrackerStore,
    sender: str,
    *,
    workshop: str | None = "ABCDEF",
    answers: Mapping[str, str | Sequence[str]] | None = None,
    persona: str | None = None,
    scores: tuple[float, float, float] | None = None,
    demo: bool = False,
    start: float = T0,
) -> float:
    """Store one conversation as Rasa would (user/bot/action/slot events); returns its last timestamp."""
    ts = start
    metadata: dict[str, Any] = {}
    if workshop:
        metadata["workshop"] = workshop
    if demo:
        metadata["demo"] = True
    events: list[Any] = [
        ActionExecuted("action_session_start", timestamp=ts),
        ActionExecuted("action_listen", timestamp=ts),
    ]
    ts += 1
    events.append(UserUttered("hoi", intent={"name": "greet"}, metadata=metadata, timestamp=ts))
    if workshop:
        events.append(SlotSet("workshop", workshop, timestamp=ts))
    if demo:
        events.append(SlotSet("demo", True, timestamp=ts))
    for question_id, answer in (answers or {}).items():
        ts += 5
        value = answer if isinstance(answer, str) else ",".join(answer)
        events.append(BotUttered(f"vraag {question_id}", timestamp=ts))
        events.append(ActionExecuted("action_listen", timestamp=ts))
        ts += 5
        events.append(UserUttered(f"antwoord {value}", metadata=metadata, timestamp=ts))
        events.append(SlotSet(f"q_{question_id}", value, timestamp=ts))
    if scores is not None:
        ts += 1
        for name, value in zip(("exploration", "commitment", "reconsideration"), scores, strict=True):
            events.append(SlotSet(name, value, timestamp=ts))
    if persona is not None:
        ts += 1
        events.append(ActionExecuted("action_reveal", timestamp=ts))
        events.append(SlotSet("persona", persona, timestamp=ts))
        events.append(SlotSet("fit", "good", timestamp=ts))
        events.append(
            BotUttered("Je lijkt op ...", data={"custom": {"type": "reveal", "persona": persona}}, timestamp=ts)
        )
    asyncio.run(tracker.save(DialogueStateTracker.from_events(sender, events)))
    return ts


def fill_workshop(tracker: SQLTrackerStore) -> None:
    """9 finished pupils, 2 halfway, 1 demo, 1 pupil of another workshop."""
    pupils = [
        ("klas3", "many", ["challenge", "tech"], "tim", (0.81, 0.77, 0.3)),
        ("klas3", "many", ["tech"], "tim", (0.7, 0.8, 0.2)),
        ("klas3", "many", ["challenge"], "tim", (0.9, 0.7, 0.1)),
        ("bovenbouw", "many", ["people"], "luuk", (0.8, 0.2, 0.6)),
        ("bovenbouw", "many", ["people", "tech"], "luuk", (0.75, 0.3, 0.5)),
        ("bovenbouw", "same", ["challenge"], "joost", (0.1, 0.9, 0.05)),
        ("bovenbouw", "same", ["tech"], "joost", (0.2, 0.95, 0.1)),
        ("examen", "same", ["tech"], "joost", (0.15, 0.85, 0.0)),
        ("bovenbouw", "dont_know", ["challenge"], "joost", (0.3, 0.8, 0.2)),
    ]
    for i, (stage, hobbies, drive, persona, scores) in enumerate(pupils):
        add_conversation(
            tracker,
            f"pupil-{i}",
            answers={"stage": stage, "hobbies": hobbies, "drive": drive},
            persona=persona,
            scores=scores,
            start=T0 + 100 * i,
        )
    add_conversation(tracker, "halfway-1", answers={"stage": "student"}, start=T0 + 50)
    add_conversation(tracker, "halfway-2", answers={"stage": "klas3", "hobbies": "many"}, start=T0 + 60)
    full = {"stage": "student", "hobbies": "same", "drive": "people"}
    add_conversation(tracker, "demo-1", demo=True, answers=full, persona="joost", scores=(0.5, 0.5, 0.5), start=T0 + 70)
    add_conversation(
        tracker, "other-1", workshop="ZZZZZZ", answers=full, persona="luuk", scores=(0.5, 0.5, 0.5), start=T0 + 80
    )


def summary_for(db_url: str, code: str = "ABCDEF") -> dict[str, Any]:
    frame = store.load_conversations(code, db_url=db_url)
    return summary.summarize(frame, QUESTIONNAIRE, PERSONAS)


def options(summary: dict[str, Any], question_id: str) -> dict[str, int | str]:
    question = next(q for q in summary["questions"] if q["id"] == question_id)
    return {o["id"]: o["count"] for o in question["options"]}


def test_store_reads_one_row_per_conversation(db_url: str) -> None:
    tracker = tracker_store(db_url)
    fill_workshop(tracker)
    everything = store.load_conversations(db_url=db_url)
    assert len(everything) == 13
    frame = store.load_conversations("abcdef", db_url=db_url)
    assert sorted(frame["sender_id"]) == sorted([f"pupil-{i}" for i in range(9)] + ["halfway-1", "halfway-2", "demo-1"])
    row = frame.set_index("sender_id").loc["pupil-0"]
    assert row["q_drive"] == "challenge,tech"
    assert row["persona"] == "tim" and bool(row["finished"]) and not bool(row["demo"])
    assert row["exploration"] == pytest.approx(0.81)
    assert row["started"] == T0 and row["last_event"] > row["started"]
    assert bool(frame.set_index("sender_id").loc["demo-1", "demo"])
    assert not bool(frame.set_index("sender_id").loc["halfway-1", "finished"])


def test_last_slot_event_wins(db_url: str) -> None:
    tracker = tracker_store(db_url)
    add_conversation(tracker, "changer", answers={"stage": "klas3"})
    tracker_events = asyncio.run(tracker.retrieve("changer"))
    assert tracker_events is not None
    tracker_events.update(SlotSet("q_stage", "examen", timestamp=T0 + 500))
    asyncio.run(tracker.save(tracker_events))
    frame = store.load_conversations("ABCDEF", db_url=db_url)
    assert frame.loc[0, "q_stage"] == "examen"


def test_summary_figures_and_demo_exclusion(db_url: str) -> None:
    fill_workshop(tracker_store(db_url))
    summary = summary_for(db_url)
    assert summary["started"] == 11
    assert summary["finished"] == 9
    assert summary["in_progress"] == 2
    assert summary["demo_left_out"] == 1
    assert summary["shown"] == 9
    # Luuk's 2 is hidden, and Tim's 3 with it: otherwise 9 - 4 - 3 would give Luuk's count away.
    assert {p["id"]: p["count"] for p in summary["personas"]} == {"joost": 4, "luuk": "<3", "tim": "<3"}
    assert len(summary["points"]) == 9
    assert summary["points"] == sorted(
        summary["points"], key=lambda p: (p["exploration"], p["commitment"], p["reconsideration"])
    )
    assert all(set(p) == {"exploration", "commitment", "reconsideration"} for p in summary["points"])
    assert "sender" not in repr(summary) and "pupil-" not in repr(summary)


def test_counts_below_three_are_suppressed_without_leaking(db_url: str) -> None:
    fill_workshop(tracker_store(db_url))
    summary = summary_for(db_url)
    # stage: klas3 3, bovenbouw 5, examen 1, student 0 -> examen and student hidden (together 1, so the
    # smallest visible cell klas3 is hidden too).
    assert options(summary, "stage") == {
        "klas3": "<3",
        "bovenbouw": 5,
        "examen": "<3",
        "student": "<3",
        "dont_know": "<3",
    }
    # hobbies: many 5, same 3, dont_know 1 -> dont_know alone would follow from the total: hide same too.
    assert options(summary, "hobbies") == {"same": "<3", "many": 5, "dont_know": "<3"}
    # drive (multi): challenge 4, people 2, tech 5 -> people hidden; total not fixed, but hidden again safely.
    drive = options(summary, "drive")
    assert drive["people"] == "<3" and drive["challenge"] == "<3" and drive["tech"] == 5
    for question in summary["questions"]:
        assert "total" not in question and "answered" not in question


def test_suppress_rules() -> None:
    assert summary.suppress({"a": 10, "b": 5}) == {"a": 10, "b": 5}
    assert summary.suppress({"a": 10, "b": 0}) == {"a": 10, "b": "<3"}
    assert summary.suppress({"a": 10, "b": 2, "c": 2}) == {"a": 10, "b": "<3", "c": "<3"}
    assert summary.suppress({"a": 10, "b": 1, "c": 0}) == {"a": "<3", "b": "<3", "c": "<3"}
    assert summary.suppress({"a": 10, "b": 4, "c": 1}) == {"a": 10, "b": "<3", "c": "<3"}


def test_figures_move_in_steps_of_three(db_url: str) -> None:
    tracker = tracker_store(db_url)
    for i in range(4):
        add_conversation(
            tracker, f"p{i}", answers={"stage": "klas3"}, persona="tim", scores=(0.8, 0.8, 0.2), start=T0 + 100 * i
        )
    figures = summary_for(db_url)
    assert figures["finished"] == 4 and figures["shown"] == 3
    assert len(figures["points"]) == 3
    assert options(figures, "stage")["klas3"] == 3
    few = store.load_conversations("ABCDEF", db_url=db_url).head(2)
    small = summary.summarize(few, QUESTIONNAIRE, PERSONAS)
    assert small["group_large_enough"] is False and small["points"] == []
    assert all(p["count"] is None for p in small["personas"])


def test_empty_database_and_unknown_workshop(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    frame = store.load_conversations("ABCDEF", db_url=url)
    figures = summary.summarize(frame, QUESTIONNAIRE, PERSONAS)
    assert figures["started"] == 0 and figures["finished"] == 0 and figures["points"] == []
    tracker_store(url)
    assert store.load_conversations("NOPE42", db_url=url).empty


def test_real_content_if_available(db_url: str) -> None:
    from bot.core import content

    questionnaire = content.get_questionnaire()
    catalog = summary.question_catalog(questionnaire)
    assert catalog and catalog[0].id == "stage"
    assert {p.id for p in summary.persona_catalog(content.get_personas())} == {"joost", "luuk", "tim"}
    figures = summary.summarize(store.load_conversations("ABCDEF", db_url=db_url))
    assert figures["started"] == 0 and len(figures["questions"]) == len(catalog)
