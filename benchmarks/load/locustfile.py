"""Simulated pupils for `make bench-load` (scripts/bench_load.py runs locust headless with this file).

Each simulated user is one pupil on a phone: it starts a conversation, answers every question (half of the time
with a button, otherwise with free text that pupils typed in tests/e2e/pupils.yml), asks a question or two after
the reveal, then starts again as a new pupil. Between two messages it waits 3-8 s (reading, thinking, typing).

Environment:
  BENCH_BOT    keuzespiegel (default) or moodbot (Rasa's starter bot, for the floor)
  BENCH_THINK  "3,8" (default): think time in seconds, min,max; "0" sends back to back
The sender id goes in the query string (?sender=...), as the widget sends it, so nginx can keep a pupil on one
Rasa server.
"""

from __future__ import annotations

import json
import os
import random
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml
from locust import FastHttpUser, between, constant, task

ROOT = Path(__file__).resolve().parents[2]
BOT = os.environ.get("BENCH_BOT", "keuzespiegel")
_think = [float(x) for x in os.environ.get("BENCH_THINK", "3,8").split(",")]
PATH = "/webhooks/rest/webhook"
# The stats row of "busy" answers (429 with Retry-After) that the pupil's widget sends again after the wait.
BUSY = "busy: sent again after Retry-After"
BUSY_RETRIES = 3  # the widget's BUSY_RETRIES


def _retry_after(value: str | None) -> float:
    try:
        seconds = float(value or "0")
    except ValueError:
        return 0.0
    return seconds if 0 < seconds <= 10 else 0.0


OPENINGS = ["hoi", "hallo", "hey", "hoi!", "goedemiddag"]
AFTER_REVEAL = [
    "wat deed tim na zijn studie?",
    "heeft joost ooit getwijfeld?",
    "waarom lijk ik op hem?",
    "wat doet luuk nu?",
    "/meet_other",
    "/ask_why",
]
DIGRESSIONS = ["wat is een open dag?", "ben jij een robot?", "wat gebeurt er met mijn antwoorden?"]


def _typed_answers() -> dict[str, list[str]]:
    """question id -> every free-text answer a scripted pupil gives to it."""
    pupils = yaml.safe_load((ROOT / "tests" / "e2e" / "pupils.yml").read_text(encoding="utf-8"))
    answers: dict[str, list[str]] = defaultdict(list)
    for group in pupils.values():
        for pupil in group:
            for key, text in pupil.items():
                if key != "name":
                    answers[key].append(str(text))
    return dict(answers)


TYPED = _typed_answers() if BOT == "keuzespiegel" else {}


def _custom(replies: list[dict[str, Any]], kind: str) -> dict[str, Any] | None:
    for reply in reversed(replies):
        custom = reply.get("custom")
        if isinstance(custom, dict) and custom.get("type") == kind:
            return custom
    return None


class Pupil(FastHttpUser):
    """One pupil; every task run sends one message and reads the answer."""

    wait_time = constant(0) if _think == [0.0] else between(_think[0], _think[-1])

    def on_start(self) -> None:
        self.rng = random.Random()
        self.new_conversation()

    def new_conversation(self) -> None:
        self.sender = f"load-{uuid.uuid4()}"
        self.replies: list[dict[str, Any]] = []
        self.after_reveal = 0
        self.step = 0

    def send(self, text: str) -> list[dict[str, Any]] | None:
        """One message, sent as the widget sends it: one id, and after "busy" (429 with Retry-After) the same
        message again after the wait, three times at most. Busy answers are a row of their own ("busy"), so
        the reply times of the PATH row are those of messages the bot took on."""
        metadata = {"message_id": uuid.uuid4().hex}
        for attempt in range(BUSY_RETRIES + 1):
            body = json.dumps({"sender": self.sender, "message": text, "metadata": metadata})
            last = attempt == BUSY_RETRIES
            with self.client.post(
                f"{PATH}?sender={self.sender}",
                data=body,
                headers={"Content-Type": "application/json"},
                name=PATH,
                catch_response=True,
            ) as response:
                wait = _retry_after(response.headers.get("Retry-After")) if response.status_code == 429 else 0.0
                if wait and not last:
                    response.request_meta["name"] = BUSY
                    response.success()
                else:
                    return self._read(response)
            time.sleep(wait)
        return None

    @staticmethod
    def _read(response: Any) -> list[dict[str, Any]] | None:
        if response.status_code != 200:
            response.failure(f"HTTP {response.status_code}")
            return None
        try:
            replies = json.loads(response.text or "")
        except ValueError:
            response.failure("answer is not JSON")
            return None
        if not isinstance(replies, list) or not any(r.get("text") or r.get("custom") for r in replies):
            response.failure("empty answer")
            return None
        response.success()
        return replies

    @task
    def message(self) -> None:
        text = self.next_message_moodbot() if BOT == "moodbot" else self.next_message()
        if text is None:
            self.new_conversation()
            return
        replies = self.send(text)
        self.step += 1
        if replies is None:
            self.new_conversation()
        else:
            self.replies = replies

    def next_message(self) -> str | None:
        if not self.replies:
            return self.rng.choice(OPENINGS)
        if _custom(self.replies, "reveal") is not None or self.after_reveal:
            self.after_reveal += 1
            if self.after_reveal > 2:
                return None  # this pupil is done; the user comes back as a new pupil
            return self.rng.choice(AFTER_REVEAL)
        question = _custom(self.replies, "question")
        if question is None:
            return None
        if self.rng.random() < 0.03:
            return self.rng.choice(DIGRESSIONS)
        buttons = [b for r in self.replies for b in (r.get("buttons") or [])]
        typed = TYPED.get(question["question"])
        if buttons and (not typed or self.rng.random() < 0.5):
            return self.rng.choice(buttons)["payload"]
        if typed:
            return self.rng.choice(typed)
        return "weet ik niet"

    def next_message_moodbot(self) -> str | None:
        """Rasa's starter bot: greet, tell a mood, answer its question, say goodbye."""
        script = getattr(self, "script", None)
        if self.step == 0 or script is None:
            sad = self.rng.random() < 0.5
            self.script = ["hello there", "I am sad" if sad else "I am great"]
            if sad:
                self.script.append(self.rng.choice(["yes", "no"]))
            self.script += ["are you a bot?", "bye"]
            script = self.script
        if self.step >= len(script):
            return None
        return script[self.step]
