"""What the projector shows only grows (issue 12, row 2) and small counts stay hidden (row 9).

A pupil already on the dashboard must not be able to leave the counted set, by starting over, by a
demo flag, or by switching workshop code; otherwise the next finisher takes their place on screen and
the change shows exactly one classmate's result.
"""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import pytest
from rasa.shared.core.events import SlotSet, UserUttered

from bot.workshops import store, summary
from tests.unit.workshops.test_summary import PERSONAS, QUESTIONNAIRE, T0, add_conversation, tracker_store

CODE = "ABCDEF"


@pytest.fixture()
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tracker.db'}"


def later(db_url: str, sender: str, *events: Any, metadata: dict[str, Any] | None = None) -> None:
    """Append a new user turn to a stored conversation, followed by `events`."""
    tracker = tracker_store(db_url)
    current = asyncio.run(tracker.retrieve(sender))
    assert current is not None
    ts = max(e.timestamp for e in current.events) + 10
    current.update(UserUttered("iets", metadata=metadata or {}, timestamp=ts))
    for event in events:
        event.timestamp = ts + 1
        current.update(event)
    asyncio.run(tracker.save(current))


def figures(db_url: str, code: str = CODE) -> dict[str, Any]:
    return summary.summarize(store.load_conversations(code, db_url=db_url), QUESTIONNAIRE, PERSONAS)


def finish(
    db_url: str,
    sender: str,
    persona: str,
    scores: tuple[float, float, float],
    start: float,
    demo: bool = False,
    workshop: str = CODE,
) -> None:
    add_conversation(
        tracker_store(db_url),
        sender,
        workshop=workshop,
        demo=demo,
        persona=persona,
        scores=scores,
        answers={"stage": "klas3", "hobbies": "many", "drive": ["tech"]},
        start=start,
    )


def three_finished(db_url: str) -> None:
    finish(db_url, "a", "tim", (0.81, 0.77, 0.3), T0)
    finish(db_url, "b", "tim", (0.7, 0.8, 0.2), T0 + 100)
    finish(db_url, "c", "joost", (0.1, 0.9, 0.1), T0 + 200)


def shown(data: dict[str, Any]) -> tuple[Any, ...]:
    return (data["shown"], [(p["id"], p["count"]) for p in data["personas"]], data["points"], data["questions"])


def test_starting_over_does_not_remove_a_shown_result(db_url: str) -> None:
    three_finished(db_url)
    before = figures(db_url)
    assert before["shown"] == 3
    # "Opnieuw beginnen" in the same conversation clears every slot, then new answers and another persona.
    cleared = [
        SlotSet(name, None)
        for name in (
            "persona",
            "fit",
            "exploration",
            "commitment",
            "reconsideration",
            "q_stage",
            "q_hobbies",
            "q_drive",
        )
    ]
    later(db_url, "a", *cleared)
    later(db_url, "a", SlotSet("q_stage", "examen"), SlotSet("q_hobbies", "same"))
    finish(db_url, "d", "luuk", (0.8, 0.2, 0.6), T0 + 300)
    after = figures(db_url)
    assert shown(after) == shown(before), "the 4th finisher must not take the place of the one who started over"
    later(db_url, "a", SlotSet("persona", "luuk"), SlotSet("exploration", 0.9), SlotSet("commitment", 0.1))
    assert shown(figures(db_url)) == shown(before), "a second finish changes nothing either"
    row = store.load_conversations(CODE, db_url=db_url).set_index("sender_id").loc["a"]
    assert row["persona"] == "tim" and row["exploration"] == pytest.approx(0.81) and row["q_stage"] == "klas3"


def test_a_late_demo_flag_is_ignored(db_url: str) -> None:
    three_finished(db_url)
    before = figures(db_url)
    later(db_url, "b", SlotSet("demo", True), metadata={"demo": True})
    finish(db_url, "d", "luuk", (0.8, 0.2, 0.6), T0 + 300)
    after = figures(db_url)
    assert shown(after) == shown(before)
    assert after["demo_left_out"] == 0


def test_a_demo_flag_on_the_first_message_counts(db_url: str) -> None:
    three_finished(db_url)
    finish(db_url, "demo", "luuk", (0.5, 0.5, 0.5), T0 + 50, demo=True)
    data = figures(db_url)
    assert data["demo_left_out"] == 1 and data["finished"] == 3


def test_switching_workshop_code_keeps_the_first(db_url: str) -> None:
    three_finished(db_url)
    before = figures(db_url)
    later(db_url, "c", SlotSet("workshop", "ZZZZZZ"), metadata={"workshop": "ZZZZZZ"})
    finish(db_url, "d", "luuk", (0.8, 0.2, 0.6), T0 + 300)
    assert shown(figures(db_url)) == shown(before)
    assert figures(db_url, "ZZZZZZ")["started"] == 0


def test_order_is_the_first_finish(db_url: str) -> None:
    for i in range(5):
        finish(db_url, f"p{i}", "tim", (0.5 + i / 10, 0.5, 0.2), T0 + 100 * i)
    # p0 finishes again much later: it keeps its first place.
    later(db_url, "p0", SlotSet("persona", "joost"))
    frame = store.load_conversations(CODE, db_url=db_url)
    order = list(frame.sort_values("finished_at")["sender_id"])
    assert order == [f"p{i}" for i in range(5)]


def test_the_shown_set_only_grows_whatever_pupils_do(db_url: str) -> None:
    """A random classroom: pupils finish, start over, switch codes, send demo flags; after every step the
    previous picture must still be contained in the new one."""
    rng = random.Random(12)
    personas = ["joost", "luuk", "tim"]
    finished: list[str] = []
    previous_points: list[dict[str, Any]] = []
    previous_shown = 0
    for step in range(40):
        if finished and rng.random() < 0.5:
            sender = rng.choice(finished)
            action = rng.choice(["over", "demo", "switch", "again"])
            if action == "over":
                later(
                    db_url, sender, SlotSet("persona", None), SlotSet("exploration", None), SlotSet("commitment", None)
                )
            elif action == "demo":
                later(db_url, sender, SlotSet("demo", True))
            elif action == "switch":
                later(db_url, sender, SlotSet("workshop", "ZZZZZZ"))
            else:
                later(
                    db_url,
                    sender,
                    SlotSet("persona", rng.choice(personas)),
                    SlotSet("exploration", rng.random()),
                    SlotSet("commitment", rng.random()),
                )
        else:
            sender = f"pupil-{step}"
            finish(db_url, sender, rng.choice(personas), (rng.random(), rng.random(), rng.random()), T0 + 100 * step)
            finished.append(sender)
        data = figures(db_url)
        assert data["shown"] >= previous_shown
        remaining = list(data["points"])
        for point in previous_points:
            assert point in remaining, f"step {step}: a shown point disappeared"
            remaining.remove(point)
        previous_points, previous_shown = data["points"], data["shown"]
    assert previous_shown == len(finished) // 3 * 3


def test_persona_counts_below_three_are_hidden_and_points_are_coarse(db_url: str) -> None:
    three_finished(db_url)  # tim 2, joost 1, luuk 0
    data = figures(db_url)
    counts = {p["id"]: p["count"] for p in data["personas"]}
    assert counts == {"joost": "<3", "luuk": "<3", "tim": "<3"}
    for point in data["points"]:
        for key in ("exploration", "commitment", "reconsideration"):
            assert round(point[key] * 10, 6) == round(point[key] * 10), point
    assert {(p["exploration"], p["commitment"]) for p in data["points"]} == {(0.8, 0.8), (0.7, 0.8), (0.1, 0.9)}
