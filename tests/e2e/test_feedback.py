"""Feedback ("Herken je jezelf?") after the reveal, through the real Rasa and action servers (REST channel)."""

from __future__ import annotations

import csv
import io
import json
import math
import urllib.request
from typing import Any

import pytest

from bot.core.content import get_personas
from bot.core.turn import button_payload
from bot.settings import Settings
from bot.workshops import feedback, registry, store
from tests.e2e.chat import Chat

pytestmark = pytest.mark.e2e

RATING_BUTTONS = [f'/feedback{{"rating": {n}}}' for n in range(1, 6)] + ["/skip_feedback"]


def demo_answers(persona: str) -> dict[str, str]:
    """Button payloads for the alumnus' own answers; multi answers send every option at once."""
    return {
        qid: button_payload(qid, ",".join(chosen) if isinstance(chosen, list) else chosen)
        for qid, chosen in get_personas()[persona].demo_answers.items()
    }


def revealed(stack: Settings, persona: str = "tim") -> tuple[Chat, list[dict[str, Any]]]:
    chat = Chat(stack)
    reveal = chat.play(demo_answers(persona))
    assert reveal["persona"] == persona, chat.pretty()
    return chat, chat.transcript[-1][1]


def stored(stack: Settings, sender: str) -> dict[str, Any]:
    """The stored feedback slots; a slot set to nothing is None (pandas reads it as NaN next to a number)."""
    rows = store.last_slot_values(list(feedback.FEEDBACK_SLOTS), sender_id=sender, db_url=stack.db_url)
    return {
        slot: None if isinstance(value, float) and math.isnan(value) else value
        for slot, value in zip(rows["slot"], rows["value"], strict=True)
    }


def test_rating_then_what_does_not_fit_is_stored_with_the_conversation(stack: Settings) -> None:
    chat, replies = revealed(stack)
    texts = Chat.texts(replies)
    assert any("Herken je jezelf" in t for t in texts), chat.pretty()
    assert [b["payload"] for b in Chat.buttons(replies)][-6:] == RATING_BUTTONS
    assert "Herken je jezelf" in texts[-1], "the rating question comes last, after the reveal"

    replies = chat.send('/feedback{"rating": 2}')
    assert any("Wat klopt er niet?" in t for t in Chat.texts(replies)), chat.pretty()
    assert [b["payload"] for b in Chat.buttons(replies)] == ["/skip_feedback"]

    replies = chat.send("ik twijfel eigenlijk helemaal niet zo veel")
    assert any("Dank je wel" in t for t in Chat.texts(replies)), chat.pretty()
    assert stored(stack, chat.sender) == {
        "feedback_rating": 2.0,
        "feedback_text": "ik twijfel eigenlijk helemaal niet zo veel",
    }
    # The chat goes on as before: questions about the alumni still get an answer.
    replies = chat.send("wat deed Tim na zijn studie?")
    assert Chat.texts(replies) and not any("snap ik niet" in t for t in Chat.texts(replies)), chat.pretty()
    assert stored(stack, chat.sender)["feedback_text"] == "ik twijfel eigenlijk helemaal niet zo veel"


def test_skipping_the_rating_stores_nothing(stack: Settings) -> None:
    chat, _ = revealed(stack, "joost")
    replies = chat.send("/skip_feedback")
    assert any("Prima" in t for t in Chat.texts(replies)), chat.pretty()
    assert stored(stack, chat.sender) == {"feedback_rating": None, "feedback_text": None}


def test_a_rating_without_text(stack: Settings) -> None:
    chat, _ = revealed(stack, "luuk")
    replies = chat.send('/feedback{"rating": 5}')
    assert any("Fijn dat je jezelf herkent" in t for t in Chat.texts(replies)), chat.pretty()
    replies = chat.send("/skip_feedback")
    assert any("Dank je wel" in t for t in Chat.texts(replies)), chat.pretty()
    assert stored(stack, chat.sender) == {"feedback_rating": 5.0, "feedback_text": None}


def test_typed_rating_and_a_made_up_one(stack: Settings) -> None:
    chat, _ = revealed(stack)
    replies = chat.send('/feedback{"rating": 9}')
    assert any("1 tot 5" in t for t in Chat.texts(replies)), chat.pretty()
    assert stored(stack, chat.sender)["feedback_rating"] is None
    replies = chat.send("ik geef een 4")
    assert any("Wat klopt er niet?" in t for t in Chat.texts(replies)), chat.pretty()
    assert stored(stack, chat.sender)["feedback_rating"] == 4.0


def test_distress_while_asked_what_does_not_fit_gets_help_and_is_not_stored(stack: Settings) -> None:
    chat, _ = revealed(stack)
    chat.send('/feedback{"rating": 1}')
    replies = chat.send("ik wil dood")
    text = "\n".join(Chat.texts(replies))
    assert "113" in text and "0800-0432" in text, chat.pretty()
    assert stored(stack, chat.sender) == {"feedback_rating": 1.0, "feedback_text": None}


def advisor_get(stack: Settings, path: str) -> bytes:
    """GET a dashboard address with the advisor token, as the dashboard page does."""
    request = urllib.request.Request(
        f"{stack.web_url}{path}", headers={"Authorization": f"Bearer {stack.advisor_token}"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200, path
        return response.read()


def test_feedback_shows_up_in_the_workshop_figures(stack: Settings) -> None:
    """Three ratings reach the dashboard (an aggregate from 3 on) and the CSV (the rating, never the text)."""
    code = registry.create_workshop("Herken je jezelf? e2e", db_url=stack.db_url).code
    base = f"/dashboard/api/workshops/{code}"
    own_words = "dat klopt niet helemaal voor mij"
    ratings = [4, 5, 3]
    for i, rating in enumerate(ratings):
        chat = Chat(stack, metadata={"workshop": code})
        chat.play(demo_answers("tim"))
        chat.send(f'/feedback{{"rating": {rating}}}')
        chat.send(own_words if i == 0 else "/skip_feedback")
        if i == 1:  # two ratings so far: the dashboard shows nothing yet
            early = json.loads(advisor_get(stack, base + "/summary"))["feedback"]
            assert early["enough"] is False and early["mean"] is None, json.dumps(early)
    frame = feedback.with_feedback(store.load_conversations(code, db_url=stack.db_url), db_url=stack.db_url)
    summary = feedback.rating_summary(frame, ["joost", "luuk", "tim"])
    assert summary["enough"] and summary["rated"] == 3 and summary["mean"] == 4.0, json.dumps(summary)

    served = json.loads(advisor_get(stack, base + "/summary"))
    assert served["feedback"] == summary and served["feedback"]["with_text"] == "<3"
    assert own_words not in json.dumps(served)
    text = advisor_get(stack, base + "/export.csv").decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(r["feedback_rating"] for r in rows) == ["3", "4", "5"]
    assert own_words not in text and "feedback_text" not in text
