"""`rasa test` on the recorded test stories (tests/stories/), against the running action server."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot import ROOT
from bot.cli import servers
from bot.settings import Settings

pytestmark = pytest.mark.e2e

STORIES = ROOT / "tests" / "stories"
EXPECTED = {
    "joost_buttons",
    "luuk_buttons",
    "tim_buttons",
    "joost_free_text",
    "luuk_free_text",
    "tim_free_text",
    "digressions",
    "fallback",
    "restart",
    "safety",
}


def test_all_scenarios_are_recorded() -> None:
    assert EXPECTED <= {path.stem for path in STORIES.glob("*.yml")}


def test_rasa_test_stories_pass_without_prediction_errors(stack: Settings, tmp_path: Path) -> None:
    result = subprocess.run(
        servers.rasa_command(
            "test",
            "core",
            "--model",
            str(ROOT / "models"),
            "--stories",
            str(STORIES),
            "--endpoints",
            "endpoints.yml",
            "--out",
            str(tmp_path),
            "--fail-on-prediction-errors",
        ),
        cwd=ROOT,
        env=servers.child_env(stack),
        capture_output=True,
        text=True,
        timeout=900,
    )
    failed = tmp_path / "failed_test_stories.yml"
    details = failed.read_text(encoding="utf-8") if failed.exists() else ""
    assert result.returncode == 0, f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}\n{details[-4000:]}"
    assert "None of the test stories failed" in details
