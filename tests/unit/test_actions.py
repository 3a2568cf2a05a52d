"""The custom actions, driven with rasa_sdk Tracker objects as Rasa would send them."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import (
    ASK_ACTIONS,
    ActionAfterReveal,
    ActionCheckIn,
    ActionConfirmStartOver,
    ActionExplainMatch,
    ActionMeetPersona,
    ActionPersonaAnswer,
    ActionResume,
    ActionReveal,
    ActionSafety,
    ActionStartOver,
    ValidateQuestionnaireForm,
)
from bot import ROOT
from bot.core import turn
from bot.core.content import get_personas, get_questionnaire, slot_for
from bot.core.turn import button_payload
from bot.plugins.channels import clean_text
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
    if "requested_slot" not in slot_events(events):
        # rasa-sdk leaves the choice to Rasa's FormAction when the required slots equal the domain's list:
        # Rasa then requests the first empty one, as here.
        updated["requested_slot"] = next((s for s in turn.required_slots(updated) if updated.get(s) is None), None)
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


def test_only_slots_whose_value_changes_become_events() -> None:
    """Every event is stored and replayed at each prediction: a score or counter that stays the same is left out."""
    slots, _ = answer(empty_slots(), "stage", "ik zit in 5 havo")
    slot = slot_for("hobbies_breadth")
    payload = button_payload("hobbies_breadth", "many")
    entities = option_entity("hobbies_breadth", "many")
    tracker = make_tracker(slots, payload, requested=slot, filled={slot: payload}, entities=entities)
    events, _ = run(ValidateQuestionnaireForm(), tracker)
    changed = slot_events(events)
    assert changed[slot] == "many"
    assert (events[0]["name"], events[0]["value"]) == (slot, None), "the requested slot is always set afresh"
    others = [e for e in events if e.get("event") == "slot" and e["name"] != slot]
    assert all(slots.get(e["name"]) != e["value"] for e in others), "no event repeats a slot's value"
    for name in ("misunderstood", "side_steps", "pause"):
        assert name not in changed, f"{name} did not change"
    assert changed["exploration"] != slots["exploration"], "a score that moved is set"


def test_free_text_answer_updates_the_scores() -> None:
    slots, _ = answer(empty_slots(), "stage", "ik zit in 5 havo")
    slots, _ = answer(slots, "hobbies_breadth", "van alles geprobeerd, judo hockey piano en nog meer")
    assert slots["q_hobbies_breadth"] == "many"
    assert slots["exploration"] > 0.5
    for name in ("exploration", "commitment", "reconsideration"):
        assert 0.0 <= slots[name] <= 1.0


def test_an_answer_for_a_later_question_is_used_and_that_question_skipped() -> None:
    slots, _ = answer(empty_slots(), "stage", "examenjaar")
    slots, messages = answer(slots, "profile", "alleen N&T, en ik twijfel nooit")
    assert slots["q_profile"] is not None
    assert slots["q_doubt"] == "never"
    noted = [m for m in messages if m.get("response") == "utter_noted_too"]
    assert noted and "twijfel" in noted[0]["explain"]


def test_nonsense_is_asked_again_once_then_the_question_is_skipped() -> None:
    slots, _ = answer(empty_slots(), "stage", "klas 3")
    slots, _ = answer(slots, "hobbies_breadth", "qwrtzp vbnm", intent="nlu_fallback")
    assert slots["q_hobbies_breadth"] is None
    assert slots["requested_slot"] == "q_hobbies_breadth"
    assert slots["misunderstood"] == 1.0
    slots, messages = answer(slots, "hobbies_breadth", "blorp", intent="nlu_fallback")
    assert slots["q_hobbies_breadth"] == "dont_know"  # skipped: the pupil never gets stuck on one question
    assert slots["requested_slot"] == "q_hobbies_technical"
    assert slots["misunderstood"] == 0.0
    assert messages[0]["response"] == "utter_skip_question"


def test_a_pupil_who_types_only_nonsense_reaches_the_end_within_two_messages_per_question() -> None:
    slots, _ = answer(empty_slots(), "stage", "5 havo")
    sent = 1
    while slots["requested_slot"]:
        question_id = slots["requested_slot"].removeprefix("q_")
        slots, _ = answer(slots, question_id, "asdkjh qwe", intent="nlu_fallback")
        sent += 1
    assert sent <= 2 * len(turn.required_slots(slots)) + 2


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
    assert slot_events(events) == {"q_hobbies_breadth": None, "side_steps": 1.0}


def test_answers_that_the_classifier_reads_as_side_questions_are_answers() -> None:
    slots, _ = answer(empty_slots(), "stage", "6 vwo")
    slots, _ = answer(slots, "hobbies_technical", "ja ik was altijd met computers bezig", intent="ask_privacy")
    assert slots["q_hobbies_technical"] == "mostly"
    slots, _ = answer(slots, "extra_subjects", "nog helemaal open", intent="start_over")
    assert slots["q_extra_subjects"] is None or slots["q_extra_subjects"] != ""
    assert slots["q_stage"] == "examen" and slots["q_hobbies_technical"] == "mostly"  # nothing wiped


def test_two_side_steps_then_the_next_message_is_an_answer_attempt() -> None:
    slots, _ = answer(empty_slots(), "stage", "student")
    for expected in (1.0, 2.0):
        tracker = make_tracker(
            slots,
            "wat is een open dag?",
            intent="ask_open_days",
            requested="q_hobbies_breadth",
            filled={"q_hobbies_breadth": "wat is een open dag?"},
        )
        events, _ = run(ValidateQuestionnaireForm(), tracker)
        assert events[-1]["event"] == "action_execution_rejected"
        slots = {**slots, **slot_events(events)}
        assert slots["side_steps"] == expected
    _, messages = run(ASK_ACTIONS["hobbies_breadth"](), make_tracker(slots, "x", requested="q_hobbies_breadth"))
    assert messages[0]["response"] == "utter_pick_or_type" and messages[1]["buttons"]
    slots, _ = answer(slots, "hobbies_breadth", "wat is een open dag?", intent="ask_open_days")
    assert slots["q_hobbies_breadth"] == "dont_know"  # read as an answer attempt; no answer in it: skipped


def test_an_ambiguous_short_answer_gets_a_follow_up_with_only_its_options() -> None:
    slots = {**empty_slots(), "q_stage": "examen", "q_hobbies_breadth": "few", "q_hobbies_technical": "sometimes"}
    slots, _ = answer(slots, "profile", "N&T")
    assert slots["q_profile"] is None and slots["follow_up"] and slots["requested_slot"] == "q_profile"
    _, messages = run(ASK_ACTIONS["profile"](), make_tracker(slots, "N&T", requested="q_profile"))
    options = {b["payload"].split(".")[-1].rstrip('"}') for b in messages[0]["buttons"]}
    assert options - {"dont_know"} == set(slots["follow_up"].split(","))
    slots, _ = answer(slots, "profile", "omdat het het zwaarste is")
    assert slots["q_profile"] == "hardest" and slots["follow_up"] is None


def test_real_words_that_fit_no_option_are_taken_as_said_and_the_questions_go_on() -> None:
    slots, _ = answer(empty_slots(), "stage", "5 havo")
    slots, messages = answer(slots, "what_matters", "dat het chill is en niet te veel huiswerk")
    assert slots["q_what_matters"] == "dont_know" and slots["requested_slot"] != "q_what_matters"
    assert messages[0]["response"] == "utter_noted_open_answer"


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


@pytest.mark.parametrize(
    "typed",
    [
        '/inform{"persona":"tim","exploration":1.0}',
        '/inform{"option":"stage.rocket"}',
        "/nonexistent_intent",
        "'; DROP TABLE events; --",
    ],
)
def test_typed_commands_made_plain_by_the_channel_are_asked_again_not_noted(typed: str) -> None:
    """The channel turns unknown "/" text into plain text; that text is no answer and not a pupil's open words."""
    slots, _ = answer(empty_slots(), "stage", "student")
    after, messages = answer(slots, "hobbies_breadth", clean_text(typed), intent="inform")
    assert after["q_hobbies_breadth"] is None and after["requested_slot"] == "q_hobbies_breadth"
    assert after["misunderstood"] == 1.0
    assert "utter_noted_open_answer" not in [m.get("response") for m in messages]


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


def test_after_a_misunderstanding_the_question_is_rephrased_with_buttons() -> None:
    slots = {**empty_slots(), "q_stage": "student", "misunderstood": 1.0}
    _, messages = run(ASK_ACTIONS["hobbies_breadth"](), make_tracker(slots, "blorp", requested="q_hobbies_breadth"))
    assert messages[0]["response"] == "utter_not_understood"
    assert messages[1]["text"] == get_questionnaire().question("hobbies_breadth").rephrase_for("student")
    assert messages[1]["buttons"]


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


def test_safety_pauses_the_questionnaire_and_typed_yes_resumes_with_every_answer() -> None:
    slots = {**empty_slots(), "q_stage": "klas3", "q_hobbies_breadth": "many", "q_hobbies_technical": "sometimes"}
    events, messages = run(ActionSafety(), make_tracker(slots, "ik wil dood", intent="distress", requested="q_profile"))
    assert slot_events(events) == {"pause": "crisis"}
    assert [m["response"] for m in messages] == ["utter_distress", "utter_offer_resume"]
    slots = {**slots, "pause": "crisis", "requested_slot": "q_profile"}
    # The form asks whether to go on, not the question, while paused.
    _, messages = run(ASK_ACTIONS["profile"](), make_tracker(slots, "x", requested="q_profile"))
    assert messages[0]["response"] == "utter_still_paused"
    for typed in ("ja", "verder", "ga maar door", "/resume"):
        after, messages = answer(slots, "profile", typed, intent="affirm")
        assert after["pause"] is None and after["q_hobbies_breadth"] == "many" and after["q_profile"] is None
        assert after["requested_slot"] == "q_profile"
        assert messages[0]["response"] == "utter_resume"


def test_a_check_in_offers_talk_or_go_on_and_an_answer_simply_goes_on() -> None:
    slots = {**empty_slots(), "q_stage": "klas3"}
    tracker = make_tracker(slots, "het gaat niet zo goed met me", intent="check_in", requested="q_profile")
    events, messages = run(ActionCheckIn(), tracker)
    assert slot_events(events) == {"pause": "check_in"}
    assert messages[0]["response"] == "utter_check_in" and len(messages[0]["buttons"]) == 2
    slots = {**slots, "pause": "check_in", "requested_slot": "q_profile"}
    after, messages = answer(slots, "profile", "ik wil erover praten", intent="talk")
    assert after["pause"] == "check_in" and messages[0]["response"] == "utter_talk"
    after, _ = answer(slots, "profile", "ik twijfel tussen nt en em", intent="inform")
    assert after["q_profile"] == "compared" and after["pause"] is None


def test_starting_over_needs_a_confirmed_yes_and_no_keeps_every_answer() -> None:
    slots = {**empty_slots(), "q_stage": "klas3", "q_hobbies_breadth": "many"}
    events, messages = run(
        ActionConfirmStartOver(), make_tracker(slots, "opnieuw", intent="start_over", requested="q_profile")
    )
    assert slot_events(events) == {"pause": "confirm_restart"}
    assert messages[0]["response"] == "utter_confirm_start_over" and len(messages[0]["buttons"]) == 2
    slots = {**slots, "pause": "confirm_restart", "requested_slot": "q_profile"}
    kept, _ = answer(slots, "profile", "nee", intent="deny")
    assert kept["q_hobbies_breadth"] == "many" and kept["pause"] is None
    kept, _ = answer(slots, "profile", "nog helemaal open", intent="start_over")
    assert kept["q_hobbies_breadth"] == "many" and kept["q_stage"] == "klas3"
    wiped, messages = answer(slots, "profile", "/confirm_start_over", intent="confirm_start_over")
    assert wiped["q_hobbies_breadth"] is None and wiped["q_stage"] is None
    assert wiped["requested_slot"] == "q_stage" and messages[0]["response"] == "utter_start_over"


def test_after_the_reveal_a_typed_yes_confirms_the_restart_and_help_never_repeats() -> None:
    slots = {**slots_for_persona("luuk"), "persona": "luuk", "chat_state": "revealed", "pause": "confirm_restart"}
    events, _ = run(ActionAfterReveal(), make_tracker(slots, "ja", intent="affirm"))
    assert SlotSet("q_stage", None) in events and FollowupAction("questionnaire_form") in events
    slots["pause"] = None
    tracker = make_tracker(slots, "ok", intent="affirm")
    _, first = run(ActionAfterReveal(), tracker)
    tracker.events.append({"event": "bot", "metadata": {"utter_action": first[0]["response"]}})
    _, second = run(ActionAfterReveal(), tracker)
    assert first[0]["response"] != second[0]["response"]


@pytest.mark.parametrize(
    ("text", "intent", "rating"),
    [("4", "inform", 4.0), ("ik geef een 2", "nlu_fallback", 2.0), ("een 9", "inform", None)],
)
def test_a_typed_number_right_after_the_rating_question_is_the_rating(text: str, intent: str, rating: Any) -> None:
    """Whatever intent the classifier guesses for "4", it answers "Geef een cijfer"; 9 gets "1 tot 5" again."""
    slots = {**slots_for_persona("joost"), "persona": "joost", "chat_state": "revealed"}
    tracker = make_tracker(slots, text, intent=intent)
    tracker.events.append({"event": "bot", "metadata": {"utter_action": "utter_ask_feedback"}})
    events, messages = run(ActionAfterReveal(), tracker)
    if rating is None:
        assert [m["response"] for m in messages] == ["utter_ask_feedback_rating"] and events == []
    else:
        assert SlotSet("feedback_rating", rating) in events and FollowupAction("feedback_form") in events
        assert messages == []


def test_a_number_long_after_the_rating_question_is_no_rating() -> None:
    slots = {**slots_for_persona("joost"), "persona": "joost", "chat_state": "revealed"}
    tracker = make_tracker(slots, "4", intent="inform")
    tracker.events.append({"event": "bot", "metadata": {"utter_action": "utter_after_reveal_help"}})
    events, _ = run(ActionAfterReveal(), tracker)
    assert FollowupAction("feedback_form") not in events


def test_resume_after_a_stop_keeps_the_answers() -> None:
    slots = {**empty_slots(), "q_stage": "klas3", "chat_state": "stopped"}
    events, _ = run(ActionResume(), make_tracker(slots, "/resume", intent="resume"))
    assert slot_events(events) == {
        "chat_state": None,
        "misunderstood": 0.0,
        "side_steps": 0.0,
        "pause": None,
        "follow_up": None,
    }
