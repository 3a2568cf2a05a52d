"""Questions to the alumni through the running servers (issue 15): the issue's own examples after a button path
to Joost, and the glossary as a side step during the questions."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.content import get_personas
from bot.core.turn import button_payload
from bot.settings import Settings
from tests.e2e.chat import Chat

pytestmark = pytest.mark.e2e


def source(replies: list[dict[str, Any]]) -> str | None:
    found = Chat.customs(replies, "answer")
    return found[-1]["source"] if found else None


def text(replies: list[dict[str, Any]]) -> str:
    return "\n".join(Chat.texts(replies))


@pytest.fixture(scope="module")
def after_joost(stack: Settings) -> Chat:
    answers = {
        qid: button_payload(qid, ",".join(chosen) if isinstance(chosen, list) else chosen)
        for qid, chosen in get_personas()["joost"].demo_answers.items()
    }
    chat = Chat(stack)
    reveal = chat.play(answers)
    assert reveal["persona"] == "joost", chat.pretty()
    return chat


def test_why_tim_is_about_tim(after_joost: Chat) -> None:
    replies = after_joost.send("waarom tim eigenlijk?")
    assert source(replies) == "why:tim", after_joost.pretty()
    assert "Waarom Joost?" not in text(replies) and "Tim" in text(replies)


def test_yes_no_about_a_student_society(after_joost: Chat) -> None:
    replies = after_joost.send("was joost lid van een studentenvereniging?")
    assert source(replies) == "yesno:joost:student_society:unknown", after_joost.pretty()
    assert get_personas()["joost"].intro not in text(replies)
    replies = after_joost.send("en was luuk lid van een studentenvereniging?")
    assert source(replies) == "yesno:luuk:student_society:yes", after_joost.pretty()


def test_comparison_of_grades(after_joost: Chat) -> None:
    replies = after_joost.send("wie van de drie had de hoogste cijfers")
    assert source(replies) == "compare:grades" and "cum laude" in text(replies), after_joost.pretty()


@pytest.mark.parametrize(
    ("question", "expected"),
    [("wat is een master?", "glossary:master"), ("wat is een studiekeuzecheck", "glossary:studiekeuzecheck")],
)
def test_glossary_after_the_reveal(after_joost: Chat, question: str, expected: str) -> None:
    assert source(after_joost.send(question)) == expected, after_joost.pretty()


def test_hbo_route(after_joost: Chat) -> None:
    replies = after_joost.send("kan ik ook naar het hbo?")
    assert (source(replies) or "").startswith("hbo:"), after_joost.pretty()
    assert "decaan" in text(replies)


def test_off_topic_is_honest(after_joost: Chat) -> None:
    replies = after_joost.send("wie wordt er kampioen in de eredivisie")
    assert source(replies) == "offtopic" and "niks van" in text(replies), after_joost.pretty()


def test_glossary_side_step_keeps_the_question(stack: Settings) -> None:
    chat = Chat(stack)
    chat.send("hoi")
    replies = chat.send("4 havo")
    assert Chat.question(replies)["question"] == "hobbies_breadth"
    replies = chat.send("wat is een propedeuse?")
    assert source(replies) == "glossary:propedeuse", chat.pretty()
    assert Chat.question(replies)["question"] == "hobbies_breadth", chat.pretty()
    replies = chat.send("ik probeerde van alles")
    assert Chat.question(replies)["question"] == "hobbies_technical", chat.pretty()
