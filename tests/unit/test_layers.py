"""The import rules between the layers of `bot/` (docs/architecture.md draws them).

Read from the source with `ast`, so a rule is broken the moment someone writes the import, lazy or not.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot import ROOT

# Layer -> top-level packages and bot subpackages it may import from (besides the standard library and itself).
THIRD_PARTY_FORBIDDEN_IN_CORE = ("rasa", "rasa_sdk", "sanic", "aiohttp", "sqlalchemy", "pandas", "matplotlib")
ALLOWED_BOT_IMPORTS = {
    "core": {"bot", "bot.core"},
    # The REST channel asks the workshop registry whether a code is open (docs/architecture.md); only the
    # registry, see test_plugins_use_only_the_workshop_registry.
    "plugins": {"bot", "bot.core", "bot.settings", "bot.workshops"},
    "workshops": {"bot", "bot.core", "bot.workshops", "bot.settings"},
    "server": {"bot", "bot.core", "bot.workshops", "bot.server", "bot.settings"},
    "cli": {"bot", "bot.core", "bot.workshops", "bot.cli", "bot.server", "bot.settings"},
    "actions": {"bot", "bot.core"},
}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            if node.module == "bot":  # "from bot import settings" imports bot.settings
                names += [f"bot.{alias.name}" for alias in node.names if alias.name != "ROOT"]
    return names


def _layer_files(layer: str) -> list[Path]:
    folder = ROOT / "actions" if layer == "actions" else ROOT / "bot" / layer
    return sorted(folder.glob("*.py"))


def _bot_part(module: str) -> str:
    """bot.core.model -> bot.core; bot.settings -> bot.settings; bot -> bot."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else parts[0]


@pytest.mark.parametrize("layer", sorted(ALLOWED_BOT_IMPORTS))
def test_layer_imports_only_what_it_may(layer: str) -> None:
    files = _layer_files(layer)
    assert files, f"no modules found for layer {layer}"
    broken = []
    for path in files:
        for module in _imports(path):
            if module.split(".")[0] == "bot" and _bot_part(module) not in ALLOWED_BOT_IMPORTS[layer]:
                broken.append(f"{path.relative_to(ROOT)} imports {module}")
    assert not broken, "\n".join(broken)


def test_plugins_use_only_the_workshop_registry() -> None:
    broken = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in _layer_files("plugins")
        for module in _imports(path)
        if module.startswith("bot.workshops") and module != "bot.workshops.registry"
    ]
    assert not broken, "\n".join(broken)


def test_core_imports_no_framework_and_no_settings() -> None:
    broken = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in _layer_files("core")
        for module in _imports(path)
        if module.split(".")[0] in THIRD_PARTY_FORBIDDEN_IN_CORE or module == "bot.settings"
    ]
    assert not broken, "\n".join(broken)


def test_every_bot_module_belongs_to_a_layer() -> None:
    top_level = {p.name for p in (ROOT / "bot").glob("*.py")}
    assert top_level == {"__init__.py", "__main__.py", "settings.py"}, top_level
