"""The "Mijn keuzespiegel" pages over HTTP: the web app with a real (temporary) tracker store, no Rasa server."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from rasa.core.tracker_store import SQLTrackerStore

from bot import settings
from bot.core import result_sheet
from bot.core.content import get_personas
from bot.server import app as web_app
from bot.server import result_page
from tests.unit.workshops.test_summary import add_conversation

ORIGIN = "https://www.school.example"


@pytest.fixture()
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> settings.Settings:
    monkeypatch.setenv("KEUZESPIEGEL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("KEUZESPIEGEL_DB_URL", f"sqlite:///{tmp_path / 'tracker.db'}")
    monkeypatch.setenv("KEUZESPIEGEL_CORS_ORIGINS", f"{ORIGIN},http://localhost:8000")
    monkeypatch.setenv("KEUZESPIEGEL_RETENTION_DAYS", "14")
    return settings.load()


def finish(config: settings.Settings, sender: str, persona: str) -> None:
    """A conversation that reached the reveal with this alumnus' own answers."""
    answers = dict(get_personas()[persona].demo_answers)
    add_conversation(SQLTrackerStore(host=config.db_url), sender, answers=answers, persona=persona,
                     scores=(0.5, 0.5, 0.5))  # fmt: skip


def call(config: settings.Settings, job: Callable[[TestClient], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        async with TestClient(TestServer(web_app.create_app(config))) as client:
            return await job(client)

    return asyncio.run(main())


async def link(client: TestClient, sender: str, origin: str | None = None) -> tuple[int, dict[str, Any], Any]:
    headers = {"Content-Type": "text/plain"}
    if origin:
        headers["Origin"] = origin
    response = await client.post("/api/mijn-keuzespiegel", data=json.dumps({"sender": sender}), headers=headers)
    return response.status, await response.json(), response.headers


def test_the_link_holds_a_token_and_never_the_chat_id(config: settings.Settings) -> None:
    sender = "3f1e2d4c-1111-4222-8333-944455556666"
    finish(config, sender, "tim")

    async def job(client: TestClient) -> Any:
        status, body, _ = await link(client, sender)
        assert status == 200
        assert sender not in json.dumps(body)
        token = body["page"].rsplit("/", 1)[1]
        assert re.fullmatch(r"[0-9a-f]{32}", token)
        assert body["pdf"] == f"/mijn-keuzespiegel/{token}.pdf"
        page = await client.get(body["page"])
        text = await page.text()
        return token, page.status, page.headers, text

    token, status, headers, text = call(config, job)
    assert status == 200
    assert sender not in text
    assert token == result_page.token_for(result_page.server_secret(config), sender)
    assert headers["Cache-Control"] == "no-store" and headers["Referrer-Policy"] == "no-referrer"
    assert "script-src 'self'" in headers["Content-Security-Policy"] and "unsafe-inline" not in headers[
        "Content-Security-Policy"]  # fmt: skip
    assert 'data-persona="tim"' in text and "Mijn keuzespiegel" in text
    assert text.count("<li><p>") == 3  # three reflection questions with room to write
    assert "antwoord " not in text  # the stored chat text ("antwoord <option>") never appears


def test_another_pupils_token_or_a_made_up_one_opens_nothing(config: settings.Settings) -> None:
    finish(config, "pupil-a", "tim")
    finish(config, "pupil-b", "joost")
    secret = result_page.server_secret(config)

    async def job(client: TestClient) -> Any:
        own = await client.get(f"/mijn-keuzespiegel/{result_page.token_for(secret, 'pupil-b')}")
        guessed = await client.get("/mijn-keuzespiegel/" + "0" * 32)
        raw_id = await client.get("/mijn-keuzespiegel/pupil-a")
        other_key = await client.get(f"/mijn-keuzespiegel/{result_page.token_for(b'another server', 'pupil-a')}")
        return [(r.status, await r.text()) for r in (own, guessed, raw_id, other_key)]

    (own_status, own_text), *rest = call(config, job)
    assert own_status == 200 and 'data-persona="joost"' in own_text
    for status, text in rest:
        assert status == 404 and "niet (meer)" in text and "data-persona" not in text


def test_no_link_without_a_result(config: settings.Settings) -> None:
    add_conversation(SQLTrackerStore(host=config.db_url), "busy", answers={"stage": "klas3"})

    async def job(client: TestClient) -> Any:
        results = [await link(client, "busy"), await link(client, "nobody")]
        bad = await client.post("/api/mijn-keuzespiegel", data="{not json")
        huge = await client.post("/api/mijn-keuzespiegel", data=json.dumps({"sender": "x" * 500}))
        return [r[0] for r in results] + [bad.status, huge.status]

    assert call(config, job) == [404, 404, 400, 400]


def test_the_pdf_is_one_a4_page(config: settings.Settings) -> None:
    finish(config, "pupil-pdf", "luuk")
    token = result_page.token_for(result_page.server_secret(config), "pupil-pdf")

    async def job(client: TestClient) -> Any:
        response = await client.get(f"/mijn-keuzespiegel/{token}.pdf")
        return response.status, response.headers, await response.read()

    status, headers, body = call(config, job)
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"] == 'attachment; filename="mijn-keuzespiegel.pdf"'
    assert headers["Cache-Control"] == "no-store"
    assert body.startswith(b"%PDF") and body.count(b"/Type /Page\n") + body.count(b"/Type /Page ") <= 1
    assert b"/Count 1" in body
    assert re.search(rb"/MediaBox \[\s*0 0 595\.\d+ 841\.\d+\s*\]", body)
    assert b"pupil-pdf" not in body


@pytest.mark.parametrize("persona", ["joost", "luuk", "tim"])
def test_the_pdf_layout_fits_on_the_page(persona: str) -> None:
    answers = dict(get_personas()[persona].demo_answers)
    slots: dict[str, Any] = {f"q_{q}": ",".join(v) if isinstance(v, list) else v for q, v in answers.items()}
    slots["persona"] = persona
    sheet = result_sheet.build_sheet(slots)
    assert sheet is not None
    # The longest next steps a school could write: five steps with links.
    steps = tuple(
        result_sheet.StepLine(text="Ga naar een open dag en vraag studenten hoe hun eerste jaar echt was." * 2,
                              link_title="Studiekeuze123", link_url="https://www.studiekeuze123.nl/studies")
        for _ in range(5)
    )  # fmt: skip
    _, bottom = result_page.layout_pdf(sheet, "1 januari 2027")
    assert bottom <= result_page.A4_INCHES[1] - result_page.PDF_MARGIN, "the usual sheet fits at full size"
    long = dataclasses.replace(sheet, steps=steps)
    fitting = [
        scale
        for scale in result_page.PDF_SCALES
        if result_page.layout_pdf(long, "1 januari 2027", scale)[1] <= result_page.A4_INCHES[1] - 0.3
    ]
    assert fitting, "even five long steps with links fit at some text size"


def test_a_conversation_that_started_over_has_no_result_any_more(config: settings.Settings) -> None:
    store = SQLTrackerStore(host=config.db_url)
    finish(config, "again", "tim")
    token = result_page.token_for(result_page.server_secret(config), "again")
    from rasa.shared.core.events import SlotSet

    tracker = asyncio.run(store.retrieve("again"))
    assert tracker is not None
    tracker.update(SlotSet("persona", None))
    asyncio.run(store.save(tracker))

    async def job(client: TestClient) -> Any:
        return (await client.get(f"/mijn-keuzespiegel/{token}")).status, (await link(client, "again"))[0]

    assert call(config, job) == (404, 404)


def test_cors_only_for_the_configured_origins(config: settings.Settings) -> None:
    finish(config, "cors", "joost")

    async def job(client: TestClient) -> Any:
        allowed = await link(client, "cors", ORIGIN)
        other = await link(client, "cors", "https://evil.example")
        preflight = await client.options(
            "/api/mijn-keuzespiegel", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}
        )
        return allowed[2], other[2], preflight.status, preflight.headers

    allowed, other, status, preflight = call(config, job)
    assert allowed["Access-Control-Allow-Origin"] == ORIGIN
    assert "Access-Control-Allow-Origin" not in other
    assert status == 204 and preflight["Access-Control-Allow-Origin"] == ORIGIN


def test_the_secret_is_made_once_and_kept_private(config: settings.Settings) -> None:
    first = result_page.server_secret(config)
    assert len(first) == 32 and result_page.server_secret(config) == first
    path = Path(config.data_dir) / result_page.SECRET_FILE
    assert path.stat().st_mode & 0o077 == 0
    assert result_page.token_for(first, "a") != result_page.token_for(first, "b")


def test_a_configured_secret_is_used_and_nothing_is_written(config: settings.Settings) -> None:
    """KEUZESPIEGEL_RESULT_SECRET: every web server with the same secret makes (and accepts) the same links."""
    configured = dataclasses.replace(config, result_secret="r" * 32)
    assert result_page.server_secret(configured) == b"r" * 32
    assert not (Path(config.data_dir) / result_page.SECRET_FILE).exists()
    finish(configured, "shared", "joost")

    async def job(client: TestClient) -> Any:
        status, body, _ = await link(client, "shared")
        page = await client.get(body["page"])
        return status, body, page.status

    status, body, page = call(configured, job)
    token = result_page.token_for(b"r" * 32, "shared")
    assert status == 200 and body["page"].endswith(f"/mijn-keuzespiegel/{token}") and page == 200
    assert result_page.token_for(result_page.server_secret(config), "shared") != token  # the file key differs
    with pytest.raises(SystemExit):
        result_page.server_secret(dataclasses.replace(config, result_secret="too-short"))


def test_info_pages_show_the_configured_retention(config: settings.Settings) -> None:
    async def job(client: TestClient) -> Any:
        privacy = await client.get("/info/privacy.html")
        paths = ("/info/../bot/settings.py", "/info/nope.html", "/info/%2e%2e%2fREADME.md", "/result/nope.js")
        missing = [(await client.get(path)).status for path in paths]
        css = await client.get("/result/result.css")
        return privacy.status, await privacy.text(), privacy.headers, missing, css.status

    status, text, headers, missing, css = call(config, job)
    assert status == 200 and "<span data-retention-days>14</span>" in text
    assert headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert set(missing) == {404} and css == 200
