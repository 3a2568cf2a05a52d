"""Custom Rasa 3.6 NLU components for Keuzespiegel.

`SafetyNetClassifier` sits after the DIETClassifier (and the EntitySynonymMapper) and
before the FallbackClassifier in config.yml:

    - name: bot.plugins.nlu_safety.SafetyNetClassifier

When `bot.core.safety.is_distress(text)` finds a distress signal it overrides DIET's intent
with `distress` (confidence 1.0) and puts it first in `intent_ranking`, so the
FallbackClassifier never turns such a message into `nlu_fallback` and the safety
path is always taken.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from bot.core.safety import distress_reason

logger = logging.getLogger(__name__)

DISTRESS_INTENT = "distress"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class SafetyNetClassifier(GraphComponent, IntentClassifier):
    """Forces the `distress` intent when the keyword safety net fires."""

    @classmethod
    def required_components(cls) -> list[type]:
        """Needs an intent classifier (DIET) before it."""
        return [IntentClassifier]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Default config: the intent to force and its confidence."""
        return {"intent": DISTRESS_INTENT, "confidence": 1.0}

    def __init__(self, config: dict[str, Any]) -> None:
        self.component_config = {**self.get_default_config(), **(config or {})}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SafetyNetClassifier:
        """Creates the component (see GraphComponent)."""
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        """Sets the distress intent on messages in which the safety net finds a distress signal."""
        for message in messages:
            text = message.get(TEXT)
            if not text or not isinstance(text, str) or text.lstrip().startswith("/"):
                # empty, or a button payload such as /answer{...}: handled elsewhere
                continue
            reason = distress_reason(text)
            if reason is None:
                continue
            intent_name = self.component_config["intent"]
            confidence = float(self.component_config["confidence"])
            previous = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            logger.debug(f"Safety net ({reason}) overrides intent '{previous}' with '{intent_name}'.")
            message.set(INTENT, {INTENT_NAME_KEY: intent_name, PREDICTED_CONFIDENCE_KEY: confidence},
                        add_to_output=True)
            ranking = [
                r for r in (message.get(INTENT_RANKING_KEY) or []) if r.get(INTENT_NAME_KEY) != intent_name
            ]
            ranking.insert(0, {INTENT_NAME_KEY: intent_name, PREDICTED_CONFIDENCE_KEY: confidence})
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
