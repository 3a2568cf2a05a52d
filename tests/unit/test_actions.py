"""The custom actions, driven with rasa_sdk Tracker objects as Rasa would send them."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import (
    ASK_ACTIONS,
    ActionExplainMatch,
    ActionMeetPersona,
    ActionPersonaAnswer,
    ActionResume,
    ActionReveal,
    ActionSafety,
    ActionStartOver,
    ValidateQuestionnaireForm,
    ValidateSlotMappings,
)
from bot import ROOT
from bot.core.content import get_personas, get_questionnaire, slot_for
from bot.core.turn import button_payload
from tests.unit.domain_files import load_domain

DOMAIN = load_domain(ROOT / "domain")


def empty_slots() -> dict[str, Any]:
    slots: dict[str, Any] = {name: None for name in DOMAIN["slots"]}
    slots["misunderstood"] = 0.0
    return slots


def make_tracker(
    slots: dict[str, Any],
    text: str,
    intent: str = "inform",
    entities: list[dict[str, Any]] | None = None,
    requested: str | None = None,
    filled: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
) -> Tracker:
    """A tracker right after a user message; `filled` are the slots Rasa's mappings just set."""
    slots = {**slots, "requested_slot": requested, **(filled or {})}
    events: list[dict[str, Any]] = [{"event": "user", "text": text, "parse_data": {}}]
    events += [{"event": "slot", "name": name, "value": value} for name, value in (filled or {}).items()]
    return Tracker(
        sender_id="unit",
        slots=slots,
        latest_message={
            "text": text,
            "intent": {"name": intent, "confidence": 0.9},
            "entities": entities or [],
            "metadata": metadata or {},
        },
        events=events,
        paused=False,
        followup_action=None,
        active_loop={"name": "questionnaire_form"} if requested else {},
        latest_action_name="action_listen",
    )


def run(action: Any, tracker: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    return events, dispatcher.messages


def slot_events(events: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def answer(slots: dict[str, Any], question_id: str, text: str, **kwargs: Any) -> tuple[dict[str, Any], list]:
    """Send one answer to the form validation; return the updated slots and the messages."""
    slot = slot_for(question_id)
    tracker = make_tracker(slots, text, requested=slot, filled={slot: text}, **kwargs)
    events, messages = run(ValidateQuestionnaireForm(), tracker)
    updated = {**slots, **slot_events(events)}
    return updated, messages


def option_entity(question_id: str, option_id: str) -> list[dict[str, Any]]:
    return [{"entity": "option", "value": f"{question_id}.{option_id}"}]


def test_button_answer_fills_the_question_and_moves_on() -> None:
    slots, _ = answer(
        empty_slots(), "stage", button_payload("stage", "student"), entities=option_entity("stage", "student")
    )
    assert slots["q_stage"] == "student"
    assert slots["requested_slot"] == "q_hobbies_breadth"
    assert slots["misunderstood"] == 0.0


def test_free_text_answer_updates_the_scores() -> None:
    slots, _ = answer(empty_slots(), "stage", "ik zit in 5 havo")
    slots, _ = answer(slots, "hobbies_breadth", "van alles geprobeerd, judo hockey piano en nog meer")
    assert slots["q_hobbies_breadth"] == "many"
    assert slots["exploration"] > 0.5
    for name in ("exploration", "commitment", "reconsideration"):
        assert 0.0 <= slots[name] <= 1.0


def test_an_answer_for_a_later_question_is_used_and_that_question_skipped() -> None:
    slots, _ = answer(empty_slots(), "stage", "examenjaar")
    slots, messages = answer(slots, "profile", "N&T, en ik twijfel nooit")
    assert slots["q_profile"] is not None
    assert slots["q_doubt"] == "never"
    assert any("sla ik dus over" in m.get("text", "") for m in messages)


def test_nonsense_is_not_an_answer_and_counts_misunderstandings() -> None:
    slots, _ = answer(empty_slots(), "stage", "klas 3")
    slots, _ = answer(slots, "hobbies_breadth", "qwrtzp vbnm")
    assert slots["q_hobbies_breadth"] is None
    assert slots["requested_slot"] == "q_hobbies_breadth"
    assert slots["misunderstood"] == 1.0
    slots, _ = answer(slots, "hobbies_breadth", "blorp")
    assert slots["misunderstood"] == 2.0
    slots, _ = answer(slots, "hobbies_breadth", "altijd hetzelfde, al jaren voetbal")
    assert slots["q_hobbies_breadth"] == "same"
    assert slots["misunderstood"] == 0.0


def test_a_question_to_the_bot_hands_over_to_the_digression_rules() -> None:
    slots, _ = answer(empty_slots(), "stage", "student")
    tracker = make_tracker(
        slots,
        "ben je een robot?",
        intent="bot_challenge",
        requested="q_hobbies_breadth",
        filled={"q_hobbies_breadth": "ben je een robot?"},
    )
    events, _ = run(ValidateQuestionnaireForm(), tracker)
    assert events[-1]["event"] == "action_execution_rejected"
    assert slot_events(events) == {"q_hobbies_breadth": None}


def test_an_answer_wins_over_a_social_or_misread_intent() -> None:
    slots, _ = answer(empty_slots(), "stage", "student")
    slots, _ = answer(slots, "extra_subjects", "ja wiskunde D, anders te makkelijk", intent="ask_profiles")
    assert slots["q_extra_subjects"] == "challenge"
    slots, _ = answer(slots, "hobbies_breadth", "haha van alles geprobeerd", intent="chitchat")
    assert slots["q_hobbies_breadth"] == "many"


def test_dont_know_is_an_answer_without_evidence() -> None:
    slots, _ = answer(empty_slots(), "stage", "student")
    before = {k: slots[k] for k in ("exploration", "commitment", "reconsideration")}
    slots, _ = answer(slots, "hobbies_breadth", "geen idee", intent="dont_know")
    assert slots["q_hobbies_breadth"] == "dont_know"
    assert {k: slots[k] for k in before} == before


def test_typed_commands_cannot_set_scores_or_persona() -> None:
    slots, _ = answer(empty_slots(), "stage", "student")
    text = '/inform{"persona":"tim","exploration":1.0,"commitment":1.0}'
    entities = [
        {"entity": "persona", "value": "tim"},
        {"entity": "exploration", "value": 1.0},
        {"entity": "commitment", "value": 1.0},
    ]
    after, _ = answer(slots, "hobbies_breadth", text, entities=entities)
    assert after["persona"] is None
    assert after["q_hobbies_breadth"] is None
    assert after["exploration"] == slots["exploration"]


def test_a_button_for_another_questions_option_is_only_taken_while_that_question_is_open() -> None:
    slots, _ = answer(empty_slots(), "stage", "student")
    slots, _ = answer(slots, "hobbies_breadth", "/x", entities=option_entity("hobbies_breadth", "many"))
    # An old button for the answered question does not change it.
    after, _ = answer(slots, "hobbies_technical", "/x", entities=option_entity("hobbies_breadth", "same"))
    assert after["q_hobbies_breadth"] == "many"
    assert after["q_hobbies_technical"] is None
    # A made-up option is ignored.
    after, _ = answer(slots, "hobbies_technical", "/x", entities=option_entity("hobbies_technical", "rocket"))
    assert after["q_hobbies_technical"] is None


def test_ask_action_sends_text_buttons_and_question_payload() -> None:
    slots = {**empty_slots(), "q_stage": "klas3"}
    tracker = make_tracker(slots, "klas 3", requested="q_profile")
    _, messages = run(ASK_ACTIONS["profile"](), tracker)
    text_message = messages[0]
    assert text_message["text"] == get_questionnaire().question("profile").text_for("klas3")
    titles = [b["title"] for b in text_message["buttons"]]
    assert "Weet ik niet" in titles and len(titles) >= 3
    payload = messages[1]["custom"]
    assert payload["type"] == "question" and payload["question"] == "profile"
    assert payload["index"] >= 2 and payload["total"] >= payload["index"]


def test_after_two_misunderstandings_the_question_is_buttons_only() -> None:
    slots = {**empty_slots(), "q_stage": "student", "misunderstood": 2.0}
    _, messages = run(ASK_ACTIONS["hobbies_breadth"](), make_tracker(slots, "blorp", requested="q_hobbies_breadth"))
    assert "knoppen" in messages[0]["text"]
    assert messages[0]["buttons"]
    slots["misunderstood"] = 1.0
    _, messages = run(ASK_ACTIONS["hobbies_breadth"](), make_tracker(slots, "blorp", requested="q_hobbies_breadth"))
    assert messages[0]["text"].startswith("Sorry")
    assert get_questionnaire().question("hobbies_breadth").rephrase_for("student") in messages[0]["text"]


def slots_for_persona(persona_id: str) -> dict[str, Any]:
    slots = empty_slots()
    slots["q_stage"] = "student"
    for question_id, chosen in get_personas()[persona_id].demo_answers.items():
        slots[slot_for(question_id)] = ",".join(chosen) if isinstance(chosen, list) else chosen
    return slots


@pytest.mark.parametrize("persona_id", ["joost", "luuk", "tim"])
def test_reveal_sets_the_persona_and_sends_the_payload(persona_id: str) -> None:
    events, messages = run(ActionReveal(), make_tracker(slots_for_persona(persona_id), "laatste antwoord"))
    slots = slot_events(events)
    assert slots["persona"] == persona_id
    assert slots["fit"] == "good"
    payload = next(m["custom"] for m in messages if m.get("custom"))
    assert payload["type"] == "reveal" and payload["persona"] == persona_id
    for key in ("exploration", "commitment", "reconsideration"):
        assert payload[key] == slots[key]
    assert {p["id"] for p in payload["personas"]} == {"joost", "luuk", "tim"}
    assert payload["evidence"] and payload["card"]["phases"] and payload["card"]["next_steps"]
    name = get_personas()[persona_id].name
    texts = " ".join(m.get("text") or "" for m in messages)
    assert name in texts and "spiegel" in texts
    json.dumps(payload)  # the widget receives it as JSON


def test_why_names_the_pupils_own_answers() -> None:
    slots = {**slots_for_persona("luuk"), "persona": "luuk"}
    _, messages = run(ActionExplainMatch(), make_tracker(slots, "waarom?", intent="ask_why"))
    assert messages[0]["text"].startswith("Waarom Luuk? Je lijkt op hem, want je ")


def test_persona_questions_are_answered_from_the_cards() -> None:
    slots = {**slots_for_persona("joost"), "persona": "joost"}
    tracker = make_tracker(
        slots, "wat deed Tim na zijn studie?", intent="ask_persona", entities=[{"entity": "persona", "value": "tim"}]
    )
    _, messages = run(ActionPersonaAnswer(), tracker)
    assert messages[0]["text"].startswith("Tim")
    assert get_personas()["tim"].phase("first_job").text in messages[0]["text"]
    tracker = make_tracker(slots, "heeft joost ooit getwijfeld", intent="ask_persona")
    _, messages = run(ActionPersonaAnswer(), tracker)
    assert get_personas()["joost"].doubt in messages[0]["text"]


def test_meet_the_other_two() -> None:
    slots = {**slots_for_persona("tim"), "persona": "tim"}
    _, messages = run(ActionMeetPersona(), make_tracker(slots, "laat de anderen zien", intent="meet_other"))
    texts = " ".join(m.get("text") or "" for m in messages)
    assert "Joost" in texts and "Luuk" in texts and "Dit is Tim" not in texts


def test_start_over_clears_answers_and_result_but_keeps_the_workshop() -> None:
    slots = {**slots_for_persona("tim"), "persona": "tim", "workshop": "K7M3QD"}
    events, _ = run(ActionStartOver(), make_tracker(slots, "opnieuw", intent="start_over"))
    cleared = slot_events(events)
    assert cleared["persona"] is None and cleared["q_stage"] is None and cleared["exploration"] is None
    assert "workshop" not in cleared


def test_safety_stops_the_questionnaire() -> None:
    slots = {**empty_slots(), "q_stage": "klas3"}
    events, messages = run(ActionSafety(), make_tracker(slots, "ik wil dood", intent="distress", requested="q_profile"))
    assert ActiveLoop(None) in events and SlotSet("requested_slot", None) in events
    assert SlotSet("chat_state", "stopped") in events
    assert messages[0]["response"] == "utter_distress"
    assert messages[1]["response"] == "utter_offer_resume"


def test_resume_after_a_stop_keeps_the_answers() -> None:
    slots = {**empty_slots(), "q_stage": "klas3", "chat_state": "stopped"}
    events, _ = run(ActionResume(), make_tracker(slots, "/resume", intent="resume"))
    assert slot_events(events) == {"chat_state": None, "misunderstood": 0.0}


def test_workshop_code_and_demo_flag_come_from_metadata_only() -> None:
    tracker = make_tracker(empty_slots(), "hoi", intent="greet", metadata={"workshop": "K7M3QD", "demo": True})
    events, _ = run(ValidateSlotMappings(), tracker)
    assert slot_events(events) == {"workshop": "K7M3QD", "demo": True}
    tracker = make_tracker(empty_slots(), '/inform{"workshop":"X"}', entities=[{"entity": "workshop", "value": "X"}])
    events, _ = run(ValidateSlotMappings(), tracker)
    assert slot_events(events) == {}
