"""The question actions (actions/qa.py and the three persona actions), driven with rasa_sdk trackers."""

from __future__ import annotations

from typing import Any

from rasa_sdk.events import FollowupAction

from actions.actions import ActionExplainMatch, ActionMeetPersona, ActionPersonaAnswer
from actions.qa import ActionAnswerQuestion, ActionExplainTerm
from bot.core import turn
from bot.core.reveal import mirror_text
from tests.unit.test_actions import empty_slots, make_tracker, run, slots_for_persona


def revealed(persona: str, **extra: Any) -> dict[str, Any]:
    return {**slots_for_persona(persona), "persona": persona, "fit": "good", "chat_state": "revealed", **extra}


def sources(messages: list[dict[str, Any]]) -> list[str]:
    return [m["custom"]["source"] for m in messages if (m.get("custom") or {}).get("type") == "answer"]


def test_an_answer_comes_with_its_source() -> None:
    tracker = make_tracker(revealed("joost"), "was joost lid van een studentenvereniging?", intent="out_of_scope")
    _, messages = run(ActionAnswerQuestion(), tracker)
    assert messages[0]["text"].startswith("Dat weet ik niet")
    assert sources(messages) == ["yesno:joost:student_society:unknown"]


def test_chitchat_without_a_question_gets_the_usual_reply() -> None:
    _, messages = run(ActionAnswerQuestion(), make_tracker(revealed("tim"), "haha", intent="chitchat"))
    assert messages[0]["response"] == "utter_chitchat" and sources(messages) == ["response:utter_chitchat"]


def test_nonsense_after_the_reveal_gets_the_after_reveal_help() -> None:
    _, messages = run(ActionAnswerQuestion(), make_tracker(revealed("tim"), "sdfg qwer", intent="nlu_fallback"))
    assert messages[0]["response"] == "utter_after_reveal_help" and not sources(messages)


def test_a_pending_restart_question_is_answered_first() -> None:
    slots = revealed("luuk", pause=turn.PAUSE_CONFIRM_RESTART)
    events, messages = run(ActionAnswerQuestion(), make_tracker(slots, "ja doe maar", intent="inform"))
    assert messages[0]["response"] == "utter_start_over"
    assert any(event == FollowupAction("questionnaire_form") for event in events)


def test_why_him_keeps_the_mirror_and_why_not_him_does_not() -> None:
    stage = turn.State.from_slots(revealed("luuk")).stage
    mirror = mirror_text("good", stage)  # the reveal's own words (content/reveal.yml), not a second copy
    _, messages = run(ActionExplainMatch(), make_tracker(revealed("luuk"), "waarom?", intent="ask_why"))
    assert messages[0]["text"].startswith("Waarom Luuk?") and messages[-1]["text"] == mirror
    _, messages = run(ActionExplainMatch(), make_tracker(revealed("luuk"), "waarom tim eigenlijk?", intent="ask_why"))
    assert sources(messages) == ["why:tim"] and mirror not in [m.get("text") for m in messages]


def test_why_before_the_reveal_sends_the_one_not_revealed_response() -> None:
    _, messages = run(ActionAnswerQuestion(), make_tracker(empty_slots(), "waarom niet tim?", intent="ask_why"))
    assert messages[0]["response"] == "utter_not_revealed_yet" and sources(messages) == ["why:tim"]


def test_after_nobody_yet_why_gets_the_mirror_for_nobody_yet() -> None:
    slots = revealed("luuk", fit="diffusion")
    _, messages = run(ActionExplainMatch(), make_tracker(slots, "waarom?", intent="ask_why"))
    stage = turn.State.from_slots(slots).stage
    assert messages[-1]["text"] == mirror_text("diffusion", stage) != mirror_text("good", stage)


def test_persona_answer_reads_comparisons_too() -> None:
    tracker = make_tracker(revealed("joost"), "wie twijfelde het meest?", intent="ask_persona")
    _, messages = run(ActionPersonaAnswer(), tracker)
    assert sources(messages) == ["compare:doubt"] and "Luuk" in messages[0]["text"]


def test_meet_the_others_offers_a_button_each() -> None:
    _, messages = run(ActionMeetPersona(), make_tracker(revealed("joost"), "/meet_other", intent="meet_other"))
    buttons = [b["title"] for m in messages for b in m.get("buttons") or []]
    assert buttons == ["Meer over Luuk", "Meer over Tim"] and sources(messages) == ["meet"]


def test_explain_term_during_the_questions() -> None:
    tracker = make_tracker(empty_slots(), "wat is een propedeuse?", intent="ask_term", requested="q_profile")
    events, messages = run(ActionExplainTerm(), tracker)
    assert events == [] and messages[0]["text"].startswith("Propedeuse:")
    assert sources(messages) == ["glossary:propedeuse"]


def test_bench_reads_the_source_and_judges_it() -> None:
    from scripts.bench_qa import Result, classify

    replies = [{"text": "Luuk: Ja."}, {"custom": {"type": "answer", "source": "yesno:luuk:master:yes"}}]
    assert classify(replies) == "yesno:luuk:master:yes"
    assert (
        classify([{"text": "Haha, leuk dat je dat vraagt! Maar ik ben een simpele bot"}]) == "response:utter_chitchat"
    )
    assert Result("luuk", "q", "yesno:luuk:master:yes", got="yesno:luuk:master:yes").right
    assert Result("joost", "q", "yesno:joost:master:unknown", got="yesno:joost:master:yes").contradicts
    assert not Result("joost", "q", "yesno:joost:master:yes", got="yesno:joost:master:unknown").contradicts
    assert Result("tim", "q", "hbo", got="hbo:mbo").right
    off = Result("tim", "q", "offtopic", got="card:tim:first_job")
    assert not off.right and off.off_topic_card


def test_a_question_while_the_restart_question_is_open_is_answered_and_the_restart_is_off() -> None:
    slots = revealed("tim", pause=turn.PAUSE_CONFIRM_RESTART)
    events, messages = run(
        ActionAnswerQuestion(), make_tracker(slots, "waar haal jij je motivatie uit", intent="nlu_fallback")
    )
    assert {"event": "slot", "timestamp": None, "name": "pause", "value": None} in events
    assert sources(messages) == ["card:tim:motives"]


def test_a_question_taken_for_start_over_is_answered_but_a_real_restart_asks_for_consent() -> None:
    _, messages = run(
        ActionAnswerQuestion(), make_tracker(revealed("tim"), "wat wil je hierna nog gaan doen", intent="start_over")
    )
    assert sources(messages) == ["card:tim:first_job"]
    for text in ("ik wil opnieuw beginnen", "/start_over", "kan ik het nog een keer doen"):
        events, messages = run(ActionAnswerQuestion(), make_tracker(revealed("tim"), text, intent="start_over"))
        assert messages[0]["response"] == "utter_confirm_start_over", text
        assert {"event": "slot", "timestamp": None, "name": "pause", "value": turn.PAUSE_CONFIRM_RESTART} in events
