"""Playwright helpers for the widget tests: launching Debian's Chromium and driving the chat like a pupil."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import Browser, Locator, Page, Playwright, expect

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
# One bot turn may include scoring and the reveal; the widget itself gives up after 15 s.
TURN_TIMEOUT_MS = 20_000


def launch(playwright: Playwright) -> Browser:
    """Debian's Chromium, headless; Playwright's own browser download is not available offline."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def option_of(payload: str) -> str | None:
    """'q.option' from a button payload like /inform{"option": "q.option"}."""
    match = re.search(r"\{.*\}", payload)
    if not match:
        return None
    try:
        value = json.loads(match.group(0)).get("option")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def first(value: str | Sequence[str]) -> str:
    return value if isinstance(value, str) else value[0]


@dataclass
class Widget:
    """The chat widget on a page, driven through its data-testid hooks."""

    page: Page
    url: str
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("dialog", self._on_dialog)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _on_dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def by(self, testid: str) -> Locator:
        return self.page.get_by_test_id(testid)

    def goto(self, query: str = "") -> None:
        self.page.goto(self.url.rstrip("/") + "/" + query)
        expect(self.by("launcher")).to_be_attached()  # hidden on phones while the panel is open

    def open(self) -> None:
        if not self.by("panel").is_visible():
            self.by("launcher").click()
        expect(self.by("panel")).to_be_visible()

    def wait_idle(self, timeout: float = TURN_TIMEOUT_MS, ok: bool = True) -> None:
        """Wait until the bot answered (typing indicator gone); with ok, also insist there was no error."""
        expect(self.by("typing")).to_be_hidden(timeout=timeout)
        if ok:
            expect(self.by("error")).to_be_hidden(timeout=1)

    def stored(self) -> dict[str, Any]:
        """The widget's saved conversation (sessionStorage)."""
        return self.page.evaluate(
            """() => {
                const key = Object.keys(sessionStorage).find(k => k.startsWith("keuzespiegel:"));
                return key ? JSON.parse(sessionStorage.getItem(key)) : {};
            }"""
        )

    def colours(self, locator: Locator) -> tuple[str, str]:
        """Computed text colour and background colour of an element."""
        script = "e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]"
        text, background = locator.evaluate(script)
        return text, background

    def bot_messages(self) -> list[str]:
        return self.page.locator("[data-testid=bot-message] .ks-text").all_inner_texts()

    def user_messages(self) -> list[str]:
        return self.page.locator("[data-testid=user-message] .ks-text").all_inner_texts()

    def question(self) -> str | None:
        """Id of the question the bot asked last (from its `question` payload), None after the reveal."""
        progress = self.by("progress")
        if not progress.is_visible():
            return None
        return progress.get_attribute("data-question")

    def open_replies(self) -> Locator:
        return self.page.locator("[data-testid=quick-reply]:not([disabled])")

    def click_option(self, question: str, option: str) -> str:
        """Click the quick reply for question.option; returns its title."""
        button = self.page.locator(
            f"[data-testid=quick-reply]:not([disabled])[data-payload*='\"{question}.{option}\"']"
        )
        expect(button).to_have_count(1)
        title = button.inner_text()
        # Read before the click: a single-choice button is disabled by it, and the locator above then matches nothing.
        multi = button.get_attribute("aria-pressed") is not None
        button.click()
        if multi:  # a multi-select option: confirm it with "Klaar"
            self.page.locator("[data-testid=multi-done]:not([disabled])").last.click()
        return title

    def type(self, text: str) -> None:
        self.by("input").fill(text)
        self.by("input").press("Enter")

    def reveal_visible(self) -> bool:
        return self.by("persona-card").count() > 0

    def play_buttons(self, answers: Mapping[str, str | Sequence[str]], max_turns: int = 40) -> None:
        """Answer every question by clicking the quick reply of `answers` (question id -> option id(s))."""
        for _ in range(max_turns):
            self.wait_idle()
            if self.reveal_visible():
                return
            question = self.question()
            assert question, f"no question and no reveal; bot said: {self.bot_messages()[-3:]}"
            assert question in answers, f"no answer for {question}"
            count = len(self.user_messages())
            self.click_option(question, first(answers[question]))
            expect(self.by("user-message")).to_have_count(count + 1)
        raise AssertionError(f"no reveal after {max_turns} turns")

    def play_text(self, answers: Mapping[str, str], max_turns: int = 40) -> list[str]:
        """Answer every question by typing `answers[question_id]`; returns the questions asked."""
        asked: list[str] = []
        for _ in range(max_turns):
            self.wait_idle()
            if self.reveal_visible():
                return asked
            question = self.question()
            assert question, f"no question and no reveal; bot said: {self.bot_messages()[-3:]}"
            assert question in answers, f"no typed answer for {question}; bot: {self.bot_messages()[-2:]}"
            if asked and asked[-1] == question:
                said = self.bot_messages()[-2:]
                raise AssertionError(f"bot did not understand {answers[question]!r}: {said}")
            asked.append(question)
            count = len(self.user_messages())
            self.type(answers[question])
            expect(self.by("user-message")).to_have_count(count + 1)
        raise AssertionError(f"no reveal after {max_turns} turns; asked {asked}")


@contextmanager
def widget_page(browser: Browser, url: str, viewport: Mapping[str, int] = DESKTOP) -> Iterator[Widget]:
    """A fresh browser context (own sessionStorage) with the demo page's widget."""
    context = browser.new_context(viewport=dict(viewport), locale="nl-NL")  # type: ignore[arg-type]
    context.set_default_timeout(TURN_TIMEOUT_MS)
    page = context.new_page()
    try:
        yield Widget(page, url)
    finally:
        context.close()


def relative_luminance(rgb: Sequence[float]) -> float:
    def channel(c: float) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(a: Sequence[float], b: Sequence[float]) -> float:
    """WCAG 2 contrast ratio of two sRGB colours."""
    la, lb = relative_luminance(a), relative_luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def parse_rgb(css: str) -> tuple[float, float, float]:
    """'rgb(1, 2, 3)' or 'rgba(1, 2, 3, 1)' from getComputedStyle."""
    numbers = [float(n) for n in re.findall(r"[\d.]+", css)]
    return numbers[0], numbers[1], numbers[2]
