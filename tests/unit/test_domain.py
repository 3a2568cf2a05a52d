"""domain.yml, the rules and the questionnaire file must agree: every question has its slot and ask action."""

from __future__ import annotations

import yaml

from bot import ROOT
from bot.core.content import get_questionnaire, slot_for

DOMAIN = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


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
    never = set(DOMAIN["slots"]["q_stage"]["mappings"][0]["not_intent"])
    assert never == {"distress", "empty_message", "too_long"}


def test_safety_response_names_the_helplines() -> None:
    text = DOMAIN["responses"]["utter_distress"][0]["text"]
    for must in ("0800-0432", "113", "0800-0113", "mentor", "vertrouwenspersoon", "Kindertelefoon"):
        assert must in text


def test_welcome_says_it_is_a_bot_and_asks_no_personal_details() -> None:
    text = DOMAIN["responses"]["utter_welcome"][0]["text"]
    assert "chatbot" in text and "geen echt mens" in text
    assert "naam" in text and "vijf minuten" in text
