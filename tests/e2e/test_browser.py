"""The web chat widget in a real browser (Debian's Chromium) against the real servers (`stack` fixture)."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Route, expect, sync_playwright

from bot import ROOT
from bot.core.content import get_personas, get_questionnaire
from bot.settings import Settings
from bot.workshops import store
from tests.e2e.browser_support import (
    DESKTOP,
    PHONE,
    Widget,
    contrast_ratio,
    first,
    launch,
    parse_rgb,
    widget_page,
)

pytestmark = pytest.mark.e2e

SCREENSHOTS = ROOT / "docs" / "screenshots"
WEBHOOK = "**/webhooks/rest/webhook"
ERROR_TEXT = "Het lukt nu even niet om de chatbot te bereiken. Probeer het zo nog eens."
PROGRESS = re.compile(r"^Vraag \d+ van \d+ · \S.*$")

# Typed answers in a pupil's own words that the bot should read as Joost's way of choosing.
JOOST_TYPED = {
    "stage": "ik studeer al, eerste jaar",
    "hobbies_breadth": "ik deed jarenlang hetzelfde, altijd voetbal",
    "hobbies_technical": "ja, vooral lego en robots bouwen",
    "profile": "NT natuurlijk, dat was meteen duidelijk",
    "extra_subjects": "nee, geen extra vakken",
    "open_days": "maar eentje",
    "open_days_kind": "alleen technische studies",
    "studies_considered": "alleen werktuigbouwkunde, dat stond vast",
    "doubt": "nee, nooit getwijfeld",
    "first_year_doubt": "nee, het klopte meteen",
    "what_matters": "de techniek zelf, hoe dingen werken",
    "direction_fit": "helemaal, werktuigbouwkunde past perfect bij mij",
    "future": "ja, ik word ingenieur, dat weet ik al heel lang",
}


@pytest.fixture(scope="module")
def browser(stack: Settings) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


def demo_answers(persona: str) -> dict[str, Any]:
    return dict(get_personas()[persona].demo_answers)


def option_label(question: str, option: str) -> str:
    return next(o.label for o in get_questionnaire().question(question).options if o.id == option)


def reveal_payload(widget: Widget) -> dict[str, Any]:
    reveals = [item["data"] for item in widget.stored()["items"] if item["kind"] == "reveal"]
    assert len(reveals) == 1
    return reveals[0]


def screenshot(widget: Widget, name: str) -> None:
    """Save docs/screenshots/<name> with the chat scrolled to the top of the persona card."""
    widget.page.locator(".ks-scroller").evaluate(
        "(s) => { s.scrollTop = s.querySelector('[data-testid=persona-card]').offsetTop - 8; }"
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    widget.page.screenshot(path=str(SCREENSHOTS / name))


def check_reveal(widget: Widget, persona: str, screenshot_name: str | None = None) -> dict[str, Any]:
    """The persona card and the plot are there, readable and agree with the bot's reveal payload."""
    card = widget.by("persona-card")
    expect(card).to_be_visible()
    expect(widget.by("persona-portrait")).to_be_visible()
    if screenshot_name:
        screenshot(widget, screenshot_name)
    expect(card).to_have_attribute("data-persona", persona)
    payload = reveal_payload(widget)
    assert payload["persona"] == persona
    expect(widget.by("persona-name")).to_have_text(get_personas()[persona].name)
    portrait = widget.by("persona-portrait")
    expect(portrait).to_be_visible()
    assert portrait.evaluate("img => img.complete && img.naturalWidth > 0"), "portrait did not load"
    expect(widget.by("persona-status")).to_have_text(payload["status_label"])
    fit = widget.by("persona-fit")
    expect(fit).to_have_attribute("data-fit", payload["fit"])
    # An honest heading: only a good fit says "Jij lijkt het meest op".
    kicker = widget.by("persona-kicker")
    if payload["fit"] == "good":
        expect(kicker).to_have_text("Jij lijkt het meest op")
    else:
        expect(kicker).not_to_have_text("Jij lijkt het meest op")
    assert "persona" not in card.inner_text().lower()
    phases = card.locator("details")
    assert phases.count() == len(payload["card"]["phases"]) > 0
    phases.first.locator("summary").click()
    expect(phases.first.locator("p")).to_be_visible()

    plot = widget.by("plot")
    expect(plot).to_be_visible()
    # One name per score: the questionnaire's labels, the same as in the questions.
    labels = {key: value["label"] for key, value in get_questionnaire().dimensions.items()}
    expect(widget.by("plot-x-label")).to_have_text(f"{labels['exploration']} →")
    expect(widget.by("plot-y-label")).to_have_text(f"{labels['commitment']} →")
    for other in ("joost", "luuk", "tim"):
        expect(widget.by(f"plot-persona-{other}")).to_contain_text(get_personas()[other].name)
    you = widget.by("plot-you")
    expect(you).to_contain_text("Jij")
    for key in ("exploration", "commitment", "reconsideration"):
        assert float(you.get_attribute(f"data-{key}")) == pytest.approx(payload[key], abs=1e-6)
    # The pupil's dot sits where the numbers say: x grows with exploration, y (up) with commitment.
    dot = you.locator("circle.ks-plot-you-dot")
    cx, cy = float(dot.get_attribute("cx")), float(dot.get_attribute("cy"))
    assert cx == pytest.approx(52 + payload["exploration"] * 274, abs=0.5)
    assert cy == pytest.approx(246 - payload["commitment"] * 230, abs=0.5)
    ring = float(widget.by("plot-twijfel").get_attribute("r"))
    assert ring == pytest.approx(11 + payload["reconsideration"] * 34, abs=0.5)
    expect(widget.by("plot-twijfel-legend")).to_contain_text(labels["reconsideration"].lower())
    expect(widget.by("plot-twijfel-legend")).to_contain_text(f"{round(payload['reconsideration'] * 100)}%")
    return payload


def no_horizontal_scroll(widget: Widget, width: int) -> None:
    page_width = widget.page.evaluate("document.documentElement.scrollWidth")
    assert page_width <= width, f"page is {page_width}px wide at a {width}px viewport"
    inner = widget.page.locator(".ks-scroller").evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert inner[0] <= inner[1], f"chat content overflows sideways: {inner}"
    box = widget.by("panel").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5


def test_buttons_only_to_reveal_joost(browser: Browser, stack: Settings) -> None:
    """(a) Buttons only, with Joost's demo answers: the card and the plot show Joost and the scores."""
    with widget_page(browser, stack.web_url, DESKTOP) as widget:
        widget.goto()
        widget.open()
        widget.wait_idle()
        assert widget.bot_messages(), "the bot did not greet"
        expect(widget.by("progress")).to_have_text(PROGRESS)
        first_question = widget.question()
        widget.play_buttons(demo_answers("joost"))
        check_reveal(widget, "joost", "reveal-desktop.png")
        # Every quick reply that was used is locked, and the pupil's bubbles show the button titles.
        assert widget.page.locator("[data-testid=quick-reply].ks-chosen:not([disabled])").count() == 0
        stage_title = option_label(first_question, first(demo_answers("joost")[first_question]))
        assert widget.user_messages()[0] == stage_title
        assert widget.errors == []


def test_typed_conversation_to_reveal(browser: Browser, stack: Settings) -> None:
    """(b) Typing free Dutch text only leads to Joost as well."""
    with widget_page(browser, stack.web_url, DESKTOP) as widget:
        widget.goto()
        widget.open()
        asked = widget.play_text(JOOST_TYPED)
        assert asked[0] == "stage"
        check_reveal(widget, "joost")
        assert widget.user_messages()[: len(asked)] == [JOOST_TYPED[q] for q in asked]
        assert widget.errors == []


def test_reload_keeps_the_conversation(browser: Browser, stack: Settings) -> None:
    """(c) A reload mid-conversation restores the transcript and the same conversation goes on."""
    answers = demo_answers("tim")
    with widget_page(browser, stack.web_url, PHONE) as widget:
        widget.goto()
        widget.open()
        for _ in range(3):
            widget.wait_idle()
            question = widget.question()
            assert question
            widget.click_option(question, first(answers[question]))
        widget.wait_idle()
        before_bot, before_user = widget.bot_messages(), widget.user_messages()
        sender, question = widget.stored()["sender"], widget.question()
        progress = widget.by("progress").inner_text()

        widget.page.reload()
        expect(widget.by("panel")).to_be_visible()
        assert widget.bot_messages() == before_bot
        assert widget.user_messages() == before_user
        assert widget.stored()["sender"] == sender
        expect(widget.by("progress")).to_have_text(progress)
        assert widget.question() == question
        # Used quick replies stay locked; only the open question's replies can be clicked.
        assert widget.page.locator("[data-testid=quick-reply][disabled]").count() >= 3
        widget.click_option(question, first(answers[question]))
        widget.wait_idle()
        assert widget.question() not in (None, "stage", question), "the conversation did not continue"
        assert widget.stored()["sender"] == sender

        # "Opnieuw beginnen": empty transcript, a new sender id, and the bot starts over.
        widget.by("restart").click()
        widget.wait_idle()
        assert widget.stored()["sender"] != sender
        assert widget.user_messages() == []
        assert widget.question() == "stage"
        assert widget.errors == []


def test_html_is_shown_as_text(browser: Browser, stack: Settings) -> None:
    """(d) Markup typed by a pupil is shown as text: no element, no script, no dialog."""
    attack = "<img src=x onerror=alert(1)>"
    with widget_page(browser, stack.web_url, DESKTOP) as widget:
        widget.goto()
        widget.open()
        widget.wait_idle()
        widget.type(attack)
        widget.wait_idle()
        assert attack in widget.user_messages()
        widget.page.wait_for_timeout(300)
        assert widget.dialogs == []
        assert widget.page.locator("img").count() == 0  # pierces the widget's shadow root
        html = widget.page.locator("[data-testid=messages]").inner_html()
        assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
        assert widget.errors == []


def test_bot_unreachable_then_retry(browser: Browser, stack: Settings) -> None:
    """(e) Network errors and server errors: a Dutch message, the text stays, the retry sends it."""
    with widget_page(browser, stack.web_url, DESKTOP) as widget:
        widget.goto()
        widget.open()
        widget.wait_idle()
        question = widget.question()
        bubbles = len(widget.user_messages())

        widget.page.route(WEBHOOK, lambda route: route.abort("connectionrefused"))
        widget.type("ik zit in 5 havo")
        expect(widget.by("error")).to_be_visible()
        expect(widget.by("error")).to_contain_text(ERROR_TEXT)
        expect(widget.by("retry")).to_have_text("Opnieuw proberen")
        expect(widget.by("input")).to_have_value("ik zit in 5 havo")
        assert len(widget.user_messages()) == bubbles, "an undelivered message must not look sent"
        assert widget.open_replies().count() > 0, "quick replies must stay usable"

        # A 500 from the server is an error too, also for a clicked quick reply.
        widget.page.unroute(WEBHOOK)

        def fail(route: Route) -> None:
            route.fulfill(status=500, body="kapot")

        widget.page.route(WEBHOOK, fail)
        widget.by("retry").click()
        expect(widget.by("error")).to_be_visible()
        expect(widget.by("input")).to_have_value("ik zit in 5 havo")

        widget.page.unroute(WEBHOOK)
        widget.by("retry").click()
        widget.wait_idle()
        expect(widget.by("error")).to_be_hidden()
        assert widget.user_messages()[-1] == "ik zit in 5 havo"
        expect(widget.by("input")).to_have_value("")
        assert widget.question() != question, "the retried answer did not reach the bot"
        assert widget.errors == []


def test_busy_server_the_widget_sends_again_by_itself(browser: Browser, stack: Settings) -> None:
    """A full server answers 429 "busy" with Retry-After: the widget waits and sends the same message again
    (same message id), without an error; a message that failed and is retried by the button is marked."""
    with widget_page(browser, stack.web_url, DESKTOP) as widget:
        widget.goto()
        widget.open()
        widget.wait_idle()
        question = widget.question()
        sent: list[dict[str, Any]] = []

        def busy_once(route: Route) -> None:
            sent.append(json.loads(route.request.post_data or "{}"))
            if len(sent) == 1:
                route.fulfill(
                    status=429,
                    headers={
                        "Retry-After": "1",
                        "Content-Type": "application/json",
                        "Access-Control-Allow-Origin": route.request.headers.get("origin", "*"),
                        "Access-Control-Expose-Headers": "Retry-After",
                    },
                    body=json.dumps({"error": "druk"}),
                )
            else:
                route.continue_()

        widget.page.route(WEBHOOK, busy_once)
        widget.type("ik zit in 5 havo")
        widget.wait_idle()
        expect(widget.by("error")).to_be_hidden()
        assert widget.question() != question, "the answer went through after the wait"
        assert len(sent) == 2
        ids = {body["metadata"]["message_id"] for body in sent}
        assert len(ids) == 1 and len(ids.pop()) >= 16, "the same message id both times"
        assert not any(body["metadata"].get("retry") for body in sent), "an automatic resend is no retry"

        # The retry button resends the failed message with its id and the retry mark.
        widget.page.unroute(WEBHOOK)
        failed: list[dict[str, Any]] = []

        def refuse_once(route: Route) -> None:
            failed.append(json.loads(route.request.post_data or "{}"))
            if len(failed) == 1:
                route.abort("connectionrefused")
            else:
                route.continue_()

        widget.page.route(WEBHOOK, refuse_once)
        widget.type("weet ik niet")
        expect(widget.by("error")).to_be_visible()
        widget.by("retry").click()
        widget.wait_idle()
        expect(widget.by("error")).to_be_hidden()
        assert len(failed) == 2
        assert failed[0]["metadata"]["message_id"] == failed[1]["metadata"]["message_id"]
        assert "retry" not in failed[0]["metadata"] and failed[1]["metadata"]["retry"] is True
        widget.page.unroute(WEBHOOK)
        assert widget.errors == []


def test_keyboard_only(browser: Browser, stack: Settings) -> None:
    """(g) Tab to the launcher, open it with Enter, type and send with Enter, pick a reply, Esc closes."""
    with widget_page(browser, stack.web_url, DESKTOP) as widget:
        widget.goto()
        keyboard = widget.page.keyboard
        launcher = widget.by("launcher")
        for _ in range(40):
            keyboard.press("Tab")
            if launcher.evaluate("e => e.getRootNode().activeElement === e"):
                break
        expect(launcher).to_be_focused()
        outline = launcher.evaluate("e => getComputedStyle(e).outlineStyle")
        assert outline != "none", "the focused launcher has no visible focus ring"
        keyboard.press("Enter")
        expect(widget.by("panel")).to_be_visible()
        expect(widget.by("input")).to_be_focused()
        widget.wait_idle()
        keyboard.type("ik studeer al")
        keyboard.press("Enter")
        expect(widget.by("user-message")).to_have_count(1)
        widget.wait_idle()
        question = widget.question()
        assert question not in (None, "stage")
        # Shift+Tab from the field walks back through the panel and reaches the quick replies.
        for _ in range(15):
            keyboard.press("Shift+Tab")
            focused = widget.page.evaluate(
                "() => { const a = document.querySelector('#keuzespiegel-widget').shadowRoot.activeElement;"
                " return a ? a.getAttribute('data-testid') : null; }"
            )
            if focused == "quick-reply":
                break
        assert focused == "quick-reply"
        keyboard.press("Enter")
        expect(widget.by("user-message")).to_have_count(2)
        widget.wait_idle()
        assert widget.question() != question
        keyboard.press("Escape")
        expect(widget.by("panel")).to_be_hidden()
        expect(launcher).to_be_focused()
        assert widget.errors == []


def test_demo_mode_reaches_tim_on_a_phone(browser: Browser, stack: Settings) -> None:
    """(h) + (f) ?demo=tim answers by itself with Tim's answers, marks every message demo, fits 360px."""
    with widget_page(browser, stack.web_url, PHONE) as widget:
        sent: list[dict[str, Any]] = []

        def record(request: Any) -> None:
            if request.url.endswith("/webhooks/rest/webhook") and request.method == "POST":
                sent.append(json.loads(request.post_data or "{}"))

        widget.page.on("request", record)
        widget.goto("?demo=tim")
        expect(widget.by("panel")).to_be_visible()  # demo mode opens by itself
        expect(widget.by("demo-banner")).to_contain_text("DEMO")
        no_horizontal_scroll(widget, PHONE["width"])
        expect(widget.by("persona-card")).to_be_visible(timeout=90_000)
        widget.wait_idle()
        check_reveal(widget, "tim", "reveal-phone.png")
        assert len(sent) >= len(demo_answers("tim"))
        assert all(body["metadata"].get("demo") is True for body in sent)
        assert sent[0]["message"] == "hoi"
        assert widget.user_messages()[0] == option_label("stage", demo_answers("tim")["stage"])
        no_horizontal_scroll(widget, PHONE["width"])
        banner = widget.colours(widget.by("demo-banner"))
        assert contrast_ratio(parse_rgb(banner[0]), parse_rgb(banner[1])) >= 4.5
        assert widget.errors == []


def test_colour_contrast_and_phone_layout(browser: Browser, stack: Settings) -> None:
    """(6, f) Text colours reach WCAG AA (4.5:1) on their backgrounds; nothing scrolls sideways at 360px."""
    with widget_page(browser, stack.web_url, PHONE) as widget:
        widget.goto()
        assert widget.page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        widget.open()
        widget.wait_idle()
        question = widget.question()
        assert question
        widget.click_option(question, first(demo_answers("luuk")[question]))
        widget.wait_idle()
        widget.page.route(WEBHOOK, lambda route: route.abort())
        widget.type("hallo")
        expect(widget.by("error")).to_be_visible()
        no_horizontal_scroll(widget, PHONE["width"])
        locators = {
            "header": widget.page.locator(".ks-header"),
            "bot bubble": widget.by("bot-message").first,
            "pupil bubble": widget.by("user-message").first,
            "quick reply": widget.open_replies().first,
            "chosen reply": widget.page.locator(".ks-quick-reply.ks-chosen").first,
            "used reply": widget.page.locator(".ks-quick-reply[disabled]:not(.ks-chosen)").first,
            "send button": widget.by("send"),
            "error": widget.by("error"),
            "retry button": widget.by("retry"),
            "input": widget.by("input"),
        }
        low = {}
        for name, locator in locators.items():
            text, background = widget.colours(locator)
            ratio = contrast_ratio(parse_rgb(text), parse_rgb(background))
            if ratio < 4.5:
                low[name] = round(ratio, 2)
        assert low == {}, f"contrast below 4.5:1: {low}"


def test_no_reply_within_15_seconds(browser: Browser, stack: Settings) -> None:
    """(4) A bot that does not answer within 15 s counts as unreachable (fake clock, no real waiting)."""
    with widget_page(browser, stack.web_url, DESKTOP) as widget:
        widget.page.clock.install()
        widget.goto()
        widget.open()
        widget.wait_idle()
        held: list[Route] = []
        widget.page.route(WEBHOOK, lambda route: held.append(route))
        widget.type("6 vwo")
        expect(widget.by("typing")).to_be_visible()
        for _ in range(100):  # let the request reach the route
            if held:
                break
            widget.page.wait_for_timeout(50)
        assert held, "the message never left the page"
        widget.page.clock.run_for(10_000)
        expect(widget.by("error")).to_be_hidden()  # still waiting after 10 s
        widget.page.clock.run_for(6_000)
        expect(widget.by("error")).to_contain_text(ERROR_TEXT)
        expect(widget.by("input")).to_have_value("6 vwo")
        for route in held:
            route.abort()
        widget.page.unroute(WEBHOOK)
        widget.by("retry").click()
        widget.wait_idle()
        assert widget.user_messages()[-1] == "6 vwo"
        assert widget.errors == []


def test_web_server_headers_and_demo_api(stack: Settings) -> None:
    """The demo page carries the Rasa address and a strict CSP; static files and /api/demo are served right."""
    with urllib.request.urlopen(f"{stack.web_url}/") as response:
        page = response.read().decode()
        csp = response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert f'data-bot-url="{stack.rasa_url}"' in page
    assert page.count("<script") == 1
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert f"connect-src 'self' {stack.rasa_url}" in csp
    for path, kind in [
        ("/widget/keuzespiegel.js", "text/javascript"),
        ("/widget/keuzespiegel.css", "text/css"),
        ("/widget/portraits/tim.svg", "image/svg+xml"),
    ]:
        with urllib.request.urlopen(f"{stack.web_url}{path}") as response:
            assert response.headers["Content-Type"].startswith(kind)
            assert "max-age" in response.headers["Cache-Control"]
            assert response.headers["X-Content-Type-Options"] == "nosniff"
    for bad in ("/widget/../bot/web.py", "/widget/%2e%2e/bot/web.py", "/widget/nope.js", "/api/demo/nobody"):
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(f"{stack.web_url}{bad}")
        assert caught.value.code == 404
    with urllib.request.urlopen(f"{stack.web_url}/api/demo/tim") as response:
        demo = json.loads(response.read())
    assert demo["persona"] == "tim"
    for question, option in demo_answers("tim").items():
        chosen = ",".join(option) if isinstance(option, list) else option  # a multi answer carries every option
        assert demo["answers"][question] == "/inform" + json.dumps({"option": f"{question}.{chosen}"})


def test_workshop_code_from_the_page_url(browser: Browser, stack: Settings) -> None:
    """?workshop=CODE goes along with every message as metadata (upper case), and survives a reload."""
    with widget_page(browser, stack.web_url, PHONE) as widget:
        bodies: list[dict[str, Any]] = []
        widget.page.on(
            "request",
            lambda r: bodies.append(json.loads(r.post_data or "{}")) if r.url.endswith("/rest/webhook") else None,
        )
        widget.goto("?workshop=ab12cd")
        widget.open()
        widget.wait_idle()
        widget.page.goto(stack.web_url + "/")  # another page of the school site, without the code
        widget.type("klas 3")
        widget.wait_idle()
        assert [b["metadata"]["workshop"] for b in bodies] == ["AB12CD"] * 2
        ids = [b["metadata"].pop("message_id") for b in bodies]
        assert len(set(ids)) == 2, "every message its own id"
        assert [b["metadata"] for b in bodies] == [{"workshop": "AB12CD"}] * 2, "nothing else in the metadata"


# ---------- issue 14 (first screen, keeping the result, "Herken je jezelf?"), issue 10 item 6 (multi-select) ----------


def multi_question() -> Any:
    return next(q for q in get_questionnaire().questions if q.multi)


def test_first_screen_says_what_happens_and_what_is_stored(browser: Browser, stack: Settings) -> None:
    """Before the first question: two lines (what happens, what is stored) and a link to the privacy text."""
    with widget_page(browser, stack.web_url, PHONE) as widget:
        widget.goto()
        widget.open()
        widget.wait_idle()
        intro = widget.by("intro")
        expect(intro).to_be_visible()
        lines = intro.locator("p")
        expect(lines).to_have_count(2)
        expect(lines.nth(0)).to_contain_text("vragen")
        expect(lines.nth(1)).to_contain_text("bewaard")
        # It comes before the bot's first message and the first question.
        above = widget.page.evaluate(
            """() => { const r = document.querySelector('#keuzespiegel-widget').shadowRoot;
                return r.querySelector('[data-testid=intro]').getBoundingClientRect().bottom
                    <= r.querySelector('[data-testid=bot-message]').getBoundingClientRect().top; }"""
        )
        assert above
        link = widget.by("privacy-link")
        href = link.get_attribute("href")
        assert href == f"{stack.web_url}/info/privacy.html"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        widget.page.screenshot(path=str(SCREENSHOTS / "first-screen-phone.png"))
        with widget.page.context.expect_page() as opened:
            link.click()
        privacy = opened.value
        privacy.wait_for_load_state()
        expect(privacy.get_by_test_id("privacy")).to_contain_text(f"{stack.retention_days} dagen")
        assert widget.errors == []
    # The demo page links the privacy text too.
    with urllib.request.urlopen(f"{stack.web_url}/") as response:
        assert 'href="/info/privacy.html"' in response.read().decode()


def test_multi_select_then_klaar_and_the_sender_header(browser: Browser, stack: Settings) -> None:
    """Several options toggle on, "Klaar" sends them in one payload; every message carries the sender header."""
    question = multi_question()
    answers = demo_answers("tim")
    chosen = [o.id for o in question.options[:2]]
    with widget_page(browser, stack.web_url, DESKTOP) as widget:
        sent: list[tuple[dict[str, Any], dict[str, str]]] = []

        def record(request: Any) -> None:
            if request.url.endswith("/webhooks/rest/webhook") and request.method == "POST":
                sent.append((json.loads(request.post_data or "{}"), request.headers))

        widget.page.on("request", record)
        widget.goto()
        widget.open()
        for _ in range(30):
            widget.wait_idle()
            current = widget.question()
            assert current, widget.bot_messages()[-3:]
            if current == question.id:
                break
            widget.click_option(current, first(answers[current]))
        groups = widget.page.locator("[data-testid=quick-replies]")
        group = groups.nth(groups.count() - 1)  # pinned: the next question adds a group after it
        done = group.get_by_test_id("multi-done")
        expect(done).to_be_disabled()
        for option in chosen:
            button = group.locator(f"[data-payload*='\"{question.id}.{option}\"']")
            button.click()
            expect(button).to_have_attribute("aria-pressed", "true")
        # A second click takes an option back, a third puts it back.
        first_button = group.locator(f"[data-payload*='\"{question.id}.{chosen[0]}\"']")
        first_button.click()
        expect(first_button).to_have_attribute("aria-pressed", "false")
        first_button.click()
        count = len(widget.user_messages())
        done.click()
        expect(widget.by("user-message")).to_have_count(count + 1)
        widget.wait_idle()
        labels = [option_label(question.id, option) for option in chosen]
        assert widget.user_messages()[-1] == "; ".join(labels)
        body = sent[-1][0]
        assert body["message"] == "/inform" + json.dumps({"option": f"{question.id}." + ",".join(chosen)})
        assert widget.question() != question.id, "the bot did not take the answer"
        expect(done).to_be_disabled()
        assert group.locator(".ks-chosen").count() == len(chosen)
        sender = widget.stored()["sender"]
        assert all(headers.get("x-keuzespiegel-sender") == sender for _, headers in sent)
        assert widget.errors == []


def test_typed_list_for_a_multi_question(browser: Browser, stack: Settings) -> None:
    """Typing several things still works for a question that allows several answers."""
    question = multi_question()
    answers = demo_answers("tim")
    with widget_page(browser, stack.web_url, DESKTOP) as widget:
        widget.goto()
        widget.open()
        for _ in range(30):
            widget.wait_idle()
            current = widget.question()
            if current == question.id:
                break
            widget.click_option(current, first(answers[current]))
        widget.type("uitdaging en mensen om me heen")
        widget.wait_idle()
        assert widget.question() != question.id, widget.bot_messages()[-2:]


def test_demo_mode_plays_every_option_of_a_multi_answer(browser: Browser, stack: Settings) -> None:
    """?demo=tim toggles every option of Tim's multi answer, then "Klaar" (the demo answers come from the server;
    here they are given all options at once, as in personas/tim.yml)."""
    question = multi_question()
    persona_answers = demo_answers("tim")
    wanted = persona_answers[question.id]
    assert isinstance(wanted, list) and len(wanted) > 1
    with widget_page(browser, stack.web_url, DESKTOP) as widget:
        with urllib.request.urlopen(f"{stack.web_url}/api/demo/tim") as response:
            served = json.loads(response.read())
        served["answers"][question.id] = "/inform" + json.dumps({"option": f"{question.id}." + ",".join(wanted)})
        widget.page.route("**/api/demo/tim", lambda route: route.fulfill(json=served))
        widget.goto("?demo=tim")
        expect(widget.by("persona-card")).to_be_visible(timeout=90_000)
        # The bubble names the chosen options in button order (as a pupil's own clicks would).
        labels = "; ".join(
            option_label(question.id, option) for option in sorted(wanted, key=question.option_ids.index)
        )
        assert labels in widget.user_messages()
        assert widget.errors == []


def test_keep_the_result_and_rate_it(browser: Browser, stack: Settings) -> None:
    """After the reveal: links to "Mijn keuzespiegel" (print view and PDF), then "Herken je jezelf?"."""
    with widget_page(browser, stack.web_url, PHONE) as widget:
        widget.goto()
        widget.open()
        widget.play_buttons(demo_answers("luuk"))
        widget.wait_idle()
        keep = widget.by("keep")
        expect(widget.by("keep-open")).to_be_visible()
        page_url = widget.by("keep-open").get_attribute("href")
        pdf_url = widget.by("keep-pdf").get_attribute("href")
        sender = widget.stored()["sender"]
        assert page_url.startswith(f"{stack.web_url}/mijn-keuzespiegel/") and sender not in page_url
        assert pdf_url == page_url + ".pdf"
        assert "persona" not in keep.inner_text().lower()
        pdf = widget.page.request.get(pdf_url)
        assert pdf.ok and pdf.body().startswith(b"%PDF")
        with widget.page.context.expect_page() as opened:
            widget.by("keep-open").click()
        sheet = opened.value
        expect(sheet.get_by_test_id("sheet")).to_have_attribute("data-persona", reveal_payload(widget)["persona"])
        sheet.close()
        # The links survive a reload (kept with the conversation in sessionStorage).
        widget.page.reload()
        expect(widget.by("keep-open")).to_have_attribute("href", page_url)

        # "Herken je jezelf?": the rating buttons, then "wat klopt er niet?".
        rating = widget.page.locator("[data-testid=quick-reply]:not([disabled])[data-payload^='/feedback']")
        expect(rating).to_have_count(5)
        rating.nth(3).click()
        widget.wait_idle()
        assert any("Wat klopt er niet?" in m for m in widget.bot_messages()[-2:]), widget.bot_messages()[-3:]
        widget.type("ik twijfel minder dan Luuk")
        widget.wait_idle()
        assert "Dank je wel" in widget.bot_messages()[-1]
        rows = store.last_slot_values(["feedback_rating", "feedback_text"], sender_id=sender, db_url=stack.db_url)
        assert dict(zip(rows["slot"], rows["value"], strict=True)) == {
            "feedback_rating": 4.0,
            "feedback_text": "ik twijfel minder dan Luuk",
        }
        assert widget.errors == []
