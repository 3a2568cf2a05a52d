"""House rules for the JavaScript of the widget and the dashboard, read as text: no browser needed."""

from __future__ import annotations

import re

import pytest

from bot import ROOT
from bot.core.content import get_personas, get_questionnaire

WIDGET = (ROOT / "web" / "widget" / "keuzespiegel.js").read_text(encoding="utf-8")
DASHBOARD = (ROOT / "web" / "dashboard" / "dashboard.js").read_text(encoding="utf-8")
PLOT_BACKGROUND = "#f7f9fc"  # .ks-plot-bg in keuzespiegel.css, and the PDF plot's face colour


def code_of(source: str) -> str:
    """The source without comments and string contents (a rough cut, enough for these checks)."""
    without_comments = re.sub(r"(?m)^\s*//[^\n]*|\s//\s[^\n]*|/\*.*?\*/", "", source, flags=re.S)
    return re.sub(r'"(?:[^"\\\n]|\\.)*"', '""', without_comments)


@pytest.mark.parametrize("source", [WIDGET, DASHBOARD], ids=["widget", "dashboard"])
def test_one_javascript_style_const_and_let(source: str) -> None:
    """Both files: block-scoped const/let (never var), arrow functions for callbacks, strict mode."""
    code = code_of(source)
    assert not re.findall(r"\bvar\s+[A-Za-z_$]", code)
    assert re.search(r"\bconst\s+[A-Za-z_$]", code) and "=>" in code
    assert code.count("function (") == 1, "only the wrapping (function () { ... })() is an anonymous function"
    assert '"use strict"' in source


def contrast(a: str, b: str) -> float:
    def luminance(color: str) -> float:
        parts = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in parts]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_persona_colours_have_one_home_and_are_readable() -> None:
    """personas/*.yml holds the colours; they reach the widget, sheet, dashboard and report through the payload
    and the summary. No JS, CSS, HTML or Python file of ours repeats them, and each name reads on the plot."""
    colours = {pid: persona.color.lower() for pid, persona in get_personas().items()}
    for pid, colour in colours.items():
        assert contrast(colour, PLOT_BACKGROUND) >= 4.5, (pid, colour)
        assert contrast(colour, "#ffffff") >= 4.5, (pid, colour)
    files = [*(ROOT / "web").rglob("*.js"), *(ROOT / "web").rglob("*.css"), *(ROOT / "web").rglob("*.html")]
    files += [*(ROOT / "bot" / "server").glob("*.py"), *(ROOT / "bot" / "workshops").glob("*.py")]
    for path in files:
        text = path.read_text(encoding="utf-8").lower()
        assert not [c for c in colours.values() if c in text], f"{path} repeats a persona colour"
    assert "color" in DASHBOARD and "p.color" in DASHBOARD and "validColor(p.color)" in WIDGET


def test_score_names_come_from_the_payload_not_from_the_widget() -> None:
    """One name per score: the widget reads them from the reveal payload, so it holds none of them itself."""
    assert "data.dimensions" in WIDGET
    for info in get_questionnaire().dimensions.values():
        assert info["label"] not in WIDGET
    for old in ("Verkennen", "Vastleggen", "Ontdekken", "Vastberaden"):
        assert old not in WIDGET


def test_no_persona_ids_or_the_word_persona_in_what_pupils_read() -> None:
    texts = re.findall(r'"([^"\n]*[A-Za-z][^"\n]*)"', WIDGET)
    shown = [t for t in texts if " " in t and not t.startswith(("[", "#", ".", "/"))]
    assert not [t for t in shown if "persona" in t.lower()]
    assert not re.search(r'"(?:joost|luuk|tim)"', WIDGET), "persona ids come from the payload"
