"""domain/, the rules, the actions and the content files must agree: every question has its slot and ask action,
every intent, action, form and slot a rule names exists, every response the Python code sends is in the domain,
and every custom action the domain lists is served by the action server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml
from rasa_sdk import Action

import actions.actions
import actions.feedback
import actions.qa  # noqa: F401 (imported so that their Action classes exist)
from bot import ROOT
from bot.core.content import get_personas, get_questionnaire, slot_for
from bot.core.domain_parts import render
from tests.unit.domain_files import load_domain

DOMAIN = load_domain(ROOT / "domain")
# Rasa's own actions, which a rule may name without the domain listing them.
RASA_ACTIONS = {
    "action_listen",
    "action_restart",
    "action_session_start",
    "action_default_fallback",
    "action_deactivate_loop",
    "action_revert_fallback_events",
    "action_two_stage_fallback",
    "action_unlikely_intent",
    "action_back",
    "action_extract_slots",
}


def _rules() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted((ROOT / "data" / "rules").glob("*.yml")):
        for rule in yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]:
            yield f"{path.name}: {rule['rule']}", rule


def _steps(rule: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from rule.get("condition") or []
    yield from rule.get("steps") or []


def test_every_question_has_a_slot_an_ask_action_and_a_place_in_the_form() -> None:
    questions = get_questionnaire().questions
    required = DOMAIN["forms"]["questionnaire_form"]["required_slots"]
    for question in questions:
        slot = slot_for(question.id)
        assert slot in DOMAIN["slots"], slot
        mapping = DOMAIN["slots"][slot]["mappings"][0]
        assert mapping["type"] == "from_text"
        assert mapping["conditions"] == [{"active_loop": "questionnaire_form", "requested_slot": slot}]
        assert f"action_ask_{slot}" in DOMAIN["actions"]
        assert slot in required
    assert len(required) == len(questions)


def test_scores_and_persona_can_only_be_set_by_actions() -> None:
    for slot in ("exploration", "commitment", "reconsideration", "persona", "fit", "chat_state"):
        assert DOMAIN["slots"][slot]["mappings"] == [{"type": "custom"}], slot
    # workshop and demo come from the checked metadata only: tests/unit/plugins/test_nlu_metadata.py


def test_safety_and_empty_messages_never_fill_an_answer() -> None:
    for question in get_questionnaire().questions:
        never = set(DOMAIN["slots"][slot_for(question.id)]["mappings"][0]["not_intent"])
        assert never == {"distress", "check_in", "empty_message", "too_long"}, question.id


def test_generated_domain_part_is_up_to_date() -> None:
    """Adding a question is one YAML edit plus `python -m bot domain`; this fails until the command ran."""
    generated = (ROOT / "domain" / "questionnaire.yml").read_text(encoding="utf-8")
    assert generated == render(get_questionnaire()), "domain/questionnaire.yml is stale: run `python -m bot domain`"


def test_hand_written_domain_leaves_the_questionnaire_parts_to_the_generator() -> None:
    hand = yaml.safe_load((ROOT / "domain" / "domain.yml").read_text(encoding="utf-8"))
    assert not [slot for slot in hand["slots"] if slot.startswith("q_")]
    assert "forms" not in hand
    assert not [action for action in hand["actions"] if action.startswith("action_ask_q_")]


def test_every_intent_used_by_the_rules_is_in_the_domain() -> None:
    intents = set(DOMAIN["intents"]) | {"nlu_fallback"}  # nlu_fallback is Rasa's own
    for name, rule in _rules():
        for step in _steps(rule):
            if "intent" in step:
                assert step["intent"] in intents, f"{name}: {step['intent']}"


def test_every_action_and_form_a_rule_names_exists() -> None:
    forms = set(DOMAIN["forms"])
    known = set(DOMAIN["actions"]) | set(DOMAIN["responses"]) | forms | RASA_ACTIONS
    for name, rule in _rules():
        for step in _steps(rule):
            if "action" in step:
                assert step["action"] in known, f"{name}: {step['action']}"
            if "active_loop" in step:
                assert step["active_loop"] is None or step["active_loop"] in forms, f"{name}: {step['active_loop']}"


def test_every_slot_a_rule_names_exists_with_a_possible_value() -> None:
    slots = DOMAIN["slots"]
    for name, rule in _rules():
        for step in _steps(rule):
            for entry in step.get("slot_was_set") or []:
                for slot, value in entry.items() if isinstance(entry, dict) else [(entry, None)]:
                    if slot == "requested_slot":  # Rasa's own
                        continue
                    assert slot in slots, f"{name}: {slot}"
                    if slots[slot]["type"] == "categorical" and value is not None:
                        assert value in slots[slot]["values"], f"{name}: {slot}: {value}"


def test_every_response_the_code_sends_is_in_the_domain() -> None:
    """bot/ and actions/ name responses as plain strings; a typo or a removed response must fail here."""
    sources = [*(ROOT / "bot").rglob("*.py"), *(ROOT / "actions").glob("*.py")]
    named = {
        found
        for path in sources
        for found in re.findall(r"[\"'](utter_[a-z0-9_]+)[\"']", path.read_text(encoding="utf-8"))
    }
    named.discard("utter_action")  # the key Rasa puts in a bot event's metadata, not a response
    assert named, "no responses found: the pattern above is wrong"
    assert sorted(named - set(DOMAIN["responses"])) == []


def test_every_custom_action_in_the_domain_is_served_by_the_action_server() -> None:
    served: set[str] = set()
    pending = list(Action.__subclasses__())
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        if cls.__module__.startswith("actions."):
            try:
                served.add(cls().name())
            except (TypeError, NotImplementedError):
                continue  # an abstract base
    custom = {a for a in DOMAIN["actions"] if not a.startswith("utter_")}
    assert sorted(custom - served) == []


def test_the_persona_slot_takes_exactly_the_persona_cards() -> None:
    assert DOMAIN["slots"]["persona"]["values"] == list(get_personas())


def test_safety_response_names_the_helplines() -> None:
    text = DOMAIN["responses"]["utter_distress"][0]["text"]
    for must in ("0800-0432", "113", "0800-0113", "mentor", "vertrouwenspersoon", "Kindertelefoon"):
        assert must in text


def test_welcome_says_it_is_a_bot_and_asks_no_personal_details() -> None:
    text = DOMAIN["responses"]["utter_welcome"][0]["text"]
    assert "chatbot" in text and "geen echt mens" in text
    assert "naam" in text and "vijf minuten" in text
