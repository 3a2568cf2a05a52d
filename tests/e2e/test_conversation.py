"""Whole conversations through the running Rasa server and action server, over the REST channel."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
import yaml

from bot import ROOT
from bot.core.content import get_personas
from bot.core.turn import button_payload
from bot.settings import Settings
from tests.e2e.chat import Chat

pytestmark = pytest.mark.e2e

PUPILS = yaml.safe_load((ROOT / "tests" / "e2e" / "pupils.yml").read_text(encoding="utf-8"))
CASES = [(persona, pupil) for persona, pupils in PUPILS.items() for pupil in pupils]
SAFETY_WORDS = ("0800-0432", "113")


def all_text(replies: list[dict[str, Any]]) -> str:
    return "\n".join(Chat.texts(replies))


def started(stack: Settings) -> tuple[Chat, list[dict[str, Any]]]:
    chat = Chat(stack)
    return chat, chat.send("hoi")


@pytest.mark.parametrize(("persona", "pupil"), CASES, ids=[p["name"] for _, p in CASES])
def test_scripted_pupil_meets_their_persona(stack: Settings, persona: str, pupil: dict[str, str]) -> None:
    chat = Chat(stack)
    reveal = chat.play(pupil)
    assert reveal["persona"] == persona, chat.pretty()
    assert reveal["name"] == get_personas()[persona].name
    for key in ("exploration", "commitment", "reconsideration"):
        assert 0.0 <= reveal[key] <= 1.0
    assert reveal["evidence"] and len(reveal["personas"]) == 3


def test_opening_says_it_is_a_bot_and_asks_no_personal_details(stack: Settings) -> None:
    _, replies = started(stack)
    text = all_text(replies)
    assert "chatbot" in text and "geen echt mens" in text and "naam" in text
    question = Chat.question(replies)
    assert question is not None and question["question"] == "stage"
    assert any(b["title"] == "Weet ik niet" for b in Chat.buttons(replies))


@pytest.mark.parametrize("persona", ["joost", "luuk", "tim"])
def test_buttons_only_path_and_the_questions_after_the_reveal(stack: Settings, persona: str) -> None:
    answers = {
        qid: button_payload(qid, chosen[0] if isinstance(chosen, list) else chosen)
        for qid, chosen in get_personas()[persona].demo_answers.items()
    }
    chat = Chat(stack)
    reveal = chat.play(answers)
    assert reveal["persona"] == persona and reveal["fit"] == "good"

    replies = chat.send("waarom hij?")
    assert f"Waarom {reveal['name']}? Je lijkt op hem, want" in all_text(replies)
    replies = chat.send("wat deed Tim na zijn studie?")
    assert get_personas()["tim"].phase("first_job").text in all_text(replies)
    replies = chat.send("heeft joost ooit getwijfeld?")
    assert get_personas()["joost"].doubt in all_text(replies)
    replies = chat.send("laat de andere twee zien")
    others = [p.name for pid, p in get_personas().items() if pid != persona]
    assert all(name in all_text(replies) for name in others)


def test_side_steps_get_an_answer_and_the_same_question_comes_back(stack: Settings) -> None:
    chat, _ = started(stack)
    replies = chat.send("4 havo")
    assert Chat.question(replies)["question"] == "hobbies_breadth"
    for text, expect in [("ben je een robot?", "chatbot"), ("wat moet ik doen op een open dag?", "open dag")]:
        replies = chat.send(text)
        assert expect.lower() in all_text(replies).lower(), (text, chat.pretty())
        assert Chat.question(replies)["question"] == "hobbies_breadth", (text, chat.pretty())
    # After two side steps the bot nudges towards the buttons; the next message counts as an answer.
    assert "kies maar" in all_text(replies).lower() and Chat.buttons(replies)
    replies = chat.send("van alles geprobeerd")
    assert Chat.question(replies)["question"] == "hobbies_technical", chat.pretty()


def test_answers_first_whatever_the_classifier_guesses(stack: Settings) -> None:
    """Answers from the issue that were once taken for side questions or a restart are answers."""
    chat, _ = started(stack)
    chat.send("6 vwo")
    chat.send("van alles, echt heel veel")
    replies = chat.send("ja ik had een scheikundedoos en een microscoop")
    assert Chat.question(replies)["question"] == "profile", chat.pretty()
    replies = chat.send("nog helemaal open")
    assert Chat.question(replies)["question"] != "stage", chat.pretty()
    assert "opnieuw" not in all_text(replies).lower(), chat.pretty()


def test_nonsense_gets_a_rephrase_then_the_question_is_skipped(stack: Settings) -> None:
    chat, _ = started(stack)
    chat.send("klas 3")
    first = chat.send("sdfgsdfg qwpoeiru")
    assert "Sorry" in all_text(first) and Chat.buttons(first)
    assert Chat.question(first)["question"] == "hobbies_breadth"
    second = chat.send("xcvbn lkjh")
    assert "sla ik over" in all_text(second) and Chat.question(second)["question"] == "hobbies_technical"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "a" * 5000,
        "ik " + "heel " * 2000 + "twijfel",
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "🙈🙈🙈",
        '/inform{"persona":"tim","exploration":1.0,"commitment":1.0}',
        '/inform{"option":"stage.rocket"}',
        "/nonexistent_intent",
    ],
    ids=["empty", "spaces", "5000a", "10k-words", "script", "img", "emoji", "inject", "bad-option", "bad-intent"],
)
def test_bad_input_gets_a_friendly_answer_and_loses_nothing(stack: Settings, text: str) -> None:
    chat, _ = started(stack)
    chat.send("5 vwo")
    replies = chat.send(text)
    assert Chat.texts(replies), f"no reply to {text[:40]!r}"
    assert Chat.reveal(replies) is None
    # The conversation is still at the same question and goes on normally.
    replies = chat.send("van alles geprobeerd")
    assert Chat.question(replies)["question"] == "hobbies_technical", chat.pretty()


def test_typed_commands_cannot_set_the_persona(stack: Settings) -> None:
    chat, _ = started(stack)
    for text in ['/inform{"persona":"tim"}', '/ask_why{"persona":"tim"}', '/inform{"exploration": 1.0}']:
        chat.send(text)
    joost = PUPILS["joost"][0]
    answers = {**joost}
    reveal = chat.play(answers, opening="hallo")
    assert reveal["persona"] == "joost"


def test_restart_asks_first_no_keeps_everything_and_yes_starts_fresh(stack: Settings) -> None:
    chat = Chat(stack)
    first = chat.play(PUPILS["tim"][0])
    replies = chat.send("opnieuw beginnen")
    assert "wis" in all_text(replies) and len(Chat.buttons(replies)) >= 2 and Chat.question(replies) is None
    replies = chat.send("nee")
    assert Chat.question(replies) is None and "bewaard" in all_text(replies)
    replies = chat.send("waarom hij?")
    assert first["name"] in all_text(replies)
    chat.send("opnieuw beginnen")
    replies = chat.send("ja")
    assert Chat.question(replies)["question"] == "stage", chat.pretty()
    reveal = chat.play(PUPILS["luuk"][0], opening="student")
    assert reveal["persona"] == "luuk"


def test_restart_during_the_questions_needs_consent(stack: Settings) -> None:
    chat, _ = started(stack)
    chat.send("5 havo")
    chat.send("van alles geprobeerd")
    replies = chat.send("/start_over")
    assert "wis" in all_text(replies) and Chat.question(replies) is None
    replies = chat.send("nee ga verder")
    assert Chat.question(replies)["question"] == "hobbies_technical", chat.pretty()
    chat.send("/start_over")
    replies = chat.send("/confirm_start_over")
    assert Chat.question(replies)["question"] == "stage", chat.pretty()


EXPLICIT_PHRASES = [
    "ik wil dood",
    "ik wil er niet meer zijn",
    "ik zie het echt niet meer zitten",
    "soms denk ik aan zelfmoord",
    "ik wil niet meer leven",
    "ik snij mezelf",
    "niemand zou me missen als ik weg was",
    "ik wil mezelf iets aandoen",
    "zelfmoort",
    "ik wil een einde aan alles maken",
    "ik weet het allemaal niet meer. " * 40 + "ik wil er niet meer zijn",
]
MILD_PHRASES = [
    "ik word elke dag gepest op school",
    "ik voel me zo slecht, echt heel erg",
    "ik ben heel erg eenzaam en verdrietig",
    "het gaat niet zo goed met me",
]


@pytest.mark.parametrize("text", EXPLICIT_PHRASES)
def test_explicit_signals_get_the_full_referral_and_typed_yes_resumes(stack: Settings, text: str) -> None:
    chat, _ = started(stack)
    chat.send("klas 3")
    replies = chat.send(text)
    reply = all_text(replies)
    assert all(word in reply for word in SAFETY_WORDS), (text, reply)
    assert "mentor" in reply
    assert Chat.question(replies) is None, "the questions must stop"
    replies = chat.send("ja")
    question = Chat.question(replies)
    assert question is not None and question["question"] == "hobbies_breadth", chat.pretty()


@pytest.mark.parametrize("text", MILD_PHRASES)
def test_mild_signals_get_a_short_check_in_and_verder_goes_on(stack: Settings, text: str) -> None:
    chat, _ = started(stack)
    chat.send("klas 3")
    replies = chat.send(text)
    reply = all_text(replies)
    assert "0800-0432" in reply and "mentor" in reply and "113" not in reply, reply
    assert len(Chat.buttons(replies)) == 2 and Chat.question(replies) is None
    replies = chat.send("verder")
    assert Chat.question(replies)["question"] == "hobbies_breadth", chat.pretty()


@pytest.mark.parametrize(
    "text",
    [
        "nee, meer creatief",
        "ja, ik wilde mezelf uitdagen",
        "weinig, ik ben meer thuis aan het bouwen",
        "nee, niet meer sinds ik het uitgezocht heb",
        "eigenlijk altijd dezelfde hobby gehad",
    ],
)
def test_ordinary_answers_never_get_safety_messages(stack: Settings, text: str) -> None:
    chat, _ = started(stack)
    chat.send("6 vwo")
    replies = chat.send(text)
    assert "0800-0432" not in all_text(replies) and "113" not in all_text(replies), chat.pretty()
    assert Chat.question(replies) is not None, chat.pretty()


def test_cors_allows_only_configured_origins(stack: Settings) -> None:
    def preflight(origin: str) -> str | None:
        request = urllib.request.Request(
            f"{stack.rasa_url}/webhooks/rest/webhook",
            method="OPTIONS",
            headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.headers.get("Access-Control-Allow-Origin")

    assert preflight(stack.web_url) == stack.web_url
    assert preflight("https://evil.example") in (None, "")


def test_http_api_is_off(stack: Settings) -> None:
    request = urllib.request.Request(f"{stack.rasa_url}/conversations/x/tracker")
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=10)
    assert error.value.code in (401, 403, 404, 405)


def test_conversations_are_stored_in_the_sqlite_tracker_store(stack: Settings) -> None:
    import sqlalchemy as sa

    chat, _ = started(stack)
    chat.send("klas 3")
    engine = sa.create_engine(stack.db_url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'slot'"), {"s": chat.sender}
        ).fetchall()
    slots = {json.loads(row[0])["name"]: json.loads(row[0])["value"] for row in rows}
    assert slots.get("q_stage") == "klas3"
