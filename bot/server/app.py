"""The web server: demo school page, the embeddable widget's static files, and the advisor dashboard."""

from __future__ import annotations

import base64
import hashlib
import html
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from bot import ROOT, settings
from bot.server import dashboard, result_page

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
BOT_URL_ATTR = re.compile(r'data-bot-url="[^"]*"')
STYLE_BLOCK = re.compile(r"<style>(.*?)</style>", re.S)
SETTINGS_KEY = web.AppKey("settings", settings.Settings)
DEMO_HTML_KEY = web.AppKey("demo_html", str)
DEMO_CSP_KEY = web.AppKey("demo_csp", str)


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
    hashes = [
        base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()
        for block in STYLE_BLOCK.findall(page)
    ]
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
    path = (WIDGET_DIR / relative).resolve()
    if WIDGET_DIR.resolve() not in path.parents or path.suffix not in CONTENT_TYPES or not path.is_file():
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
    """question_id -> button payload from a persona's demo answers; multi questions use their first option."""
    from bot.core.turn import button_payload  # the same payload the bot puts on its buttons

    answers: dict[str, str] = {}
    for question_id, value in dict(persona.demo_answers).items():
        if isinstance(value, (list, tuple)):
            if not value:
                continue
            value = value[0]
        answers[str(question_id)] = button_payload(str(question_id), str(value))
    return answers


async def demo_api(request: web.Request) -> web.Response:
    """GET /api/demo/<persona>: the answers the demo mode clicks for that persona."""
    persona_id = request.match_info["persona"]
    cors = {"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=60"}
    from bot.core import content  # imported late: the web server must start even while content is broken

    personas = content.get_personas()
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


def create_app(config: settings.Settings | None = None) -> web.Application:
    config = config or settings.load()
    app = web.Application(client_max_size=64 * 1024, middlewares=[nosniff])
    app["settings"] = config
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
    web.run_app(create_app(config), host=config.host, port=config.web_port, print=None)


if __name__ == "__main__":
    main()
