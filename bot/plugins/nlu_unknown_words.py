"""Nonsense detection for the NLU: messages made mostly of words never seen in training become `nlu_fallback`.

DIET on n-grams is confidently wrong on keyboard mash ("sdfgsdfg qwpoeiru" -> goodbye 0.92), so the
FallbackClassifier's confidence threshold alone cannot catch it. This component learns the vocabulary of
the training data (plus the questionnaire's and persona topics' words) and overrides the intent when most
words of a message are unknown, even allowing for typos. It runs after DIET and before the safety net, so a
distress message is never hidden by it.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.core.content import get_questionnaire
from bot.core.persona_qa import load_topics
from bot.core.text import fold

FALLBACK_INTENT = "nlu_fallback"
VOCABULARY_FILE = "vocabulary.json"
WORD = re.compile(r"[a-z]+")


def words(text: str) -> list[str]:
    """Lowercase letter-only words, accents removed, letter repeats (heeeel) collapsed to two."""
    text = fold(text)
    text = re.sub(r"(.)\1{2,}", r"\1\1", text)
    return WORD.findall(text)


def content_words() -> set[str]:
    """Words pupils may use in answers, from the advisor-edited content files."""
    found: set[str] = set()
    for question in get_questionnaire().questions:
        for option in question.options:
            for text in (option.label, *option.match):
                found.update(words(text))
        found.update(w for t in question.topic for w in words(t))
    for entries in load_topics().values():
        for entry in entries:
            found.update(words(entry))
    return found


def unknown_share(
    text: str, vocabulary: frozenset[str], known_list: list[str] | None = None, max_words: int = 30
) -> float:
    """Share of the message's words that are neither known nor a near-typo of a known word (0 if no words).

    known_list is the vocabulary as a list for the typo search; pass it to avoid rebuilding it per message.
    """
    tokens = words(text)[:max_words]
    if not tokens:
        return 0.0
    known_list = known_list if known_list is not None else list(vocabulary)
    unknown = 0
    for token in tokens:
        if token in vocabulary or len(token) <= 2:
            continue
        if len(token) >= 4 and difflib.get_close_matches(token, known_list, n=1, cutoff=0.8):
            continue
        unknown += 1
    return unknown / len(tokens)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True)
class UnknownWordsClassifier(GraphComponent, IntentClassifier):
    """Turns messages of mostly unknown words into `nlu_fallback`."""

    @classmethod
    def required_components(cls) -> list[type]:
        # It only overrides an intent, so it needs nothing before it to train; config.yml puts it after DIET.
        return []

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"threshold": 0.6}

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        vocabulary: frozenset[str] = frozenset(),
    ) -> None:
        self.component_config = {**self.get_default_config(), **(config or {})}
        self._model_storage = model_storage
        self._resource = resource
        self.vocabulary = vocabulary
        self.known_list = sorted(vocabulary)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> UnknownWordsClassifier:
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """Learn the vocabulary of the training examples and the content files."""
        vocabulary = set(content_words())
        for example in training_data.training_examples:
            text = example.get(TEXT)
            if isinstance(text, str):
                vocabulary.update(words(text))
        self.vocabulary = frozenset(vocabulary)
        self.known_list = sorted(vocabulary)
        with self._model_storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(json.dumps(sorted(vocabulary)), encoding="utf-8")
        return self._resource

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> UnknownWordsClassifier:
        try:
            with model_storage.read_from(resource) as directory:
                vocabulary = frozenset(json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8")))
        except (ValueError, FileNotFoundError):
            vocabulary = frozenset()
        return cls(config, model_storage, resource, vocabulary)

    def process(self, messages: list[Message]) -> list[Message]:
        if not self.vocabulary:
            return messages
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or text.lstrip().startswith("/"):
                continue
            share = unknown_share(text, self.vocabulary, self.known_list)
            if share < self.component_config["threshold"]:
                continue
            intent = {INTENT_NAME_KEY: FALLBACK_INTENT, PREDICTED_CONFIDENCE_KEY: round(share, 3)}
            others = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != FALLBACK_INTENT]
            ranking = [intent, *others]
            message.set(INTENT, intent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data
