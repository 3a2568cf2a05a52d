"""Start-up cost: the web server and the command line leave matplotlib until a plot, report or PDF is drawn
(bot/workshops/export.py and bot/server/result_page.py say why)."""

from __future__ import annotations

import subprocess
import sys

from bot import ROOT

LOADED = "import sys, bot.server.app, bot.cli.main; print(sorted(m for m in sys.modules if m.startswith('matplotlib')))"


def test_matplotlib_is_not_imported_at_start() -> None:
    # Run from the project root: `python -c` puts the working directory first on sys.path.
    out = subprocess.run([sys.executable, "-c", LOADED], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
