"""domain/, the rules and the questionnaire file must agree: every question has its slot and ask action."""

from __future__ import annotations

import yaml

from bot import ROOT
from bot.core.content import get_questionnaire, slot_for
from bot.core.domain_parts import render
from tests.unit.domain_files import load_domain

DOMAIN = load_domain(ROOT / "domain")


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
    for slot in ("exploration", "commitment", "reconsideration", "persona", "fit", "chat_state", "workshop", "demo"):
        assert DOMAIN["slots"][slot]["mappings"] == [{"type": "custom"}], slot


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
    for path in sorted((ROOT / "data" / "rules").glob("*.yml")):
        for rule in yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]:
            for step in rule["steps"]:
                if "intent" in step:
                    assert step["intent"] in intents, f"{path.name}: {rule['rule']}: {step['intent']}"


def test_safety_response_names_the_helplines() -> None:
    text = DOMAIN["responses"]["utter_distress"][0]["text"]
    for must in ("0800-0432", "113", "0800-0113", "mentor", "vertrouwenspersoon", "Kindertelefoon"):
        assert must in text


def test_welcome_says_it_is_a_bot_and_asks_no_personal_details() -> None:
    text = DOMAIN["responses"]["utter_welcome"][0]["text"]
    assert "chatbot" in text and "geen echt mens" in text
    assert "naam" in text and "vijf minuten" in text
