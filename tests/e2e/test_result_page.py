"""The pupil's own "Mijn keuzespiegel" against the real servers: link, print view in Chromium, PDF download."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from playwright.sync_api import Browser, expect, sync_playwright

from bot import ROOT
from bot.core.content import get_personas, get_questionnaire
from bot.core.turn import button_payload
from bot.settings import Settings
from tests.e2e.browser_support import DESKTOP, PHONE, launch
from tests.e2e.chat import Chat

pytestmark = pytest.mark.e2e

SCREENSHOTS = ROOT / "docs" / "screenshots"
# A scripted pupil who types every answer (tests/e2e/pupils.yml); the sheet shows option labels, never these words.
PUPIL = {k: v for k, v in yaml.safe_load((ROOT / "tests" / "e2e" / "pupils.yml").read_text(encoding="utf-8"))[
    "joost"][0].items() if k != "name"}  # fmt: skip
TYPED_WORDS = ("al jaren op judo", "arduino", "dat weet ik al heel lang", "echt wat voor mij")


@pytest.fixture(scope="module")
def browser(stack: Settings) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


def result_link(stack: Settings, sender: str) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        f"{stack.web_url}/api/mijn-keuzespiegel",
        data=json.dumps({"sender": sender}).encode(),
        headers={"Content-Type": "text/plain"},
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, {}


def get(stack: Settings, path: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(f"{stack.web_url}{path}") as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def finished_chat(stack: Settings, answers: dict[str, str]) -> tuple[Chat, dict[str, Any]]:
    chat = Chat(stack)
    reveal = chat.play(answers)
    return chat, reveal


def test_the_sheet_matches_the_chat_and_holds_no_chat_text(stack: Settings) -> None:
    chat, reveal = finished_chat(stack, PUPIL)
    status, link = result_link(stack, chat.sender)
    assert status == 200, chat.pretty()
    assert chat.sender not in json.dumps(link)
    status, headers, body = get(stack, link["page"])
    page = body.decode()
    assert status == 200 and headers["Cache-Control"] == "no-store" and headers["Referrer-Policy"] == "no-referrer"
    assert f'data-persona="{reveal["persona"]}"' in page and f'data-fit="{reveal["fit"]}"' in page
    assert reveal["name"] in page
    for label in (get_questionnaire().dimensions[d]["label"] for d in ("exploration", "commitment")):
        assert label in page
    assert f"{round(reveal['exploration'] * 100)}%" in page
    assert chat.sender not in page
    assert all(word in " ".join(PUPIL.values()) for word in TYPED_WORDS)
    for typed in TYPED_WORDS:
        assert typed not in page, f"chat text {typed!r} on the sheet"
    status, headers, pdf = get(stack, link["pdf"])
    assert status == 200 and headers["Content-Type"] == "application/pdf" and pdf.startswith(b"%PDF")
    assert b"/Count 1" in pdf and chat.sender.encode() not in pdf


def test_no_sheet_before_the_end_nor_after_starting_over(stack: Settings) -> None:
    chat = Chat(stack)
    chat.send("hoi")
    assert result_link(stack, chat.sender)[0] == 404
    answers = {
        qid: button_payload(qid, ",".join(v) if isinstance(v, list) else v)
        for qid, v in get_personas()["joost"].demo_answers.items()
    }
    chat.play(answers, opening="hallo")
    status, link = result_link(stack, chat.sender)
    assert status == 200
    chat.send("/start_over")
    replies = chat.send("/confirm_start_over")
    assert Chat.question(replies) is not None, chat.pretty()
    assert result_link(stack, chat.sender)[0] == 404
    assert get(stack, link["page"])[0] == 404 and get(stack, link["pdf"])[0] == 404


def test_a_made_up_or_raw_id_address_opens_nothing(stack: Settings) -> None:
    chat, _ = finished_chat(stack, PUPIL)
    for path in (f"/mijn-keuzespiegel/{chat.sender}", "/mijn-keuzespiegel/" + "a" * 32, "/mijn-keuzespiegel/x.pdf"):
        status, _, body = get(stack, path)
        assert status == 404 and b"data-persona" not in body


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_print_view_in_the_browser_is_one_a4_page(browser: Browser, stack: Settings, viewport: dict[str, int]) -> None:
    chat, reveal = finished_chat(stack, PUPIL)
    _, link = result_link(stack, chat.sender)
    context = browser.new_context(viewport=viewport, locale="nl-NL")  # type: ignore[arg-type]
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    try:
        page.goto(stack.web_url + link["page"])
        sheet = page.get_by_test_id("sheet")
        expect(sheet).to_be_visible()
        expect(page.get_by_test_id("sheet-heading")).to_contain_text(reveal["name"])
        expect(page.get_by_test_id("sheet-reflection").locator("li")).to_have_count(3)
        answers = page.get_by_test_id("sheet-answers").locator("dd")
        assert answers.count() >= 10
        assert page.get_by_test_id("sheet-plot").evaluate("img => img.complete && img.naturalWidth > 0")
        assert page.get_by_test_id("sheet-steps").locator("li").count() >= 1
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        if viewport is DESKTOP:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "mijn-keuzespiegel.png"), full_page=True)
            # Printing: the buttons disappear and everything fits on one A4 sheet.
            page.emulate_media(media="print")
            expect(page.get_by_test_id("sheet-print")).to_be_hidden()
            printed = page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
            pages = len(re.findall(rb"/Type\s*/Page[^s]", printed))
            assert pages == 1, f"the print view takes {pages} pages"
        assert errors == [], errors
    finally:
        context.close()
