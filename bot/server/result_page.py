"""The pupil's own "Mijn keuzespiegel": a one-page result (print view and PDF), plus the short info pages.

Routes (added by `add_routes(app)`):
- POST /api/mijn-keuzespiegel   body {"sender": "<chat id>"}: the links to that conversation's result.
  The chat id is the pupil's own secret (only their browser has it); the links carry an HMAC of it under a
  server secret instead, so a printed or shared address never shows the chat id and cannot be guessed.
- GET /mijn-keuzespiegel/<token>       the print view (HTML, one A4 page)
- GET /mijn-keuzespiegel/<token>.pdf   the same as a PDF download (drawn with matplotlib, nothing fetched)
- GET /result/<file>                   the print view's CSS and script
- GET /info/<file>                     short info pages (privacy text, letter for parents) and their CSS

Nothing is stored: each request reads the conversation's last slot values from the tracker store and builds
the sheet again (bot.core.result_sheet). Once retention deletes the conversation, the links give a 404.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import html
import io
import json
import os
import re
import textwrap
import time
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from bot import ROOT, settings
from bot.core import result_sheet
from bot.core.content import RESULT_SLOTS, get_questionnaire, slot_for
from bot.server import SETTINGS_KEY
from bot.workshops import store

# matplotlib is imported inside the functions that draw, not here: it adds about 1 s to the web server's start
# (measured: `import bot.server.app` 1.0 s, matplotlib another 1.0-1.3 s), and only a result's plot and PDF need it.

RESULT_DIR = ROOT / "web" / "result"
INFO_DIR = ROOT / "web" / "info"
STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
INFO_TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8"}
TOKEN = re.compile(r"^[0-9a-f]{32}$")
SENDER = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")
SECRET_FILE = "result-secret"
RETENTION_MARK = re.compile(r"(<span data-retention-days>)\d*(</span>)")
# The alumni's colours live in personas/*.yml only; one without a colour is drawn in the muted text colour.
NEUTRAL_COLOR = "#4a4f57"
YOU_COLOR = "#b3261e"
A4_INCHES = (8.27, 11.69)
WRITING_LINES = 2
PDF_SCALES = (1.0, 0.93, 0.86, 0.8, 0.74)  # text sizes tried, largest first, until the sheet fits the page
PDF_MARGIN = 0.3  # inches kept free at the bottom
MONTHS = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)
NOT_FOUND = (
    "Deze uitkomst is er niet (meer). Gesprekken worden na een tijdje gewist. Doe de Keuzespiegel gerust nog een keer."
)
PAGE_CSP = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
PRIVATE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    # The address holds the token: never send it to the sites the next steps link to.
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}
T = TypeVar("T")


# ---------------------------------------------------------------- tokens


def server_secret(config: settings.Settings) -> bytes:
    """The key for the result links: KEUZESPIEGEL_RESULT_SECRET (config.result_secret) when set, else a random key
    kept in the data directory (created once, readable by this user only). Several web servers that do not share
    the data directory need the same KEUZESPIEGEL_RESULT_SECRET. Changing it makes old links stop working."""
    configured = settings.check_result_secret(config.result_secret)
    if configured:
        return configured.encode()
    path = Path(config.data_dir) / SECRET_FILE
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (FileNotFoundError, ValueError):
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = os.urandom(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.hex())
    return key


def token_for(secret: bytes, sender_id: str) -> str:
    """The unguessable per-conversation token: 128 bits of an HMAC of the chat id."""
    return hmac.new(secret, f"keuzespiegel-result:{sender_id}".encode(), hashlib.sha256).hexdigest()[:32]


def find_sender(secret: bytes, token: str, db_url: str) -> str | None:
    """The conversation (with a result) whose token this is; None when there is none.

    Tokens cannot be turned back into chat ids, so the finished conversations are tried one by one
    (one HMAC each, about 1 ms per 1,000 conversations).
    """
    if not TOKEN.match(token):
        return None
    finished = store.last_slot_values(["persona"], db_url=db_url)
    for sender_id in finished["sender_id"]:
        if hmac.compare_digest(token_for(secret, str(sender_id)), token):
            return str(sender_id)
    return None


def conversation_slots(sender_id: str, db_url: str) -> dict[str, Any]:
    """The last value of every slot the sheet needs."""
    names = [slot_for(q.id) for q in get_questionnaire().questions] + list(RESULT_SLOTS)
    rows = store.last_slot_values(names, sender_id=sender_id, db_url=db_url)
    return {str(row.slot): row.value for row in rows.itertuples(index=False)}


def sheet_for_token(config: settings.Settings, token: str) -> result_sheet.Sheet | None:
    sender_id = find_sender(server_secret(config), token, config.db_url)
    if sender_id is None:
        return None
    return result_sheet.build_sheet(conversation_slots(sender_id, config.db_url))


def has_result(config: settings.Settings, sender_id: str) -> bool:
    rows = store.last_slot_values(["persona"], sender_id=sender_id, db_url=config.db_url)
    return bool(len(rows)) and bool(rows["value"].iloc[0])


# ---------------------------------------------------------------- the plot (PNG for the page, vector in the PDF)


def _colors(sheet: result_sheet.Sheet) -> dict[str, str]:
    return {p.id: p.color or NEUTRAL_COLOR for p in sheet.points}


def draw_plot(ax: Any, sheet: result_sheet.Sheet, font: float = 9.0) -> None:
    """The pupil between the alumni: x is the first score, y the second, the dashed ring the third."""
    from matplotlib.patches import Circle  # lazy, see the matplotlib note at the top

    labels = {line.id: line.label for line in sheet.scores}
    colors = _colors(sheet)
    ax.set_xlim(-0.04, 1.04)
    ax.set_ylim(-0.04, 1.04)
    ax.set_aspect("equal")
    ax.set_facecolor("#f7f9fc")
    ax.grid(True, color="#c4c9d0", linestyle="--", linewidth=0.6)
    ax.set_xticks([0, 0.5, 1])
    ax.set_yticks([0, 0.5, 1])
    ax.set_xticklabels(["weinig", "", "veel"], fontsize=font - 1.5, color="#4a4f57")
    ax.set_yticklabels(["weinig", "", "veel"], fontsize=font - 1.5, color="#4a4f57")
    ax.set_xlabel(f"{labels['exploration']} \u2192", fontsize=font, fontweight="bold")
    ax.set_ylabel(f"{labels['commitment']} \u2192", fontsize=font, fontweight="bold")
    for point in sheet.points:
        ax.scatter(
            [point.exploration],
            [point.commitment],
            s=55,
            color=colors[point.id],
            zorder=3,
            edgecolors="white",
            linewidths=1.2,
        )
        right = point.exploration < 0.8
        ax.annotate(
            point.name,
            (point.exploration, point.commitment),
            xytext=(7 if right else -7, -3),
            textcoords="offset points",
            ha="left" if right else "right",
            fontsize=font,
            fontweight="bold",
            color=colors[point.id],
        )
    you = sheet.you
    ring = 0.04 + 0.12 * you["reconsideration"]
    ax.add_patch(
        Circle(
            (you["exploration"], you["commitment"]),
            ring,
            fill=True,
            facecolor="#b3261e14",
            edgecolor=YOU_COLOR,
            linestyle="--",
            linewidth=1.2,
            zorder=2,
        )
    )
    ax.scatter(
        [you["exploration"]], [you["commitment"]], s=70, color=YOU_COLOR, zorder=4, edgecolors="white", linewidths=1.5
    )
    # "Jij" goes on the side of the dot that is furthest from the alumni.
    spots = [(0, 11, "center"), (0, -19, "center"), (12, -4, "left"), (-12, -4, "right")]

    def clearance(spot: tuple[int, int, str]) -> float:
        lx = you["exploration"] + spot[0] / 150
        ly = you["commitment"] + spot[1] / 150
        inside = 0.0 if 0.03 < lx < 0.97 and 0.03 < ly < 0.97 else 1.0
        return min((lx - p.exploration) ** 2 + (ly - p.commitment) ** 2 for p in sheet.points) - inside

    dx, dy, align = max(spots, key=clearance)
    ax.annotate(
        "Jij",
        (you["exploration"], you["commitment"]),
        xytext=(dx, dy),
        textcoords="offset points",
        ha=align,
        fontsize=font + 1,
        fontweight="bold",
        color=YOU_COLOR,
    )
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def plot_png(sheet: result_sheet.Sheet) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # lazy, see the matplotlib note at the top
    from matplotlib.figure import Figure  # lazy, see the matplotlib note at the top

    figure = Figure(figsize=(3.6, 3.4), dpi=200)
    FigureCanvasAgg(figure)
    ax = figure.add_axes((0.17, 0.15, 0.78, 0.8))
    draw_plot(ax, sheet)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def ring_note(sheet: result_sheet.Sheet) -> str:
    doubt = next(line for line in sheet.scores if line.id == "reconsideration")
    return f"Stippelcirkel: {doubt.label.lower()}. Hoe groter de cirkel, hoe meer. Jij: {round(doubt.value * 100)}%."


# ---------------------------------------------------------------- the PDF


class _Page:
    """Top-down text layout on an A4 figure, in inches from the top left."""

    def __init__(self, figure: Any, scale: float = 1.0) -> None:
        self.figure = figure
        self.width, self.height = figure.get_size_inches()
        self.scale = scale  # below 1 when long content (many next steps) must still fit on one page

    def text(self, x: float, y: float, text: str, size: float, width: float, **kwargs: Any) -> float:
        """Wrapped text with its top at y; returns the y below it."""
        size *= self.scale
        chars = max(12, int(width * 72 / (size * 0.52)))
        lines = textwrap.wrap(text, chars) or [""]
        step = size * 1.32 / 72
        for i, line in enumerate(lines):
            self.figure.text(
                x / self.width, 1 - (y + i * step) / self.height, line, fontsize=size, va="top", ha="left", **kwargs
            )
        return y + len(lines) * step

    def line(self, x1: float, x2: float, y: float, color: str = "#9aa0a6", width: float = 0.6) -> None:
        from matplotlib.lines import Line2D  # lazy, see the matplotlib note at the top

        ys = [1 - y / self.height] * 2
        self.figure.add_artist(Line2D([x1 / self.width, x2 / self.width], ys, color=color, linewidth=width))

    def bar(self, x: float, y: float, width: float, value: float, color: str) -> None:
        from matplotlib.patches import Rectangle  # lazy, see the matplotlib note at the top

        h = 0.09
        for w, c in ((width, "#dadce0"), (width * max(0.0, min(1.0, value)), color)):
            self.figure.add_artist(
                Rectangle(
                    (x / self.width, 1 - (y + h) / self.height),
                    w / self.width,
                    h / self.height,
                    facecolor=c,
                    edgecolor="none",
                    transform=self.figure.transFigure,
                )
            )


def layout_pdf(sheet: result_sheet.Sheet, today: str, scale: float = 1.0) -> tuple[Any, float]:
    """One A4 figure with the same content as the print view, and how far down (inches) the text reaches."""
    from matplotlib.figure import Figure  # lazy, see the matplotlib note at the top

    figure = Figure(figsize=A4_INCHES)
    page = _Page(figure, scale)
    left, right = 0.6, A4_INCHES[0] - 0.6
    full = right - left
    ink, muted, accent = "#1f2328", "#4a4f57", "#0b5394"

    y = 0.5
    page.text(left, y, sheet.title, 20, full, fontweight="bold", color=accent)
    figure.text(right / page.width, 1 - (y + 0.05) / page.height, today, fontsize=9, ha="right", va="top", color=muted)
    y = page.text(left, y + 0.36, sheet.subtitle, 9.5, full, color=muted)
    page.line(left, right, y + 0.08, color=accent, width=1.2)

    # Outcome and why on the left, the plot on the right.
    top = y + 0.2
    column = 3.95
    y = page.text(left, top, sheet.heading, 12.5, column, fontweight="bold", color=ink)
    if sheet.note:
        y = page.text(left, y + 0.06, sheet.note, 9.5, column, color=ink)
    y = page.text(left, y + 0.1, sheet.status_label, 10.5, column, fontweight="bold", color=accent)
    y = page.text(left, y + 0.02, sheet.status_explain, 9.5, column, color=ink)
    if sheet.why:
        y = page.text(left, y + 0.1, sheet.why_title, 10.5, column, fontweight="bold", color=ink)
        for reason in sheet.why:
            y = page.text(left + 0.15, y + 0.02, f"\u2022 {reason}", 9.5, column - 0.15, color=ink)
    y = page.text(left, y + 0.12, sheet.scores_title, 10.5, column, fontweight="bold", color=ink)
    for score in sheet.scores:
        page.text(left, y + 0.03, f"{score.label}: {round(score.value * 100)}%", 9.5, 1.9, color=ink)
        page.bar(left + 1.9, y + 0.06, column - 2.0, score.value, accent)
        y = page.text(left, y + 0.2, score.explain, 8, column, color=muted)
    plot_top, plot_size = top + 0.05, 2.75
    ax = figure.add_axes(
        (
            (left + 4.5) / page.width,
            1 - (plot_top + plot_size) / page.height,
            plot_size / page.width,
            plot_size / page.height,
        )
    )
    draw_plot(ax, sheet, font=8.5)
    caption = page.text(left + 4.3, plot_top + plot_size + 0.42, ring_note(sheet), 7.5, 3.0, color=muted)
    y = max(y, caption) + 0.1

    # The pupil's own answers, in two columns.
    page.line(left, right, y)
    y = page.text(left, y + 0.08, sheet.answers_title, 10.5, full, fontweight="bold", color=ink) + 0.03
    half = (len(sheet.answers) + 1) // 2
    col_width = full / 2 - 0.15
    bottom = y
    for index, column_items in enumerate((sheet.answers[:half], sheet.answers[half:])):
        cy, x = y, left + index * (full / 2 + 0.15)
        for answer in column_items:
            cy = page.text(x, cy, answer.question, 7.5, col_width, color=muted)
            cy = page.text(x + 0.12, cy, answer.answer, 8.5, col_width - 0.12, fontweight="bold", color=ink) + 0.04
        bottom = max(bottom, cy)
    y = bottom + 0.04

    # Reflection with room to write on the left, next steps on the right.
    page.line(left, right, y)
    top = y + 0.08
    y = page.text(left, top, sheet.reflection_title, 10.5, full / 2, fontweight="bold", color=ink) + 0.03
    for question in sheet.reflection:
        y = page.text(left, y, question, 9, full / 2 - 0.2, color=ink)
        for _ in range(WRITING_LINES):
            y += 0.26 * scale
            page.line(left, left + full / 2 - 0.2, y, color="#c4c9d0")
        y += 0.1
    x = left + full / 2 + 0.1
    sy = page.text(x, top, sheet.steps_title, 10.5, full / 2, fontweight="bold", color=ink) + 0.03
    for step in sheet.steps:
        sy = page.text(x, sy, f"\u2022 {step.text}", 9, full / 2 - 0.1, color=ink)
        if step.link_url:
            sy = page.text(x + 0.12, sy, step.link_url, 8, full / 2 - 0.22, color=accent)
        sy += 0.05
    y = max(y, sy) + 0.04
    page.line(left, right, y)
    y = page.text(left, y + 0.06, sheet.footer, 8, full, color=muted)
    return figure, y


def render_pdf(sheet: result_sheet.Sheet, today: str) -> bytes:
    """The sheet as a one-page A4 PDF."""
    from matplotlib.backends.backend_pdf import FigureCanvasPdf  # lazy, see the matplotlib note at the top

    for scale in PDF_SCALES:
        figure, bottom = layout_pdf(sheet, today, scale)
        if bottom <= A4_INCHES[1] - PDF_MARGIN:
            break
    FigureCanvasPdf(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="pdf", metadata={"Title": sheet.title, "Author": None, "Creator": None})
    return buffer.getvalue()


# ---------------------------------------------------------------- the print view (HTML)


def today_text(now: float | None = None) -> str:
    day = time.localtime(now if now is not None else time.time())
    return f"{day.tm_mday} {MONTHS[day.tm_mon - 1]} {day.tm_year}"


def render_html(sheet: result_sheet.Sheet, token: str, today: str) -> str:
    e = html.escape
    png = base64.b64encode(plot_png(sheet)).decode("ascii")
    why = "".join(f"<li>{e(reason)}</li>" for reason in sheet.why)
    scores = "".join(
        f'<li data-score="{e(s.id)}"><span class="label">{e(s.label)}</span>'
        f'<meter min="0" max="100" value="{round(s.value * 100)}">{round(s.value * 100)}%</meter>'
        f'<span class="pct">{round(s.value * 100)}%</span><span class="explain">{e(s.explain)}</span></li>'
        for s in sheet.scores
    )
    answers = "".join(f"<div><dt>{e(a.question)}</dt><dd>{e(a.answer)}</dd></div>" for a in sheet.answers)
    reflection = "".join(
        f'<li><p>{e(q)}</p><div class="write" aria-hidden="true"></div></li>' for q in sheet.reflection
    )
    steps = ""
    for step in sheet.steps:
        link = ""
        if step.link_url:
            title = e(step.link_title or step.link_url)
            url = e(step.link_url, quote=True)
            link = (
                f' <a href="{url}" rel="noopener noreferrer" target="_blank">{title}</a>'
                f'<span class="print-url"> ({e(step.link_url)})</span>'
            )
        steps += f"<li>{e(step.text)}{link}</li>"
    note = f'<p class="note" data-testid="sheet-note">{e(sheet.note)}</p>' if sheet.note else ""
    why_block = f'<h3>{e(sheet.why_title)}</h3><ul class="why" data-testid="sheet-why">{why}</ul>' if why else ""
    alt = f"{sheet.plot_title}. " + ". ".join(
        [f"Jij: {s.label.lower()} {round(s.value * 100)}%" for s in sheet.scores]
        + [f"{p.name}: {p.exploration:.0%} en {p.commitment:.0%}" for p in sheet.points]
    )
    return f"""<!doctype html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>{e(sheet.title)}</title>
<link rel="stylesheet" href="/result/result.css">
<script src="/result/result.js" defer></script>
</head>
<body>
<nav class="tools" aria-label="Bewaren">
  <button type="button" id="print" data-testid="sheet-print">Printen</button>
  <a href="/mijn-keuzespiegel/{token}.pdf" download="mijn-keuzespiegel.pdf" data-testid="sheet-pdf">Download als PDF</a>
  <p>Neem dit blad mee naar je gesprek met je mentor of decaan.</p>
</nav>
<main class="sheet" data-testid="sheet" data-fit="{e(sheet.fit)}" data-persona="{e(sheet.persona_id)}">
  <header class="sheet-head">
    <h1>{e(sheet.title)}</h1>
    <p class="date">{e(today)}</p>
    <p class="subtitle">{e(sheet.subtitle)}</p>
  </header>
  <section class="outcome">
    <div class="outcome-text">
      <h2 data-testid="sheet-heading">{e(sheet.heading)}</h2>
      {note}
      <p class="status"><strong>{e(sheet.status_label)}</strong> {e(sheet.status_explain)}</p>
      {why_block}
      <h3>{e(sheet.scores_title)}</h3>
      <ul class="scores" data-testid="sheet-scores">{scores}</ul>
    </div>
    <figure class="plot">
      <img src="data:image/png;base64,{png}" alt="{e(alt, quote=True)}" data-testid="sheet-plot">
      <figcaption>{e(ring_note(sheet))}</figcaption>
    </figure>
  </section>
  <section class="answers">
    <h3>{e(sheet.answers_title)}</h3>
    <dl data-testid="sheet-answers">{answers}</dl>
  </section>
  <div class="bottom">
    <section class="reflection">
      <h3>{e(sheet.reflection_title)}</h3>
      <ol data-testid="sheet-reflection">{reflection}</ol>
    </section>
    <section class="steps">
      <h3>{e(sheet.steps_title)}</h3>
      <ul data-testid="sheet-steps">{steps}</ul>
    </section>
  </div>
  <footer><p>{e(sheet.footer)}</p></footer>
</main>
</body>
</html>
"""


def not_found_html() -> str:
    return f"""<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow"><link rel="icon" href="data:,">
<title>Mijn keuzespiegel</title><link rel="stylesheet" href="/result/result.css"></head>
<body><main class="sheet missing"><h1>Mijn keuzespiegel</h1><p data-testid="sheet-missing">{html.escape(NOT_FOUND)}</p>
</main></body></html>
"""


# ---------------------------------------------------------------- handlers


async def _in_thread(func: Callable[..., T], *args: Any) -> T:
    """Database and matplotlib work off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(None, partial(func, *args))


def _cors(request: web.Request, config: settings.Settings) -> dict[str, str]:
    """The widget may run on a school's site: the same origins as the Rasa server's CORS."""
    origin = request.headers.get("Origin", "")
    headers = {"Vary": "Origin"}
    if origin and origin in config.cors_origins:
        headers["Access-Control-Allow-Origin"] = origin
    return headers


async def result_link(request: web.Request) -> web.Response:
    """POST /api/mijn-keuzespiegel: {"sender": ...} -> {"page": ..., "pdf": ...} when that chat has a result."""
    config = request.app[SETTINGS_KEY]
    headers = {**_cors(request, config), "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
    try:
        body = json.loads(await request.text())
        sender_id = body.get("sender") if isinstance(body, dict) else None
    except ValueError:
        sender_id = None
    if not isinstance(sender_id, str) or not SENDER.match(sender_id):
        return web.json_response({"error": "geen geldig gesprek"}, status=400, headers=headers)
    if not await _in_thread(has_result, config, sender_id):
        return web.json_response({"error": "nog geen uitkomst"}, status=404, headers=headers)
    token = token_for(await _in_thread(server_secret, config), sender_id)
    return web.json_response(
        {"page": f"/mijn-keuzespiegel/{token}", "pdf": f"/mijn-keuzespiegel/{token}.pdf"}, headers=headers
    )


async def result_link_preflight(request: web.Request) -> web.Response:
    config = request.app[SETTINGS_KEY]
    headers = _cors(request, config)
    if "Access-Control-Allow-Origin" in headers:
        headers.update(
            {
                "Access-Control-Allow-Methods": "POST",
                "Access-Control-Allow-Headers": "Content-Type",
                "Access-Control-Max-Age": "600",
            }
        )
    return web.Response(status=204, headers=headers)


def _missing() -> web.Response:
    return web.Response(
        text=not_found_html(),
        status=404,
        content_type="text/html",
        charset="utf-8",
        headers={**PRIVATE_HEADERS, "Content-Security-Policy": PAGE_CSP},
    )


async def result_page(request: web.Request) -> web.Response:
    """GET /mijn-keuzespiegel/<token>: the print view, built now from the stored result."""
    config = request.app[SETTINGS_KEY]
    token = request.match_info["token"]
    sheet = await _in_thread(sheet_for_token, config, token)
    if sheet is None:
        return _missing()
    page = await _in_thread(render_html, sheet, token, today_text())
    return web.Response(
        text=page,
        content_type="text/html",
        charset="utf-8",
        headers={**PRIVATE_HEADERS, "Content-Security-Policy": PAGE_CSP},
    )


async def result_pdf(request: web.Request) -> web.Response:
    """GET /mijn-keuzespiegel/<token>.pdf: the same sheet as a PDF download."""
    config = request.app[SETTINGS_KEY]
    token = request.match_info["token"]
    sheet = await _in_thread(sheet_for_token, config, token)
    if sheet is None:
        return _missing()
    body = await _in_thread(render_pdf, sheet, today_text())
    return web.Response(
        body=body,
        content_type="application/pdf",
        headers={**PRIVATE_HEADERS, "Content-Disposition": 'attachment; filename="mijn-keuzespiegel.pdf"'},
    )


def _static(folder: Path, types: Mapping[str, str], name: str) -> Path:
    path = (folder / name).resolve()
    if path.parent != folder.resolve() or path.suffix not in types or not path.is_file():
        raise web.HTTPNotFound()
    return path


async def result_static(request: web.Request) -> web.Response:
    """GET /result/<file>: the print view's CSS and script."""
    path = _static(RESULT_DIR, STATIC_TYPES, request.match_info["name"])
    return web.Response(
        body=path.read_bytes(),
        headers={
            "Content-Type": STATIC_TYPES[path.suffix],
            "Cache-Control": "public, max-age=300, must-revalidate",
            "X-Content-Type-Options": "nosniff",
        },
    )


def info_page(path: Path, config: settings.Settings) -> str:
    """An info page, with the configured retention period filled in where it says <span data-retention-days>."""
    text = path.read_text(encoding="utf-8")
    return RETENTION_MARK.sub(lambda m: f"{m.group(1)}{config.retention_days}{m.group(2)}", text)


async def info_file(request: web.Request) -> web.Response:
    """GET /info/<file>: the privacy text, the letter for parents and their style sheet."""
    path = _static(INFO_DIR, INFO_TYPES, request.match_info["name"])
    headers = {
        "Content-Type": INFO_TYPES[path.suffix],
        "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff",
    }
    if path.suffix == ".html":
        headers["Content-Security-Policy"] = PAGE_CSP
        headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        return web.Response(body=info_page(path, request.app[SETTINGS_KEY]).encode("utf-8"), headers=headers)
    return web.Response(body=path.read_bytes(), headers=headers)


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/mijn-keuzespiegel", result_link)
    app.router.add_route("OPTIONS", "/api/mijn-keuzespiegel", result_link_preflight)
    app.router.add_get("/mijn-keuzespiegel/{token:[0-9a-f]{32}}.pdf", result_pdf)
    app.router.add_get("/mijn-keuzespiegel/{token}", result_page)
    app.router.add_get("/result/{name}", result_static)
    app.router.add_get("/info/{name}", info_file)
