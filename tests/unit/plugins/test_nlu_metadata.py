"""The workshop code and the demo flag reach their slots as entities from the checked metadata only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from rasa.shared.core.domain import Domain
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot import ROOT
from bot.plugins.nlu_metadata import EXTRACTOR, MetadataEntityExtractor, metadata_entities


def process(metadata: Any, entities: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    message = Message(data={TEXT: "hoi", "metadata": metadata, ENTITIES: entities or []})
    MetadataEntityExtractor().process([message])
    return message.get(ENTITIES)


def test_workshop_and_demo_come_from_the_metadata() -> None:
    assert process({"workshop": "K7M3QD", "demo": True}) == [
        {"entity": "workshop", "value": "K7M3QD", "start": 0, "end": 0, "extractor": EXTRACTOR},
        {"entity": "demo", "value": True, "start": 0, "end": 0, "extractor": EXTRACTOR},
    ]
    assert process({"workshop": "K7M3QD"})[0]["value"] == "K7M3QD"
    for nothing in (None, {}, {"demo": "yes"}, {"demo": False}, {"workshop": ""}, {"workshop": 7}, ["x"]):
        assert metadata_entities(nothing) == []


def test_a_guess_from_the_text_never_names_a_workshop_or_a_demo() -> None:
    guessed = [
        {"entity": "workshop", "value": "FAKE01", "extractor": "CRFEntityExtractor"},
        {"entity": "demo", "value": True, "extractor": "CRFEntityExtractor"},
        {"entity": "persona", "value": "tim", "extractor": "CRFEntityExtractor"},
    ]
    assert process(None, guessed) == [guessed[2]]


def test_the_slots_are_filled_from_these_entities_and_never_steer_the_dialogue() -> None:
    domain = Domain.from_directory(str(ROOT / "domain"))
    raw = yaml.safe_load((Path(ROOT) / "domain" / "domain.yml").read_text(encoding="utf-8"))
    for name in ("workshop", "demo"):
        slot = next(s for s in domain.slots if s.name == name)
        assert slot.mappings == [{"type": "from_entity", "entity": name}]
        assert not slot.influence_conversation
        assert {name: {"influence_conversation": False}} in raw["entities"]
    assert "action_validate_slot_mappings" not in domain.user_actions, "no action call per turn for these"
