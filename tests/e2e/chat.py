"""A pupil talking to the real Rasa server over the REST channel, as the web widget does."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.settings import Settings

# As the widget (BUSY_RETRIES in web/widget/keuzespiegel.js).
BUSY_RETRIES = 3

Answer = str | Callable[[dict[str, Any], list[dict[str, Any]]], str]


@dataclass
class Chat:
    """One conversation. `send` returns the bot's replies; questions and the reveal are tracked."""

    config: Settings
    sender: str = field(default_factory=lambda: f"test-{uuid.uuid4()}")
    metadata: dict[str, Any] | None = None
    transcript: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)

    def send(self, text: str, timeout: float = 60) -> list[dict[str, Any]]:
        """Send like the widget: after "busy" or the rate limit (429 with Retry-After) wait and send again."""
        body: dict[str, Any] = {"sender": self.sender, "message": text}
        if self.metadata:
            body["metadata"] = self.metadata
        for attempt in range(BUSY_RETRIES + 1):
            request = urllib.request.Request(
                f"{self.config.rasa_url}/webhooks/rest/webhook",
                data=json.dumps(body).encode(),
                headers={"Content-Type": "application/json"},
            )
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    replies = json.loads(response.read().decode())
                break
            except urllib.error.HTTPError as error:
                wait = float(error.headers.get("Retry-After") or 0)
                if error.code != 429 or not 0 < wait <= 10 or attempt == BUSY_RETRIES:
                    raise
                time.sleep(wait)
        self.transcript.append((text, replies))
        return replies

    @staticmethod
    def customs(replies: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
        return [r["custom"] for r in replies if isinstance(r.get("custom"), dict) and r["custom"].get("type") == kind]

    @classmethod
    def question(cls, replies: list[dict[str, Any]]) -> dict[str, Any] | None:
        found = cls.customs(replies, "question")
        return found[-1] if found else None

    @classmethod
    def reveal(cls, replies: list[dict[str, Any]]) -> dict[str, Any] | None:
        found = cls.customs(replies, "reveal")
        return found[-1] if found else None

    @staticmethod
    def texts(replies: list[dict[str, Any]]) -> list[str]:
        return [r["text"] for r in replies if r.get("text")]

    @staticmethod
    def buttons(replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [b for r in replies for b in r.get("buttons", []) or []]

    def play(self, answers: Mapping[str, Answer], opening: str = "hoi", max_turns: int = 40) -> dict[str, Any]:
        """Answer every question the bot asks from `answers` (question id -> text or function) until the reveal.

        Raises AssertionError with the transcript when the bot asks something the script has no answer for.
        """
        replies = self.send(opening)
        for _ in range(max_turns):
            reveal = self.reveal(replies)
            if reveal is not None:
                return reveal
            question = self.question(replies)
            if question is None:
                raise AssertionError(f"no question and no reveal; transcript: {self.pretty()}")
            answer = answers.get(question["question"])
            if answer is None:
                raise AssertionError(f"script has no answer for {question['question']}; transcript: {self.pretty()}")
            text = answer(question, replies) if callable(answer) else answer
            replies = self.send(text)
        raise AssertionError(f"no reveal after {max_turns} turns; transcript: {self.pretty()}")

    def pretty(self) -> str:
        lines = []
        for text, replies in self.transcript:
            lines.append(f"> {text}")
            lines.extend(f"< {t}" for t in self.texts(replies))
        return "\n".join(lines)


def button_payload(replies: list[dict[str, Any]], option: str) -> str:
    """The payload of the button for `option` (an option id) among the replies' buttons."""
    for button in Chat.buttons(replies):
        if button["payload"].endswith(f'.{option}"}}'):
            return button["payload"]
    raise AssertionError(f"no button for option {option!r} in {Chat.buttons(replies)}")
