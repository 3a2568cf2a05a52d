"""The cached validator of action server answers (bot/plugins/tracker_store.py) gives Rasa's verdicts, faster."""

from __future__ import annotations

import time

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from bot.plugins import tracker_store as speedups

GOOD = {
    "events": [{"event": "slot", "name": "q_stage", "value": "klas3"}, {"event": "action_execution_rejected"}],
    "responses": [{"text": "Hoi", "buttons": []}],
}
BAD = [
    {"events": [{"event": "slot", "name": "q_stage", "value": "klas3", "timestamp": "gisteren"}]},
    {"events": "not a list"},
    {"responses": [1, 2]},
]


def rasa_original(result: dict) -> bool:
    jsonschema.validate(result, RemoteAction.action_response_format_spec())
    return True


def test_same_verdicts_as_rasa() -> None:
    action = RemoteAction("validate_questionnaire_form", None)
    assert speedups._validate_action_result(action, GOOD) is rasa_original(GOOD) is True
    for bad in BAD:
        with pytest.raises(jsonschema.ValidationError):
            rasa_original(bad)
        with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server response"):
            speedups._validate_action_result(action, bad)


def test_install_replaces_the_method_and_is_faster() -> None:
    speedups.install_speedups()
    action = RemoteAction("validate_questionnaire_form", None)
    assert action._validate_action_result(GOOD) is True
    start = time.perf_counter()
    for _ in range(5):
        rasa_original(GOOD)
    original = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(5):
        action._validate_action_result(GOOD)
    cached = time.perf_counter() - start
    assert cached < original / 3


def test_event_classes_resolve_as_in_rasa() -> None:
    from rasa.shared.core.events import ActionExecuted, Event, SlotSet, UserUttered
    from rasa.shared.utils.common import all_subclasses

    def rasa_resolve(name: str) -> type | None:
        return next((cls for cls in all_subclasses(Event) if cls.type_name == name), None)

    names = {cls.type_name for cls in all_subclasses(Event)}
    assert {"user", "slot", "action"} <= names
    for name in names:
        assert speedups._resolve_by_type(name) is rasa_resolve(name)
    assert speedups._resolve_by_type("slot") is SlotSet and speedups._resolve_by_type("user") is UserUttered
    assert speedups._resolve_by_type("topic") is None
    assert speedups._resolve_by_type("nonsense", default=ActionExecuted) is ActionExecuted
    with pytest.raises(ValueError, match="Unknown event name"):
        speedups._resolve_by_type("nonsense")
    events = [{"event": "slot", "name": "q_stage", "value": "klas3"}, {"event": "action", "name": "action_listen"}]
    speedups.install_speedups()
    assert [type(e) for e in map(Event.from_parameters, events)] == [SlotSet, ActionExecuted]
