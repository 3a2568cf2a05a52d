"""The web server: demo school page, the embeddable widget's static files, and the advisor dashboard.

It also enforces retention while it runs: every KEUZESPIEGEL_PURGE_INTERVAL seconds (hourly) it deletes
conversations and log files older than KEUZESPIEGEL_RETENTION_DAYS.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import html
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from bot import ROOT, settings
from bot.core.content import encode_answer, get_personas
from bot.core.turn import button_payload  # the same payload the bot puts on its buttons
from bot.server import SETTINGS_KEY, dashboard, result_page
from bot.workshops.retention import purge_logs, purge_old_conversations

WIDGET_DIR = ROOT / "web" / "widget"
DEMO_PAGE = ROOT / "web" / "demo" / "index.html"

# Only these file types are served from /widget/; everything else is a 404.
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
# Widget code changes with deployments (no hashed file names), so browsers re-check it often;
# the portraits hardly ever change.
CACHE_CONTROL = {
    ".js": "public, max-age=300, must-revalidate",
    ".css": "public, max-age=300, must-revalidate",
    ".svg": "public, max-age=86400",
}
PERSONA_ID = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
# Widget file names: plain letters, digits, dashes and dots in at most a few folders; anything else is a 404.
WIDGET_PATH = re.compile(r"^(?:[A-Za-z0-9_-]+/){0,3}[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*\.(?:js|css|svg)$")
BOT_URL_ATTR = re.compile(r'data-bot-url="[^"]*"')
STYLE_BLOCK = re.compile(r"<style>(.*?)</style>", re.S)
DEMO_HTML_KEY = web.AppKey("demo_html", str)
DEMO_CSP_KEY = web.AppKey("demo_csp", str)
log = logging.getLogger("keuzespiegel.web")


def origin(url: str) -> str:
    """scheme://host[:port] of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def page_csp(config: settings.Settings, style_hashes: list[str] | None = None) -> str:
    """Content-Security-Policy for HTML pages: only our own origin, plus the Rasa server for the chat."""
    styles = " ".join(["'self'", *(f"'sha256-{h}'" for h in style_hashes or [])])
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            f"style-src {styles}",
            "img-src 'self' data:",
            f"connect-src 'self' {origin(config.rasa_url)}",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'self'",
        ]
    )


def page_headers(csp: str) -> dict[str, str]:
    """Security headers for an HTML page."""
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Cache-Control": "no-cache",
    }


def render_demo_page(config: settings.Settings, source: str) -> tuple[str, str]:
    """The demo page with the Rasa address in the widget's script tag, and its CSP (inline styles by hash)."""
    bot_url = html.escape(config.rasa_url, quote=True)
    page = BOT_URL_ATTR.sub(f'data-bot-url="{bot_url}"', source, count=1)
    hashes = [base64.b64encode(hashlib.sha256(block.encode()).digest()).decode() for block in STYLE_BLOCK.findall(page)]
    return page, page_csp(config, hashes)


async def demo_page(request: web.Request) -> web.Response:
    """GET /: the school demo page with the widget."""
    return web.Response(
        text=request.app[DEMO_HTML_KEY],
        content_type="text/html",
        charset="utf-8",
        headers=page_headers(request.app[DEMO_CSP_KEY]),
    )


async def widget_file(request: web.Request) -> web.StreamResponse:
    """GET /widget/<path>: the widget's script, style sheet and portraits."""
    relative = request.match_info["path"]
    if len(relative) > 200 or not WIDGET_PATH.match(relative):
        raise web.HTTPNotFound()  # also "a\x00.js", which the file system would refuse with an error
    try:
        path = (WIDGET_DIR / relative).resolve()
        found = path.is_file()
    except (OSError, ValueError):
        raise web.HTTPNotFound() from None
    if WIDGET_DIR.resolve() not in path.parents or path.suffix not in CONTENT_TYPES or not found:
        raise web.HTTPNotFound()
    headers = {
        "Content-Type": CONTENT_TYPES[path.suffix],
        "Cache-Control": CACHE_CONTROL[path.suffix],
        "X-Content-Type-Options": "nosniff",
        # Schools load the widget from their own site: let them read the CSS and portraits.
        "Access-Control-Allow-Origin": "*",
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if path.suffix == ".svg":
        # An SVG opened on its own must not run anything.
        headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return web.FileResponse(path, headers=headers)


def demo_answers(persona: Any) -> dict[str, str]:
    """question_id -> the payload the demo mode sends for a persona's demo answer.

    A single answer is the bot's own button payload; a multi answer carries every option at once
    ("what_matters.challenge,ambition", as the widget's "Klaar" sends it), so the demo plays all of them.
    """
    answers: dict[str, str] = {}
    for question_id, value in dict(persona.demo_answers).items():
        options = [str(v) for v in value] if isinstance(value, (list, tuple)) else [str(value)]
        if options:
            answers[str(question_id)] = button_payload(str(question_id), encode_answer(options))
    return answers


async def demo_api(request: web.Request) -> web.Response:
    """GET /api/demo/<persona>: the answers the demo mode clicks for that persona."""
    persona_id = request.match_info["persona"]
    cors = {"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=60"}
    personas = get_personas()
    if not PERSONA_ID.match(persona_id) or persona_id not in personas:
        return web.json_response({"error": "onbekende persona"}, status=404, headers=cors)
    answers = demo_answers(personas[persona_id])
    return web.json_response({"persona": persona_id, "answers": answers}, headers=cors)


async def healthz(request: web.Request) -> web.Response:
    return web.Response(text="ok")


@web.middleware
async def nosniff(request: web.Request, handler: Any) -> web.StreamResponse:
    """Every response (also errors and the dashboard's) gets X-Content-Type-Options."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers.setdefault("X-Content-Type-Options", "nosniff")
        raise
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


def purge_once(config: settings.Settings) -> tuple[int, int]:
    """Delete conversations and log files past the retention period: (conversations, log files)."""
    logs = purge_logs(config.log_dir, config.retention_days)
    if config.sqlite_path is not None and not config.sqlite_path.exists():
        return 0, logs
    return purge_old_conversations(config.retention_days, db_url=config.db_url), logs


async def purge_loop(config: settings.Settings, interval: float) -> None:
    """Run the retention purge every `interval` seconds while the server runs (a failure is retried next time)."""
    loop = asyncio.get_running_loop()
    while True:
        await asyncio.sleep(interval)
        try:
            removed, logs = await loop.run_in_executor(None, purge_once, config)
        except Exception as exc:  # noqa: BLE001 - the database may be busy or away; try again next round
            log.warning("retention purge failed (%s); retrying in %ss", type(exc).__name__, int(interval))
            continue
        if removed or logs:
            log.info("retention: removed %d conversation(s) and %d log file(s)", removed, logs)


def retention_task(config: settings.Settings) -> Any:
    """aiohttp cleanup context: the purge loop lives as long as the app."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(purge_loop(config, config.purge_interval_s))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return context


def create_app(config: settings.Settings) -> web.Application:
    """The web app for these settings (loaded once, by main() or the caller), kept under SETTINGS_KEY."""
    settings.check_token(config.advisor_token)
    settings.check_result_secret(config.result_secret)
    app = web.Application(client_max_size=64 * 1024, middlewares=[nosniff])
    app.cleanup_ctx.append(retention_task(config))
    app[SETTINGS_KEY] = config
    page, csp = render_demo_page(config, Path(DEMO_PAGE).read_text(encoding="utf-8"))
    app[DEMO_HTML_KEY] = page
    app[DEMO_CSP_KEY] = csp
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/", demo_page)
    app.router.add_get("/widget/{path:.+}", widget_file)
    app.router.add_get("/api/demo/{persona}", demo_api)
    dashboard.add_routes(app)
    result_page.add_routes(app)
    return app


def main() -> None:
    config = settings.load()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The access log shows request lines; chat messages never travel in a URL (they go to Rasa as JSON bodies).
    web.run_app(
        create_app(config), host=config.host, port=config.web_port, print=None, access_log_format='%a %t "%r" %s %b'
    )


if __name__ == "__main__":
    main()
