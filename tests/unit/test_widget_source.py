"""House rules for the widget's source (web/widget/keuzespiegel.js), read as text: no browser needed."""

from __future__ import annotations

import re

from bot import ROOT
from bot.core.content import get_questionnaire

WIDGET = (ROOT / "web" / "widget" / "keuzespiegel.js").read_text(encoding="utf-8")


def test_one_javascript_style_var_only() -> None:
    code = re.sub(r"//[^\n]*|/\*.*?\*/", "", WIDGET, flags=re.S)
    assert not re.findall(r"\b(?:let|const)\s+[A-Za-z_$]", code)
    assert "=>" not in code


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
