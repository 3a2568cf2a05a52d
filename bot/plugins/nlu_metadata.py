"""The widget's workshop code and demo flag become entities, so Rasa fills their slots without an action call.

The REST channel (bot/plugins/channels.py) keeps `workshop` in a message's metadata only for an open workshop
with room, and `demo` only when it is `true`. This component turns them into the entities `workshop` and
`demo`, and the slots of the same name are filled `from_entity` (domain/domain.yml). Before, a custom slot
mapping made Rasa call the action server on every message only to copy these two values: about 16 ms, one
of three action server round trips per turn (docs/bench/profile.md).

Both entities have `influence_conversation: false`, so the dialogue never depends on them. Which code and
which flag count for the projector (the first code; a flag only on a conversation's first message) is
decided where the projector reads them, in bot/workshops/store.py.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import ENTITIES
from rasa.shared.nlu.training_data.message import Message

EXTRACTOR = "MetadataEntityExtractor"
METADATA_ENTITIES = ("workshop", "demo")


def metadata_entities(metadata: Any) -> list[dict[str, Any]]:
    """The entities a message's (already checked) metadata gives: `workshop` and `demo`."""
    if not isinstance(metadata, dict):
        return []
    found: list[dict[str, Any]] = []
    code = metadata.get("workshop")
    if isinstance(code, str) and code:
        found.append({"entity": "workshop", "value": code, "start": 0, "end": 0, "extractor": EXTRACTOR})
    if metadata.get("demo") is True:
        found.append({"entity": "demo", "value": True, "start": 0, "end": 0, "extractor": EXTRACTOR})
    return found


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class MetadataEntityExtractor(GraphComponent, EntityExtractorMixin):
    """Adds the `workshop` and `demo` entities from the message metadata."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> MetadataEntityExtractor:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            # Only the checked metadata may name a workshop or a demo: never a model's guess from the text.
            kept = [e for e in message.get(ENTITIES, []) if e.get("entity") not in METADATA_ENTITIES]
            message.set(ENTITIES, [*kept, *metadata_entities(message.get("metadata"))], add_to_output=True)
        return messages
