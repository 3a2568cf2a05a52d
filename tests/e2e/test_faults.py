"""Faults in the middle of a pupil's conversation (issue 12): the pupil goes on and reaches the reveal with
every earlier answer kept.

- the Rasa server is killed (SIGKILL) and started again, also right after it stored an answer whose reply
  the widget never got (the widget's copy of the message counts once);
- the action server is restarted;
- the database is locked by another writer for a few seconds (and, longer than Rasa waits, for 15 s);
- the web server restarts while the widget is open: the widget keeps its conversation, shows its Dutch
  error while the bot is away, and its retry button delivers the answer once the servers are back.

These tests stop and start servers, so they run on a stack of their own (conftest.own_stack).
"""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
import time
import urllib.error
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect, sync_playwright

from bot.cli import servers
from bot.core.content import get_personas, get_questionnaire
from bot.plugins import channels
from bot.settings import Settings
from tests.e2e.browser_support import DESKTOP, first, launch, widget_page
from tests.e2e.chat import Chat
from tests.e2e.conftest import ServerSets, own_stack, server_set

pytestmark = pytest.mark.e2e

ERROR_TEXT = "Het lukt nu even niet om de chatbot te bereiken. Probeer het zo nog eens."
PERSONA = "tim"


@server_set("faulty")
def faulty_servers(directory: Path) -> AbstractContextManager[servers.Stack]:
    return own_stack(directory, 400)


@pytest.fixture(scope="module")
def faulty(server_sets: ServerSets) -> servers.Stack:
    return server_sets.get("faulty")


def chosen() -> dict[str, str]:
    """Tim's answers, one option per question."""
    return {qid: first(value) for qid, value in get_personas()[PERSONA].demo_answers.items()}


def payload(question: str) -> str:
    return "/inform" + json.dumps({"option": f"{question}.{chosen()[question]}"})


def stored_answers(config: Settings, sender: str) -> dict[str, Any]:
    """The last value of every q_ slot of a conversation, read from the tracker store."""
    engine = sa.create_engine(config.db_url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT action_name, data FROM events WHERE sender_id = :s AND type_name = 'slot' "
                "AND action_name LIKE 'q\\_%' ESCAPE '\\' ORDER BY id"
            ),
            {"s": sender},
        ).fetchall()
    engine.dispose()
    values: dict[str, Any] = {}
    for name, data in rows:
        values[name[2:]] = json.loads(data).get("value")
    return {k: v for k, v in values.items() if v is not None}


def answer_some(chat: Chat, count: int) -> tuple[list[str], str]:
    """Start and answer `count` questions; returns the questions answered and the one now asked."""
    replies = chat.send("hoi")
    asked = []
    for _ in range(count):
        question = Chat.question(replies)
        assert question is not None, chat.pretty()
        asked.append(question["question"])
        replies = chat.send(payload(question["question"]))
    pending = Chat.question(replies)
    assert pending is not None, chat.pretty()
    return asked, pending["question"]


def finish(config: Settings, chat: Chat, asked: list[str], pending: str, replies: list[dict[str, Any]]) -> None:
    """From the reply to the pending question on: to the reveal, and every answer is in the tracker store."""
    question = Chat.question(replies)
    assert question is not None and question["question"] not in [*asked, pending], chat.pretty()
    reveal = chat.play({qid: payload(qid) for qid in chosen()}, opening=payload(question["question"]))
    assert reveal["persona"] == PERSONA, chat.pretty()
    stored = stored_answers(config, chat.sender)
    for qid in [*asked, pending]:
        assert stored.get(qid) == chosen()[qid], f"{qid}: {stored.get(qid)!r}"
    assert stored == {qid: chosen()[qid] for qid in all_questions()}, "every answer once, nothing else"


def all_questions() -> list[str]:
    return [q.id for q in get_questionnaire().questions_for(chosen()["stage"])]


@dataclass
class KilledRasa:
    """Two conversations across one SIGKILL and restart of Rasa (a restart takes about 30 s, so they share it).

    `waiting`: four answers given, the fifth sent while Rasa is down (it fails), replies to the widget's retry.
    `lost_reply`: the fourth answer stored, Rasa killed before the widget got the replies; `first_try` is what
    Rasa answered, `again` what the widget's copy of that message (same message id) got after the restart."""

    waiting: Chat
    waiting_asked: list[str]
    waiting_pending: str
    waiting_replies: list[dict[str, Any]]
    lost_reply: Chat
    lost_asked: list[str]
    lost_pending: str
    first_try: list[dict[str, Any]]
    again: list[dict[str, Any]]


@pytest.fixture(scope="module")
def killed_rasa(faulty: servers.Stack) -> KilledRasa:
    config = faulty.config
    waiting = Chat(config)
    waiting_asked, waiting_pending = answer_some(waiting, 4)
    lost_reply = Chat(config)
    lost_asked, lost_pending = answer_some(lost_reply, 3)
    lost_reply.metadata = {"message_id": "answer-4"}
    first_try = lost_reply.send(payload(lost_pending))

    faulty.kill("rasa", signal.SIGKILL)  # nothing of the last turn is left in memory
    with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
        waiting.send(payload(waiting_pending), timeout=10)
    faulty.restart("rasa")

    waiting_replies = waiting.send(payload(waiting_pending))  # the widget's retry sends the same answer again
    lost_reply.metadata = {"message_id": "answer-4", "retry": True}
    again = lost_reply.send(payload(lost_pending))
    lost_reply.metadata = {}
    return KilledRasa(
        waiting, waiting_asked, waiting_pending, waiting_replies, lost_reply, lost_asked, lost_pending, first_try, again
    )


def test_rasa_killed_and_started_again(faulty: servers.Stack, killed_rasa: KilledRasa) -> None:
    k = killed_rasa
    finish(faulty.config, k.waiting, k.waiting_asked, k.waiting_pending, k.waiting_replies)


def test_an_answer_sent_again_after_a_restart_counts_once(faulty: servers.Stack, killed_rasa: KilledRasa) -> None:
    """The answer was stored but its reply never reached the widget (Rasa died): the widget's copy with the
    same message id gets the same replies and is not taken as the answer to the next question."""
    k = killed_rasa
    following = Chat.question(k.first_try)
    assert following is not None and following["question"] != k.lost_pending, k.lost_reply.pretty()
    assert Chat.texts(k.again) == Chat.texts(k.first_try)
    assert Chat.buttons(k.again) == Chat.buttons(k.first_try)
    assert Chat.question(k.again) == following
    assert following["question"] not in stored_answers(faulty.config, k.lost_reply.sender)
    finish(faulty.config, k.lost_reply, k.lost_asked, k.lost_pending, k.again)


def test_action_server_restarted(faulty: servers.Stack) -> None:
    config = faulty.config
    chat = Chat(config)
    asked, pending = answer_some(chat, 3)
    faulty.kill("actions", signal.SIGTERM)
    with pytest.raises(urllib.error.HTTPError) as failed:
        chat.send(payload(pending))
    assert failed.value.code == 503, "not a silent empty answer: the widget shows its retry"
    assert json.loads(failed.value.read()) == {"error": channels.UNAVAILABLE}
    faulty.restart("actions")
    replies = chat.send(payload(pending))
    finish(config, chat, asked, pending, replies)


def hold_lock(path: str, seconds: float, locked: threading.Event) -> None:
    """Another writer: an exclusive transaction on the SQLite file for `seconds`."""
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        connection.execute("BEGIN EXCLUSIVE")
        locked.set()
        time.sleep(seconds)
        connection.execute("ROLLBACK")
    finally:
        connection.close()


@pytest.mark.parametrize("seconds", [4.0, 15.0], ids=["4s", "15s"])
def test_database_locked_by_another_writer(faulty: servers.Stack, seconds: float) -> None:
    config = faulty.config
    assert config.sqlite_path is not None
    chat = Chat(config)
    asked, pending = answer_some(chat, 3)
    locked = threading.Event()
    holder = threading.Thread(target=hold_lock, args=(str(config.sqlite_path), seconds, locked))
    holder.start()
    assert locked.wait(10)
    started = time.monotonic()
    try:
        replies = chat.send(payload(pending))
        # Rasa waits up to 10 s for the lock: a lock of a few seconds only delays the answer.
        assert seconds < 10, "a 15 s lock cannot be waited out"
        assert time.monotonic() - started >= seconds - 1.5
    except urllib.error.HTTPError as error:
        assert seconds >= 10 and error.code == 503, error.code
        assert json.loads(error.read()) == {"error": channels.UNAVAILABLE}
        holder.join()
        replies = chat.send(payload(pending))  # the widget's retry, once the lock is gone
    holder.join()
    finish(config, chat, asked, pending, replies)


def test_web_server_restart_with_the_widget_open(faulty: servers.Stack) -> None:
    config = faulty.config
    answers = chosen()
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            with widget_page(browser, config.web_url, DESKTOP) as widget:
                widget.goto()
                widget.open()
                for _ in range(2):
                    widget.wait_idle()
                    question = widget.question()
                    assert question
                    widget.click_option(question, answers[question])
                widget.wait_idle()
                sender = widget.stored()["sender"]

                # The web server goes away: the open widget still talks to Rasa.
                faulty.kill("web", signal.SIGTERM)
                question = widget.question()
                assert question
                widget.click_option(question, answers[question])
                widget.wait_idle()

                # Rasa goes away too: the Dutch error, the answer kept, a retry button.
                faulty.kill("rasa", signal.SIGKILL)
                question = widget.question()
                assert question
                before = len(widget.user_messages())
                widget.click_option(question, answers[question])
                expect(widget.by("error")).to_contain_text(ERROR_TEXT, timeout=20_000)
                expect(widget.by("retry")).to_be_visible()
                assert len(widget.user_messages()) == before, "an undelivered answer must not look sent"

                faulty.restart("web", "rasa")
                widget.by("retry").click()
                widget.wait_idle()
                expect(widget.by("error")).to_be_hidden()
                assert widget.question() != question, "the retried answer did not reach the bot"

                # A reload, served by the restarted web server, brings back the same conversation.
                widget.page.reload()
                widget.open()
                assert widget.stored()["sender"] == sender
                widget.play_buttons(answers)
                expect(widget.by("persona-card")).to_have_attribute("data-persona", PERSONA)
                portrait = widget.by("persona-portrait")
                expect(portrait).to_be_visible()
                assert portrait.evaluate("img => img.complete && img.naturalWidth > 0")
                assert widget.errors == []
        finally:
            browser.close()
    assert stored_answers(config, sender) == {qid: answers[qid] for qid in all_questions()}
