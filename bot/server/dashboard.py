"""Advisor dashboard routes: the projector page, its JSON API, CSV and report downloads.

Everything except the static JS/CSS needs the advisor token (KEUZESPIEGEL_ADVISOR_TOKEN), sent as
`Authorization: Bearer <token>` or through the login form's HttpOnly SameSite=Strict cookie.
There is no default token: without one the dashboard answers 503; a token under 24 characters stops the
server at startup.

Valid credentials are checked first and always work; only failures are counted, per client address
(MAX_FAILURES a minute, then 429 for further failures), so pupils guessing behind the school's one NAT
address cannot lock the advisor out. The failure table is bounded without ever being cleared for everyone.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar
from urllib.parse import urlsplit

from aiohttp import web

from bot import ROOT, settings
from bot.server import SETTINGS_KEY
from bot.workshops import export, feedback, summary
from bot.workshops.registry import close_workshop, create_workshop, get_workshop, list_workshops

STATIC_DIR = ROOT / "web" / "dashboard"
STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
COOKIE = "keuzespiegel_advisor"
SESSION_SECONDS = 12 * 3600
MAX_FAILURES = 20  # failed logins per client address per minute, then 429 for further failures
MAX_TRACKED_CLIENTS = 10_000  # then the address with the oldest failure is forgotten first
NOT_CONFIGURED = (
    "Het dashboard staat uit: zet KEUZESPIEGEL_ADVISOR_TOKEN (een lange geheime code) en start opnieuw. / "
    "The dashboard is off: set KEUZESPIEGEL_ADVISOR_TOKEN (a long secret) and restart."
)
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # "no-referrer" would make browsers send Origin: null on our own forms
    "Cache-Control": "no-store",
}
FAILURES_KEY = web.AppKey("dashboard_failures", OrderedDict)

T = TypeVar("T")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def session_value(token: str, expires: int) -> str:
    """Cookie value: expiry and an HMAC of it under the token (the token itself never goes in the cookie)."""
    mac = hmac.new(token.encode(), f"keuzespiegel-dashboard:{expires}".encode(), hashlib.sha256).hexdigest()
    return f"{expires}.{mac}"


def _valid_cookie(token: str, value: str, now: float) -> bool:
    expires_text, _, _ = value.partition(".")
    # At most 12 digits: a 4,300-digit number would only cost time (and int() refuses it).
    if not (0 < len(expires_text) <= 12 and expires_text.isascii() and expires_text.isdigit()):
        return False
    if int(expires_text) < now:
        return False
    return hmac.compare_digest(session_value(token, int(expires_text)).encode(), value.encode())


def is_authorized(request: web.Request, token: str) -> bool:
    """Bearer header or a valid session cookie, compared in constant time."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return hmac.compare_digest(header[7:].strip().encode(), token.encode())
    cookie = request.cookies.get(COOKIE)
    if cookie:
        return _valid_cookie(token, cookie, time.time())
    return False


def client_address(request: web.Request) -> str:
    """The client's address; behind KEUZESPIEGEL_TRUSTED_PROXIES proxies, the one they put in X-Forwarded-For."""
    peer = request.remote or "?"
    proxies = request.app[SETTINGS_KEY].trusted_proxies
    if proxies <= 0:
        return peer
    forwarded = [p.strip() for p in request.headers.get("X-Forwarded-For", "").split(",") if p.strip()]
    if not forwarded:
        return peer
    return forwarded[-proxies] if len(forwarded) >= proxies else forwarded[0]


def _too_many_failures(request: web.Request) -> bool:
    failures: OrderedDict[str, deque[float]] = request.app[FAILURES_KEY]
    recent = failures.get(client_address(request))
    now = time.monotonic()
    while recent and recent[0] < now - 60:
        recent.popleft()
    return bool(recent) and len(recent) >= MAX_FAILURES


def _record_failure(request: web.Request) -> None:
    failures: OrderedDict[str, deque[float]] = request.app[FAILURES_KEY]
    client = client_address(request)
    recent = failures.pop(client, None) or deque(maxlen=MAX_FAILURES)
    recent.append(time.monotonic())
    failures[client] = recent  # most recent failure last
    while len(failures) > MAX_TRACKED_CLIENTS:
        failures.popitem(last=False)


def _json_error(status: int, message: str, **headers: str) -> web.Response:
    return web.json_response({"error": message}, status=status, headers={**SECURITY_HEADERS, **headers})


def _same_origin(request: web.Request) -> bool:
    """Unsafe requests from a browser must come from our own pages.

    With KEUZESPIEGEL_PUBLIC_URL set (behind a TLS proxy) the Origin must be exactly that address's origin;
    otherwise it must name the host the request was sent to.
    """
    origin = request.headers.get("Origin")
    if origin is None or request.headers.get("Authorization"):
        return True  # not a browser form, or a header a cross-site page cannot set
    public = request.app[SETTINGS_KEY].public_url
    if public:
        parts = urlsplit(public)
        return origin.rstrip("/").lower() == f"{parts.scheme}://{parts.netloc}".lower()
    return origin.split("://", 1)[-1] == request.host


def _secure_cookie(request: web.Request) -> bool:
    """Secure flag: from the public address when one is configured (a TLS proxy talks http to us)."""
    public = request.app[SETTINGS_KEY].public_url
    return public.lower().startswith("https://") if public else request.secure


def guarded(handler: Handler) -> Handler:
    """503 without a configured token, 401 without a valid one, 403 for cross-site posts."""

    async def wrapper(request: web.Request) -> web.StreamResponse:
        token = request.app[SETTINGS_KEY].advisor_token
        if not token:
            return _json_error(503, NOT_CONFIGURED)
        if not is_authorized(request, token):
            if _too_many_failures(request):
                return _json_error(429, "Te veel pogingen, probeer het over een minuut opnieuw.")
            _record_failure(request)
            return _json_error(401, "Niet ingelogd: geef de adviseurscode.", **{"WWW-Authenticate": "Bearer"})
        if request.method not in ("GET", "HEAD") and not _same_origin(request):
            return _json_error(403, "Verzoek van een andere site geweigerd.")
        return await handler(request)

    return wrapper


async def _in_thread(func: Callable[..., T], *args: Any) -> T:
    """Database and matplotlib work off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(None, partial(func, *args))


# ---- pages -----------------------------------------------------------------------------------------


def _login_page(message: str = "") -> str:
    note = f'<p class="error" role="alert">{html.escape(message)}</p>' if message else ""
    return f"""<!doctype html>
<html lang="nl"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Keuzespiegel - inloggen adviseur</title><link rel="stylesheet" href="/dashboard/static/dashboard.css">
</head><body class="login"><main class="login-box">
<h1>Keuzespiegel dashboard</h1>
<p>Log in met de adviseurscode (KEUZESPIEGEL_ADVISOR_TOKEN).</p>{note}
<form method="post" action="/dashboard/login">
<label for="token">Adviseurscode</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Inloggen</button>
</form></main></body></html>"""


def _html(text: str, status: int = 200, **headers: str) -> web.Response:
    return web.Response(
        text=text, status=status, content_type="text/html", charset="utf-8", headers={**SECURITY_HEADERS, **headers}
    )


async def dashboard_page(request: web.Request) -> web.Response:
    """GET /dashboard: the projector page, or the login form."""
    token = request.app[SETTINGS_KEY].advisor_token
    if not token:
        return _html(
            f"<!doctype html><meta charset='utf-8'><title>Keuzespiegel</title><p>{html.escape(NOT_CONFIGURED)}</p>",
            status=503,
        )
    if not is_authorized(request, token):
        return _html(_login_page(), status=401)
    return _html((STATIC_DIR / "dashboard.html").read_text(encoding="utf-8"))


async def login(request: web.Request) -> web.Response:
    """POST /dashboard/login: check the token, set the session cookie, go to the dashboard."""
    token = request.app[SETTINGS_KEY].advisor_token
    if not token:
        return _html(f"<p>{html.escape(NOT_CONFIGURED)}</p>", status=503)
    if not _same_origin(request):
        return _html(_login_page("Verzoek van een andere site geweigerd."), status=403)
    form = await request.post()
    given = str(form.get("token", "")).strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        if _too_many_failures(request):
            return _html(_login_page("Te veel pogingen, probeer het over een minuut opnieuw."), status=429)
        _record_failure(request)
        return _html(_login_page("Onjuiste code."), status=401)
    response = web.HTTPSeeOther("/dashboard", headers=SECURITY_HEADERS)
    expires = int(time.time()) + SESSION_SECONDS
    response.set_cookie(
        COOKIE,
        session_value(token, expires),
        max_age=SESSION_SECONDS,
        path="/dashboard",
        httponly=True,
        samesite="Strict",
        secure=_secure_cookie(request),
    )
    raise response


async def logout(request: web.Request) -> web.Response:
    """POST /dashboard/logout: forget the session cookie."""
    response = web.HTTPSeeOther("/dashboard", headers=SECURITY_HEADERS)
    response.del_cookie(COOKIE, path="/dashboard")
    raise response


async def static_file(request: web.Request) -> web.StreamResponse:
    """GET /dashboard/static/<file>: the page's own JS and CSS (no data in them)."""
    name = request.match_info["name"]
    path = STATIC_DIR / name
    if "/" in name or path.suffix not in STATIC_TYPES or not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(
        path,
        headers={
            "Content-Type": STATIC_TYPES[path.suffix],
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
        },
    )


# ---- API -------------------------------------------------------------------------------------------


def _workshop_or_404(request: web.Request) -> Any:
    workshop = get_workshop(request.match_info["code"], db_url=request.app[SETTINGS_KEY].db_url)
    if workshop is None:
        raise web.HTTPNotFound(
            text='{"error": "Onbekende workshopcode."}', content_type="application/json", headers=SECURITY_HEADERS
        )
    return workshop


def _workshop_json(workshop: Any, config: settings.Settings) -> dict[str, Any]:
    """The workshop with a demo link per alumnus (personas/*.yml: ids and names are content, not code)."""
    code = workshop.code
    return {
        **workshop.as_dict(config),
        "demo_links": [
            {"persona": p.id, "label": f"Demo: {p.name}", "url": f"/?demo={p.id}&workshop={code}"}
            for p in summary.persona_catalog()
        ],
    }


def build_summary(workshop: Any, config: settings.Settings) -> dict[str, Any]:
    """The dashboard JSON for one workshop: the group figures and the feedback ratings (never below 3)."""
    figures = feedback.summarize_with_ratings(feedback.workshop_frame(workshop.code, db_url=config.db_url))
    return {"workshop": _workshop_json(workshop, config), **figures}


async def list_api(request: web.Request) -> web.Response:
    """GET /dashboard/api/workshops"""
    config = request.app[SETTINGS_KEY]
    workshops = await _in_thread(partial(list_workshops, db_url=config.db_url))
    return web.json_response({"workshops": [w.as_dict(config) for w in workshops]}, headers=SECURITY_HEADERS)


async def create_api(request: web.Request) -> web.Response:
    """POST /dashboard/api/workshops with JSON or form field `name`."""
    config = request.app[SETTINGS_KEY]
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            return _json_error(400, "Ongeldige JSON.")
        name = body.get("name") if isinstance(body, dict) else None
    else:
        name = (await request.post()).get("name")
    if not isinstance(name, str):
        return _json_error(400, "Geef de workshop een naam.")
    try:
        workshop = await _in_thread(partial(create_workshop, name, db_url=config.db_url))
    except ValueError:
        return _json_error(400, "Geef de workshop een naam van 1 tot 100 tekens.")
    return web.json_response(_workshop_json(workshop, config), status=201, headers=SECURITY_HEADERS)


async def close_api(request: web.Request) -> web.Response:
    """POST /dashboard/api/workshops/{code}/close: new pupils can no longer join; the figures stay."""
    config = request.app[SETTINGS_KEY]
    workshop = await _in_thread(_workshop_or_404, request)
    closed = await _in_thread(partial(close_workshop, workshop.code, db_url=config.db_url))
    return web.json_response(_workshop_json(closed, config), headers=SECURITY_HEADERS)


async def summary_api(request: web.Request) -> web.Response:
    """GET /dashboard/api/workshops/{code}/summary"""
    config = request.app[SETTINGS_KEY]
    workshop = await _in_thread(_workshop_or_404, request)
    return web.json_response(await _in_thread(build_summary, workshop, config), headers=SECURITY_HEADERS)


async def csv_api(request: web.Request) -> web.Response:
    """GET /dashboard/api/workshops/{code}/export.csv"""
    config = request.app[SETTINGS_KEY]
    workshop = await _in_thread(_workshop_or_404, request)

    def render() -> str:
        return export.to_csv(feedback.workshop_frame(workshop.code, db_url=config.db_url))

    text = await _in_thread(render)
    return web.Response(
        body=("\ufeff" + text).encode("utf-8"),  # BOM: Excel then reads the accents right
        content_type="text/csv",
        charset="utf-8",
        headers={**SECURITY_HEADERS, "Content-Disposition": f'attachment; filename="keuzespiegel-{workshop.code}.csv"'},
    )


async def report_api(request: web.Request) -> web.Response:
    """GET /dashboard/api/workshops/{code}/report.png or report.pdf"""
    config = request.app[SETTINGS_KEY]
    fmt = request.match_info["fmt"]
    workshop = await _in_thread(_workshop_or_404, request)

    def render() -> bytes:
        summary = build_summary(workshop, config)
        return export.render_report(summary, f"Keuzespiegel: {workshop.name} ({workshop.code})", fmt)

    body = await _in_thread(render)
    return web.Response(
        body=body,
        content_type="image/png" if fmt == "png" else "application/pdf",
        headers={**SECURITY_HEADERS, "Content-Disposition": f'inline; filename="keuzespiegel-{workshop.code}.{fmt}"'},
    )


def add_routes(app: web.Application) -> None:
    """Register /dashboard and its data endpoints on the web app."""
    app[FAILURES_KEY] = OrderedDict()
    app.router.add_get("/dashboard", dashboard_page)
    app.router.add_post("/dashboard/login", login)
    app.router.add_post("/dashboard/logout", logout)
    app.router.add_get("/dashboard/static/{name}", static_file)
    app.router.add_get("/dashboard/api/workshops", guarded(list_api))
    app.router.add_post("/dashboard/api/workshops", guarded(create_api))
    app.router.add_get("/dashboard/api/workshops/{code}/summary", guarded(summary_api))
    app.router.add_post("/dashboard/api/workshops/{code}/close", guarded(close_api))
    app.router.add_get("/dashboard/api/workshops/{code}/export.csv", guarded(csv_api))
    app.router.add_get("/dashboard/api/workshops/{code}/report.{fmt:png|pdf}", guarded(report_api))
