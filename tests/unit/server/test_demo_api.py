"""GET /api/demo/<persona>: the answers the widget's demo mode plays, every option of a multi answer included."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot import settings
from bot.core import turn
from bot.core.content import get_personas, get_questionnaire, slot_for
from bot.core.reveal import build_reveal
from bot.plugins.channels import is_allowed_payload
from bot.server import app as web_app

PERSONAS = ("joost", "luuk", "tim")


def served(tmp_path: Path, persona: str) -> tuple[int, Any]:
    config = dataclasses.replace(settings.load(), db_url=f"sqlite:///{tmp_path / 'tracker.db'}", data_dir=tmp_path)

    async def run() -> tuple[int, Any]:
        async with TestClient(TestServer(web_app.create_app(config))) as client:
            response = await client.get(f"/api/demo/{persona}")
            json_body = response.content_type == "application/json"
            return response.status, await response.json() if json_body else await response.text()

    return asyncio.run(run())


def entities(payload: str) -> list[dict[str, Any]]:
    """The entities Rasa reads from a "/intent{json}" payload."""
    body = json.loads(payload[payload.index("{") :])
    return [{"entity": name, "value": value} for name, value in body.items()]


@pytest.mark.parametrize("persona", PERSONAS)
def test_demo_answers_play_the_persona_with_every_option(tmp_path: Path, persona: str) -> None:
    status, body = served(tmp_path, persona)
    assert status == 200 and body["persona"] == persona
    answers = body["answers"]
    own = dict(get_personas()[persona].demo_answers)
    assert set(answers) == set(own)
    slots: dict[str, Any] = {slot_for(q.id): None for q in get_questionnaire().questions}
    for _ in range(30):  # the questions in the order the form asks them, answered by the demo's payloads
        missing = [s for s in turn.required_slots(slots) if slots.get(s) is None]
        if not missing:
            break
        question_id = missing[0].removeprefix("q_")
        payload = answers[question_id]
        assert is_allowed_payload(payload), payload  # the chat channel lets it through
        result = turn.take_turn(question_id, payload, "inform", entities(payload), slots)
        assert result.kind == turn.ANSWER, (question_id, payload)
        slots.update(result.slots)
    state = turn.State.from_slots(slots)
    for question_id, wanted in own.items():
        if question_id in state.answers:
            assert state.answers[question_id] == (list(wanted) if isinstance(wanted, list) else [wanted])
    assert build_reveal(state.model_answers(), state.stage).persona_id == persona


def test_a_multi_answer_carries_all_its_options(tmp_path: Path) -> None:
    multi = {qid: value for qid, value in get_personas()["tim"].demo_answers.items() if isinstance(value, list)}
    assert multi and all(len(value) > 1 for value in multi.values()), "tim.yml should keep a multi answer"
    _, body = served(tmp_path, "tim")
    for question_id, options in multi.items():
        assert body["answers"][question_id] == turn.button_payload(question_id, ",".join(options))


def test_unknown_persona_is_a_404(tmp_path: Path) -> None:
    for persona in ("nobody", "JOOST", "tim%2F..", "a" * 40):
        status, body = served(tmp_path, persona)
        assert status == 404 and body == {"error": "onbekende persona"}
