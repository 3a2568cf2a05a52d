"""The REST input channel with limits that keep bad input harmless."""

from __future__ import annotations

from typing import Any

from rasa.core.channels.rest import RestInput
from sanic.request import Request

from bot.core.safety import is_distress

# Longer messages are no answer to a short question; the bot asks for a shorter one.
MAX_MESSAGE_CHARS = 1000
# What an empty or an over-long message becomes: an intent with its own friendly answer.
EMPTY_MESSAGE = "/empty_message"
TOO_LONG_MESSAGE = "/too_long"
DISTRESS_MESSAGE = "/distress"


def clean_text(text: Any) -> str:
    """Turn whatever arrived into a message the bot can handle.

    A long message that signals distress anywhere in it goes straight to the safety path.
    """
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    text = text.replace("\x00", "").strip()
    if not text:
        return EMPTY_MESSAGE
    if len(text) > MAX_MESSAGE_CHARS:
        return DISTRESS_MESSAGE if is_distress(text) else TOO_LONG_MESSAGE
    return text


class SafeRestInput(RestInput):
    """Rasa's REST channel (same URL: /webhooks/rest/webhook) with input cleaning."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def _extract_message(self, req: Request) -> str:
        return clean_text(req.json.get("message", None) if req.json else None)

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        metadata = request.json.get("metadata") if request.json else None
        if not isinstance(metadata, dict):
            return None
        allowed = {}
        code = metadata.get("workshop")
        if isinstance(code, str) and 0 < len(code) <= 32:
            allowed["workshop"] = code.strip().upper()
        if metadata.get("demo") is True:
            allowed["demo"] = True
        return allowed or None
