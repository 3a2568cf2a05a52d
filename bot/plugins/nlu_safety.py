"""Custom Rasa 3.6 NLU components for Keuzespiegel.

`SafetyNetClassifier` sits after the DIETClassifier (and the EntitySynonymMapper) and
before the FallbackClassifier in config.yml:

    - name: bot.plugins.nlu_safety.SafetyNetClassifier

It makes `bot.core.safety.assess(text)` the only judge of a pupil's well-being:
- tier "crisis" sets the intent `distress` (confidence 1.0, first in `intent_ranking`), so the
  FallbackClassifier never turns it into `nlu_fallback` and the full referral always follows;
- tier "check_in" sets the intent `check_in` the same way (a short, warm check-in);
- no signal, while DIET guessed `distress` or `check_in`, demotes that guess: the next intent in the
  ranking takes its place. DIET's guesses differ between machines and hit ordinary answers
  ("ja, ik wilde mezelf uitdagen"); the keyword net does not.
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

from bot.core.safety import CHECK_IN, CRISIS, assess

logger = logging.getLogger(__name__)

DISTRESS_INTENT = "distress"
CHECK_IN_INTENT = "check_in"
SAFETY_INTENTS = frozenset({DISTRESS_INTENT, CHECK_IN_INTENT})


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class SafetyNetClassifier(GraphComponent, IntentClassifier):
    """Sets `distress` or `check_in` exactly when the keyword safety net says so, never otherwise."""

    @classmethod
    def required_components(cls) -> list[type]:
        """Needs an intent classifier (DIET) before it."""
        return [IntentClassifier]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Default config: the intent to force and its confidence."""
        return {"intent": DISTRESS_INTENT, "check_in_intent": CHECK_IN_INTENT, "confidence": 1.0}

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
        """Sets the safety intents from the keyword net and removes DIET's unfounded safety guesses."""
        for message in messages:
            text = message.get(TEXT)
            if not text or not isinstance(text, str) or text.lstrip().startswith("/"):
                # empty, or a button payload such as /inform{...}: handled elsewhere
                continue
            verdict = assess(text)
            if verdict.tier == CRISIS:
                self._force(message, self.component_config["intent"], verdict.reason)
            elif verdict.tier == CHECK_IN:
                self._force(message, self.component_config["check_in_intent"], verdict.reason)
            else:
                self._demote_safety_guess(message)
        return messages

    def _force(self, message: Message, intent_name: str, reason: str | None) -> None:
        confidence = float(self.component_config["confidence"])
        logger.debug(f"Safety net ({reason}) sets intent '{intent_name}'.")
        message.set(INTENT, {INTENT_NAME_KEY: intent_name, PREDICTED_CONFIDENCE_KEY: confidence}, add_to_output=True)
        # The other tier's guess goes, and the rest stays far below: the FallbackClassifier would otherwise call
        # "check_in 1.0, distress 0.95" ambiguous and answer a pupil in distress with "sorry, dat snap ik niet".
        ranking = [
            {**r, PREDICTED_CONFIDENCE_KEY: min(float(r.get(PREDICTED_CONFIDENCE_KEY) or 0.0), confidence / 2)}
            for r in (message.get(INTENT_RANKING_KEY) or [])
            if r.get(INTENT_NAME_KEY) not in SAFETY_INTENTS
        ]
        ranking.insert(0, {INTENT_NAME_KEY: intent_name, PREDICTED_CONFIDENCE_KEY: confidence})
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)

    @staticmethod
    def _demote_safety_guess(message: Message) -> None:
        ranking = [r for r in (message.get(INTENT_RANKING_KEY) or []) if r.get(INTENT_NAME_KEY) not in SAFETY_INTENTS]
        current = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
        if current not in SAFETY_INTENTS:
            if len(ranking) != len(message.get(INTENT_RANKING_KEY) or []):
                message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
            return
        replacement = ranking[0] if ranking else {INTENT_NAME_KEY: "inform", PREDICTED_CONFIDENCE_KEY: 0.0}
        logger.debug(f"Safety net found no signal; DIET's '{current}' becomes '{replacement[INTENT_NAME_KEY]}'.")
        message.set(INTENT, dict(replacement), add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
