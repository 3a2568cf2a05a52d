"""A real classroom workshop through the running servers: pupils over the REST channel, the advisor's
dashboard JSON and CSV, token refusal, and retention."""

from __future__ import annotations

import csv
import io
import json
import random
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa

from bot import ROOT
from bot.cli import servers
from bot.core import model
from bot.core.content import get_questionnaire
from bot.settings import Settings
from bot.workshops import summary
from tests.e2e.chat import Chat, button_payload
from tests.e2e.conftest import TEST_ENV

pytestmark = pytest.mark.e2e

TOKEN = TEST_ENV["KEUZESPIEGEL_ADVISOR_TOKEN"]
FINISHED = 30  # a multiple of 3: the dashboard shows results in steps of 3
HALFWAY = 2
DEMOS = 2
DAY = 86400.0


@dataclass
class Pupil:
    """One simulated pupil with known answers (question id -> option id)."""

    stage: str
    answers: dict[str, str]
    stop_after: int | None = None  # questions answered before walking away
    demo: bool = False
    chat: Chat | None = None
    reveal: dict[str, Any] | None = None
    asked: list[str] = field(default_factory=list)

    def model_answers(self) -> dict[str, Any]:
        questionnaire = get_questionnaire()
        return {qid: [oid] if questionnaire.question(qid).multi else oid for qid, oid in self.answers.items()}

    def expected_persona(self) -> str:
        return model.match(model.score(self.model_answers(), stage=self.stage)).persona_id


def make_pupils(rng: random.Random) -> list[Pupil]:
    """Answers drawn from the questionnaire itself, skewed so some options are rare (< 3)."""
    questionnaire = get_questionnaire()
    stages = ["bovenbouw"] * 12 + ["examen"] * 10 + ["klas3"] * 6 + ["student"] * 2
    rng.shuffle(stages)
    pupils = []
    for i in range(FINISHED + HALFWAY + DEMOS):
        stage = stages[i % len(stages)]
        answers = {}
        for question in questionnaire.questions_for(stage):
            if question.id == "stage":
                answers["stage"] = stage
                continue
            options = [o.id for o in question.options] + ["dont_know"]
            weights = [8 / (k + 1) for k in range(len(options) - 1)] + [0.3]
            answers[question.id] = rng.choices(options, weights=weights)[0]
        pupil = Pupil(stage, answers)
        if i >= FINISHED + HALFWAY:
            pupil.demo = True
        elif i >= FINISHED:
            pupil.stop_after = 4
        pupils.append(pupil)
    return pupils


def run_pupil(config: Settings, code: str, pupil: Pupil) -> Pupil:
    metadata: dict[str, Any] = {"workshop": code}
    if pupil.demo:
        metadata["demo"] = True
    chat = Chat(config, metadata=metadata)
    pupil.chat = chat

    def clicker(option: str) -> Any:
        def click(question: dict[str, Any], replies: list[dict[str, Any]]) -> str:
            pupil.asked.append(question["question"])
            return button_payload(replies, option)

        return click

    if pupil.stop_after is None:
        pupil.reveal = chat.play({qid: clicker(oid) for qid, oid in pupil.answers.items()})
        return pupil
    replies = chat.send("hoi")
    for _ in range(pupil.stop_after):
        question = Chat.question(replies)
        assert question is not None, chat.pretty()
        pupil.asked.append(question["question"])
        replies = chat.send(button_payload(replies, pupil.answers[question["question"]]))
    return pupil


def http(
    config: Settings, path: str, token: str | None = TOKEN, data: dict[str, Any] | None = None
) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps(data).encode() if data is not None else None
    request = urllib.request.Request(f"{config.web_url}{path}", headers=headers, data=body)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@dataclass
class Workshop:
    code: str
    pupils: list[Pupil]

    @property
    def finished(self) -> list[Pupil]:
        return [p for p in self.pupils if p.stop_after is None and not p.demo]


@pytest.fixture(scope="module")
def workshop(stack: Settings) -> Workshop:
    status, body = http(stack, "/dashboard/api/workshops", data={"name": "5V techniekdag (e2e)"})
    assert status == 201, body
    created = json.loads(body)
    code = created["code"]
    assert created["link"] == f"{stack.web_url}/?workshop={code}"
    pupils = make_pupils(random.Random(61))
    with ThreadPoolExecutor(max_workers=4) as pool:
        done = list(pool.map(lambda p: run_pupil(stack, code, p), pupils))
    return Workshop(code, done)


def fetch_summary(config: Settings, code: str) -> dict[str, Any]:
    status, body = http(config, f"/dashboard/api/workshops/{code}/summary")
    assert status == 200, body
    return json.loads(body)


def true_counts(pupils: list[Pupil], question_id: str) -> dict[str, int]:
    question = get_questionnaire().question(question_id)
    counts = {o.id: 0 for o in question.options}
    counts["dont_know"] = 0
    for pupil in pupils:
        if question_id in pupil.answers:
            counts[pupil.answers[question_id]] += 1
    return counts


def test_pupils_get_the_persona_the_model_predicts(workshop: Workshop) -> None:
    for pupil in workshop.finished + [p for p in workshop.pupils if p.demo]:
        assert pupil.reveal is not None and pupil.chat is not None
        assert pupil.reveal["persona"] == pupil.expected_persona(), pupil.chat.pretty()
        assert sorted(pupil.asked) == sorted(pupil.answers), "every question asked exactly once"


def test_dashboard_figures_equal_what_the_pupils_sent(stack: Settings, workshop: Workshop) -> None:
    data = fetch_summary(stack, workshop.code)
    finished = workshop.finished
    assert data["workshop"]["code"] == workshop.code
    assert data["started"] == FINISHED + HALFWAY
    assert data["finished"] == FINISHED and data["shown"] == FINISHED
    assert data["in_progress"] == HALFWAY
    assert data["demo_left_out"] == DEMOS
    expected_personas = Counter(p.expected_persona() for p in finished)
    assert {p["id"]: p["count"] for p in data["personas"]} == summary.suppress(
        {pid: expected_personas.get(pid, 0) for pid in ("joost", "luuk", "tim")}
    )
    # One anonymous, sorted point per finished pupil, the scores in their reveal on the dashboard's 0.1 grid.
    points = [(p["exploration"], p["commitment"]) for p in data["points"]]
    assert points == sorted(points) and len(points) == FINISHED
    sent = sorted((summary.coarse(p.reveal["exploration"]), summary.coarse(p.reveal["commitment"])) for p in finished)
    assert points == sent
    assert workshop.pupils[0].chat is not None
    assert workshop.pupils[0].chat.sender not in json.dumps(data)

    rare_seen = 0
    for question in data["questions"]:
        truth = true_counts(finished, question["id"])
        shown = {o["id"]: o["count"] for o in question["options"]}
        assert shown == summary.suppress(truth), question["id"]
        for option_id, count in shown.items():
            if truth[option_id] < 3:
                assert count == "<3"
                rare_seen += truth[option_id] > 0
            elif count != "<3":
                assert count == truth[option_id]
    assert rare_seen > 0, "the workshop should contain rare answers to test suppression"


def test_csv_equals_what_the_pupils_sent(stack: Settings, workshop: Workshop) -> None:
    status, body = http(stack, f"/dashboard/api/workshops/{workshop.code}/export.csv")
    assert status == 200
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == FINISHED
    assert sorted(int(r["nr"]) for r in rows) == list(range(1, FINISHED + 1))
    questionnaire = get_questionnaire()

    def label(qid: str, oid: str) -> str:
        return "Weet ik niet" if oid == "dont_know" else questionnaire.question(qid).option(oid).label

    question_ids = [q.id for q in summary.question_catalog() if q.id != "stage"]

    def key(stage: str, persona: str, answers: dict[str, str]) -> tuple[str, ...]:
        return (stage, persona, *(answers.get(qid, "") for qid in question_ids))

    expected = Counter(
        key(p.stage, p.expected_persona(), {q: label(q, o) for q, o in p.answers.items() if q != "stage"})
        for p in workshop.finished
    )
    got = Counter(key(r["stage"], r["persona"], {q: r[q] for q in question_ids if r[q]}) for r in rows)
    assert got == expected
    assert all(0.0 <= float(r["exploration"]) <= 1.0 for r in rows)
    assert not any(p.chat and p.chat.sender in body.decode() for p in workshop.pupils)


def test_dashboard_refuses_missing_or_wrong_token(stack: Settings, workshop: Workshop) -> None:
    for path in (
        f"/dashboard/api/workshops/{workshop.code}/summary",
        f"/dashboard/api/workshops/{workshop.code}/export.csv",
        f"/dashboard/api/workshops/{workshop.code}/report.png",
        "/dashboard/api/workshops",
    ):
        assert http(stack, path, token=None)[0] == 401
        assert http(stack, path, token="e2e-advisor-token-7f3b")[0] == 401
    assert http(stack, "/dashboard", token=None)[0] == 401
    status, body = http(stack, "/dashboard")
    assert status == 200 and b"dashboard.js" in body
    status, body = http(stack, f"/dashboard/api/workshops/{workshop.code}/report.png")
    assert status == 200 and body[:4] == b"\x89PNG"


def test_retention_removes_exactly_the_old_conversations(stack: Settings, workshop: Workshop) -> None:
    engine = sa.create_engine(stack.db_url)
    old = [p.chat.sender for p in workshop.pupils if p.chat and p.stop_after is not None]
    old += [p.chat.sender for p in workshop.finished[:3] if p.chat]
    with engine.begin() as connection:
        before = {r[0] for r in connection.execute(sa.text("SELECT DISTINCT sender_id FROM events"))}
        connection.execute(
            sa.text("UPDATE events SET timestamp = timestamp - :age WHERE sender_id IN :senders").bindparams(
                sa.bindparam("senders", expanding=True)
            ),
            {"age": 40 * DAY, "senders": old},
        )
    result = subprocess.run(
        [sys.executable, "-m", "bot", "purge"],
        cwd=ROOT,
        env=servers.child_env(stack),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert f"removed {len(old)} conversation(s)" in result.stdout, result.stdout + result.stderr
    with engine.connect() as connection:
        after = {r[0] for r in connection.execute(sa.text("SELECT DISTINCT sender_id FROM events"))}
    assert after == before - set(old)
    data = fetch_summary(stack, workshop.code)
    assert data["started"] == FINISHED - 3 and data["finished"] == FINISHED - 3 and data["in_progress"] == 0
    assert time.time() - data["generated_at"] < 60
