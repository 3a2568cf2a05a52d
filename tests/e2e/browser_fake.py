"""A tiny fake of the Rasa REST channel plus the real web app, for developing the widget without a model.

Not used by the committed tests (they run against the real `stack`). Start it by hand:
    .venv/bin/python -m tests.e2e.browser_fake   # page at http://localhost:8199/
"""

from __future__ import annotations

import asyncio
import json
import sys
import types
from dataclasses import dataclass, replace
from typing import Any

from aiohttp import web

from bot import settings

QUESTIONS: list[tuple[str, str, str, list[tuple[str, str]]]] = [
    ("stage", "nu", "Waar sta je nu?", [("klas3", "Klas 3"), ("bovenbouw", "Bovenbouw"), ("examen", "Examenjaar")]),
    (
        "hobbies_breadth",
        "childhood",
        "Deed je vroeger veel verschillende hobby's?",
        [("one", "Eén hobby, heel lang"), ("many", "Van alles geprobeerd")],
    ),
    ("open_days", "now", "Ben je al naar open dagen geweest?", [("none", "Nee"), ("several", "Ja, meerdere")]),
    ("sure", "later", "Hoe zeker ben je van je keuze?", [("very", "Heel zeker"), ("unsure", "Nog niet zeker")]),
]
PHASE_TITLES = {"nu": "Nu", "childhood": "Vroeger", "now": "Nu", "later": "Later"}
PERSONAS = [
    {"id": "joost", "name": "Joost", "exploration": 0.15, "commitment": 0.9, "reconsideration": 0.1},
    {"id": "luuk", "name": "Luuk", "exploration": 0.8, "commitment": 0.2, "reconsideration": 0.6},
    {"id": "tim", "name": "Tim", "exploration": 0.85, "commitment": 0.8, "reconsideration": 0.3},
]
DEMO = {
    "joost": {"stage": "examen", "hobbies_breadth": "one", "open_days": "none", "sure": "very"},
    "luuk": {"stage": "bovenbouw", "hobbies_breadth": "many", "open_days": "several", "sure": "unsure"},
    "tim": {"stage": "examen", "hobbies_breadth": ["many", "one"], "open_days": "several", "sure": "very"},
}


@dataclass
class FakePersona:
    demo_answers: dict[str, Any]


def install_fake_content() -> None:
    """Make bot.core.content.get_personas() return the fake questionnaire's demo answers."""
    try:
        import bot.core.content as module
    except ImportError:
        module = types.ModuleType("bot.core.content")
        sys.modules["bot.core.content"] = module
    module.get_personas = lambda: {k: FakePersona(v) for k, v in DEMO.items()}  # type: ignore[attr-defined]


def question_replies(sender: str, index: int) -> list[dict[str, Any]]:
    qid, phase, text, options = QUESTIONS[index]
    buttons = [{"title": t, "payload": "/inform" + json.dumps({"option": f"{qid}.{o}"})} for o, t in options]
    return [
        {"recipient_id": sender, "text": text, "buttons": buttons},
        {
            "recipient_id": sender,
            "custom": {
                "type": "question",
                "question": qid,
                "phase": phase,
                "phase_title": PHASE_TITLES[phase],
                "index": index + 1,
                "total": len(QUESTIONS),
            },
        },
    ]


def reveal(sender: str, answers: dict[str, str], demo: bool) -> list[dict[str, Any]]:
    exploration = 0.8 if answers.get("hobbies_breadth") == "many" else 0.2
    commitment = 0.85 if answers.get("sure") == "very" else 0.25
    persona = "joost" if exploration < 0.5 else ("tim" if commitment > 0.5 else "luuk")
    name = persona.capitalize()
    return [
        {"recipient_id": sender, "text": f"Klaar!\nJij lijkt het meest op {name}."},
        {
            "recipient_id": sender,
            "custom": {
                "type": "reveal",
                "persona": persona,
                "name": name,
                "status": "achievement",
                "status_label": "Bewust gekozen",
                "status_explain": "Je hebt veel uitgezocht en daarna gekozen.",
                "fit": "good" if persona != "luuk" else "diffusion",
                "margin": 0.2,
                "confidence": 0.7,
                "exploration": exploration,
                "commitment": commitment,
                "reconsideration": 0.3,
                "motives": {},
                "personas": PERSONAS,
                "evidence": [],
                "card": {
                    "intro": f"{name} studeert nu werktuigbouwkunde.",
                    "phases": [
                        {"id": "childhood", "title": "Basisschool", "text": "Lego, voetbal en\nschaken."},
                        {"id": "now", "title": "Middelbare school", "text": "Technasium-projecten."},
                    ],
                    "next_steps": ["Ga naar een open dag.", "Praat met je decaan."],
                },
                "demo": demo,
            },
        },
    ]


def fake_rasa_app(web_origin: str) -> web.Application:
    """The REST webhook with the contract's replies; answers by button payload or by the option's label."""
    convs: dict[str, dict[str, Any]] = {}

    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        sender, message = body["sender"], body.get("message", "")
        demo = bool((body.get("metadata") or {}).get("demo"))
        conv = convs.setdefault(sender, {"index": -1, "answers": {}})
        replies: list[dict[str, Any]] = []
        if conv["index"] < 0:
            conv["index"] = 0
            replies.append({"recipient_id": sender, "text": "Hoi! Ik ben de Keuzespiegel, een chatbot."})
        else:
            qid, _, _, options = QUESTIONS[conv["index"]]
            chosen = None
            for option, label in options:
                if f'{qid}.{option}"' in message or message.strip().lower() == label.lower():
                    chosen = option
            if chosen is None:
                replies.append({"recipient_id": sender, "text": f"Dat begreep ik niet: {message}"})
            else:
                conv["answers"][qid] = chosen
                conv["index"] += 1
        if conv["index"] >= len(QUESTIONS):
            replies += reveal(sender, conv["answers"], demo)
        else:
            replies += question_replies(sender, conv["index"])
        return web.json_response(replies, headers={"Access-Control-Allow-Origin": web_origin})

    async def options(request: web.Request) -> web.Response:
        return web.Response(
            headers={
                "Access-Control-Allow-Origin": web_origin,
                "Access-Control-Allow-Methods": "POST, OPTIONS",
                "Access-Control-Allow-Headers": "Content-Type",
            }
        )

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    app.router.add_route("OPTIONS", "/webhooks/rest/webhook", options)
    return app


async def serve(web_port: int = 8199, rasa_port: int = 5199) -> None:
    install_fake_content()
    from bot.server import app as bot_web

    config = replace(settings.load(), web_port=web_port, rasa_port=rasa_port)
    runners = []
    for app, port in ((fake_rasa_app(config.web_url), rasa_port), (bot_web.create_app(config), web_port)):
        runner = web.AppRunner(app)
        await runner.setup()
        await web.TCPSite(runner, config.host, port).start()
        runners.append(runner)
    print(json.dumps({"web": config.web_url, "rasa": config.rasa_url}), flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(serve())
