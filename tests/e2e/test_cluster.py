"""The cluster of `make run-cluster`, started once for this module: PostgreSQL, Redis, two action servers, nginx,
two Rasa servers and the web server. A conversation split over both Rasa servers, two messages of one pupil at
the same moment on different servers, nginx's routing, and the dashboard and retention on PostgreSQL."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from bot import ROOT, settings
from bot.cli import cluster as cluster_cli
from bot.cli import servers
from bot.core.content import get_personas
from bot.core.turn import button_payload as payload_for
from tests.e2e.chat import Chat, button_payload
from tests.e2e.conftest import TEST_ENV, ServerSets, ensure_model, server_set

pytestmark = pytest.mark.e2e

_OFFSET = int(os.environ.get("E2E_PORT_OFFSET", "0"))
TOKEN = TEST_ENV["KEUZESPIEGEL_ADVISOR_TOKEN"]
DAY = 86400.0
ARTIFACTS = ROOT / "tests" / "e2e" / "artifacts" / "cluster-logs"
PUPILS = yaml.safe_load((ROOT / "tests" / "e2e" / "pupils.yml").read_text(encoding="utf-8"))


@dataclasses.dataclass
class Running:
    config: settings.Settings  # rasa_url is nginx, db_url is PostgreSQL
    rasa_urls: list[str]  # the Rasa servers themselves, behind nginx


@server_set("cluster")
@contextmanager
def cluster_servers(directory: Path) -> Iterator[Running]:
    """Starts with the session's other server sets (conftest.ServerSets); `directory` is not used, since
    PostgreSQL runs as the `postgres` user when the tests run as root and its directory must be reachable."""
    state = Path(tempfile.mkdtemp(prefix="keuzespiegel-cluster-e2e-"))
    state.chmod(0o755)
    web_port = 8305 + _OFFSET
    config = dataclasses.replace(
        settings.load({**os.environ, **TEST_ENV}),
        rasa_port=5305 + _OFFSET,
        actions_port=5355 + _OFFSET,
        web_port=web_port,
        host="localhost",
        db_url="",
        data_dir=state,
        cors_origins=(f"http://localhost:{web_port}", f"http://127.0.0.1:{web_port}"),
        advisor_token=TOKEN,
        retention_days=30,
    )
    shape = settings.ClusterSettings(
        rasa_servers=2,
        action_servers=2,
        rasa_base_port=5310 + _OFFSET,
        actions_base_port=5360 + _OFFSET,
        postgres_port=5440 + _OFFSET,
        redis_port=6390 + _OFFSET,
    )
    ensure_model(config)
    env = {
        "KEUZESPIEGEL_ADVISOR_TOKEN": TOKEN,
        "KEUZESPIEGEL_RETENTION_DAYS": "30",
        "KEUZESPIEGEL_RATE_LIMIT": TEST_ENV.get("KEUZESPIEGEL_RATE_LIMIT", "off"),
    }
    try:
        with cluster_cli.running_cluster(config, shape, state, env=env) as stack:
            yield Running(stack.config, stack.rasa_urls)
    finally:
        # Keep the servers' logs for a look after a failure (tests/e2e/artifacts/ is git-ignored).
        shutil.rmtree(ARTIFACTS, ignore_errors=True)
        if (state / "logs").exists():
            shutil.copytree(state / "logs", ARTIFACTS)
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster(server_sets: ServerSets) -> Running:
    return server_sets.get("cluster")


def post(url: str, sender: str, text: str, metadata: dict[str, Any] | None = None) -> tuple[list[dict], dict]:
    """One message to a Rasa server or to nginx; returns the replies and the response headers."""
    body: dict[str, Any] = {"sender": sender, "message": text}
    if metadata:
        body["metadata"] = metadata
    request = urllib.request.Request(
        f"{url}/webhooks/rest/webhook", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=90) as response:
        return json.loads(response.read().decode()), dict(response.headers)


def events(config: settings.Settings, sender: str) -> list[tuple[str, str | None, dict]]:
    engine = sa.create_engine(config.db_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT type_name, action_name, data FROM events WHERE sender_id = :s ORDER BY id"),
                {"s": sender},
            ).all()
    finally:
        engine.dispose()
    return [(row[0], row[1], json.loads(row[2])) for row in rows]


def play_alternating(running: Running, sender: str, answers: dict[str, str]) -> tuple[dict[str, Any] | None, int]:
    """Odd messages to the first Rasa server, even ones to the second; returns the reveal and the turn count."""
    turn = 0

    def send(text: str) -> list[dict[str, Any]]:
        nonlocal turn
        replies, _ = post(running.rasa_urls[turn % 2], sender, text)
        turn += 1
        assert replies, f"no answer to {text!r} on turn {turn}"
        return replies

    replies = send("hoi")
    for _ in range(30):
        if Chat.reveal(replies):
            break
        question = Chat.question(replies)
        assert question is not None, replies
        replies = send(answers[question["question"]])
    return Chat.reveal(replies), turn


def test_conversation_alternating_between_the_rasa_servers_reaches_the_reveal(cluster: Running) -> None:
    for persona, pupil in (("tim", PUPILS["tim"][0]), ("joost", PUPILS["joost"][1])):
        sender = f"cluster-alt-{persona}-{time.time_ns()}"
        reveal, turns = play_alternating(cluster, sender, pupil)
        assert reveal is not None and reveal["persona"] == persona
        assert turns >= 8, "a whole conversation, half of it on each server"
        user_turns = [e for e in events(cluster.config, sender) if e[0] == "user"]
        assert len(user_turns) == turns, "every message of both servers is in the shared tracker store"


def test_nginx_keeps_one_sender_on_one_server_and_spreads_the_rest(cluster: Running) -> None:
    backends = {url.removeprefix("http://") for url in cluster.rasa_urls}
    seen_for_sender: set[str] = set()
    for i in range(6):
        request = urllib.request.Request(
            f"{cluster.config.rasa_url}/webhooks/rest/webhook?sender=sticky-pupil",
            data=json.dumps({"sender": "sticky-pupil", "message": "hoi" if i == 0 else "weet ik niet"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=90) as response:
            seen_for_sender.add(response.headers["X-Keuzespiegel-Upstream"])
    assert len(seen_for_sender) == 1 and seen_for_sender <= backends

    header_seen = set()
    for _ in range(4):
        request = urllib.request.Request(
            f"{cluster.config.rasa_url}/webhooks/rest/webhook",
            data=json.dumps({"sender": "header-pupil", "message": "hoi"}).encode(),
            headers={"Content-Type": "application/json", "X-Keuzespiegel-Sender": "header-pupil"},
        )
        with urllib.request.urlopen(request, timeout=90) as response:
            header_seen.add(response.headers["X-Keuzespiegel-Upstream"])
    assert len(header_seen) == 1

    anonymous = set()
    for i in range(4):
        _, headers = post(cluster.config.rasa_url, f"no-key-{i}-{time.time_ns()}", "hoi")
        anonymous.add(headers["X-Keuzespiegel-Upstream"])
    assert anonymous == backends, "without a sender key nginx balances round robin over both servers"


def send_at_once(targets: list[tuple[str, str]], sender: str) -> list[list[dict[str, Any]] | None]:
    """Post each (server, text) from its own thread, released together by a barrier."""
    results: list[list[dict[str, Any]] | None] = [None] * len(targets)
    barrier = threading.Barrier(len(targets))

    def fire(i: int) -> None:
        barrier.wait()
        results[i] = post(targets[i][0], sender, targets[i][1])[0]

    threads = [threading.Thread(target=fire, args=(i,)) for i in range(len(targets))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_two_messages_of_one_pupil_at_the_same_moment_are_handled_one_after_the_other(cluster: Running) -> None:
    answers = get_personas()["luuk"].demo_answers
    for attempt in range(4):
        sender = f"cluster-race-{attempt}-{time.time_ns()}"
        replies, _ = post(cluster.rasa_urls[0], sender, "hoi")
        question = Chat.question(replies)
        assert question is not None and question["question"] == "stage"
        first = button_payload(replies, answers["stage"])
        texts = [first, "weet ik niet"]
        results = send_at_once(list(zip(cluster.rasa_urls, texts, strict=True)), sender)
        assert all(results), "both servers answered"

        stored = events(cluster.config, sender)
        users = [i for i, e in enumerate(stored) if e[0] == "user"]
        assert len(users) == 3, f"attempt {attempt}: every message is stored once: {[e[2].get('text') for e in stored]}"
        second, third = users[1], users[2]
        between = [e for e in stored[second:third] if e[0] == "action"]
        assert between and between[-1][1] == "action_listen", (
            f"attempt {attempt}: the second message started before the first was finished"
        )
        assert stored[-1][0] == "action" and stored[-1][1] == "action_listen"
        texts_in_order = [stored[i][2].get("text") for i in (second, third)]
        assert sorted(texts_in_order) == sorted(texts)
        # The message handled second saw the first one's answer: the stage question was not asked again after it.
        last_question = Chat.question(results[texts.index(texts_in_order[1])] or [])
        assert last_question is None or last_question["question"] != "stage"


def test_dashboard_and_retention_work_on_postgresql(cluster: Running) -> None:
    config = cluster.config
    status, body = _web(config, "/dashboard/api/workshops", data={"name": "cluster e2e"})
    assert status == 201, body
    code = json.loads(body)["code"]
    finished = []
    for persona in ("joost", "luuk", "tim"):
        answers = {
            qid: payload_for(qid, chosen[0] if isinstance(chosen, list) else chosen)
            for qid, chosen in get_personas()[persona].demo_answers.items()
        }
        chat = Chat(config, metadata={"workshop": code})
        reveal = chat.play(answers)
        assert reveal["persona"] == persona
        finished.append(chat.sender)
    halfway = Chat(config, metadata={"workshop": code})
    replies = halfway.send("hoi")
    for _ in range(2):
        question = Chat.question(replies)
        assert question is not None
        option = get_personas()["tim"].demo_answers[question["question"]]
        replies = halfway.send(button_payload(replies, option[0] if isinstance(option, list) else option))

    status, body = _web(config, f"/dashboard/api/workshops/{code}/summary")
    assert status == 200, body
    summary = json.loads(body)
    assert (summary["started"], summary["finished"], summary["in_progress"]) == (4, 3, 1)
    assert sorted(p["id"] for p in summary["personas"]) == ["joost", "luuk", "tim"]

    engine = sa.create_engine(config.db_url)
    old = [halfway.sender, finished[0]]
    with engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE events SET timestamp = timestamp - :age WHERE sender_id IN :senders").bindparams(
                sa.bindparam("senders", expanding=True)
            ),
            {"age": 40 * DAY, "senders": old},
        )
    result = subprocess.run(
        [sys.executable, "-m", "bot", "purge"],
        cwd=ROOT,
        env={**servers.child_env(config), "KEUZESPIEGEL_RETENTION_DAYS": "30"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "removed 2 conversation(s)" in result.stdout, result.stdout + result.stderr
    with engine.connect() as connection:
        left = {r[0] for r in connection.execute(sa.text("SELECT DISTINCT sender_id FROM events"))}
    engine.dispose()
    assert not set(old) & left and set(finished[1:]) <= left
    status, body = _web(config, f"/dashboard/api/workshops/{code}/summary")
    summary = json.loads(body)
    assert (summary["started"], summary["finished"], summary["in_progress"]) == (2, 2, 0)


def _web(config: settings.Settings, path: str, data: dict[str, Any] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(
        f"{config.web_url}{path}",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
        data=json.dumps(data).encode() if data is not None else None,
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
