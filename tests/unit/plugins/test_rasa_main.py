"""Every Rasa process starts through bot/plugins/rasa_main.py, which imports skops before Rasa."""

from __future__ import annotations

import ast
import sys

from bot import ROOT
from bot.cli import servers


def imported_modules(path: str) -> list[str]:
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_skops_is_imported_before_rasa() -> None:
    names = imported_modules("bot/plugins/rasa_main.py")
    assert names.index("skops.io") < names.index("rasa.__main__")
    assert not any(name.startswith(("tensorflow", "rasa.")) for name in names[: names.index("skops.io")])


def test_the_launcher_starts_rasa_through_it() -> None:
    assert servers.rasa_command("run", "--port", "5005") == [
        sys.executable,
        "-m",
        "bot.plugins.rasa_main",
        "run",
        "--port",
        "5005",
    ]


def test_make_test_and_the_image_train_through_it() -> None:
    for path in ("scripts/test.sh", "Makefile", "deploy/Dockerfile", "deploy/k8s/rasa.yaml"):
        text = (ROOT / path).read_text(encoding="utf-8")
        assert "bot.plugins.rasa_main" in text, path
        assert "rasa train" not in text.replace("rasa_main train", ""), path
