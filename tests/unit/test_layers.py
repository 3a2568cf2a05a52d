"""The import rules between the layers of `bot/` (docs/architecture.md draws them).

Read from the source with `ast`, so a rule is broken the moment someone writes the import, lazy or not.
Every folder under bot/ must be a known layer and every module must belong to one, so a new subpackage
cannot slip past these rules.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot import ROOT

# Layer -> the parts of the project it may import from (besides the standard library and itself).
# "bot" alone is `from bot import ROOT`.
ALLOWED_PROJECT_IMPORTS = {
    "core": {"bot", "bot.core"},
    # The REST channel asks the workshop registry whether a code is open (docs/architecture.md); only the
    # registry, see test_plugins_use_only_the_workshop_registry.
    "plugins": {"bot", "bot.core", "bot.settings", "bot.workshops", "bot.plugins"},
    "workshops": {"bot", "bot.core", "bot.workshops", "bot.settings"},
    "server": {"bot", "bot.core", "bot.workshops", "bot.server", "bot.settings"},
    "cli": {"bot", "bot.core", "bot.workshops", "bot.cli", "bot.server", "bot.settings"},
    "actions": {"bot", "bot.core", "actions"},
    "settings": {"bot"},  # bot/settings.py: below every layer but the core, and the core never imports it
}
# Layer -> third-party packages it must never import. Rasa (and its Sanic) belongs to the plug-ins, which Rasa
# loads; the action server has only rasa-sdk; the core imports no framework, database or plotting library.
FORBIDDEN_THIRD_PARTY = {
    "core": {"rasa", "rasa_sdk", "sanic", "aiohttp", "sqlalchemy", "pandas", "matplotlib", "psycopg2"},
    "plugins": {"rasa_sdk", "aiohttp", "matplotlib"},
    "workshops": {"rasa", "rasa_sdk", "sanic", "aiohttp"},
    "server": {"rasa", "rasa_sdk", "sanic"},
    "cli": {"rasa", "rasa_sdk", "sanic"},
    "actions": {"rasa", "sanic", "aiohttp", "sqlalchemy", "pandas", "matplotlib"},
    "settings": {"rasa", "rasa_sdk", "sanic", "aiohttp", "sqlalchemy", "pandas", "matplotlib"},
}
SUBPACKAGES = {"core", "plugins", "workshops", "server", "cli"}
PROJECT = {"bot", "actions"}


def _imports(path: Path, source: str | None = None) -> list[str]:
    """Absolute names of every module this file imports, at the top or inside a function."""
    tree = ast.parse(path.read_text(encoding="utf-8") if source is None else source)
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # "from . import x" / "from ..settings import y"
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            names.append(module)
            if module in PROJECT:  # "from bot import settings" imports bot.settings
                names += [f"{module}.{alias.name}" for alias in node.names if alias.name != "ROOT"]
    return names


def _layer_files(layer: str) -> list[Path]:
    if layer == "actions":
        return sorted((ROOT / "actions").rglob("*.py"))
    if layer == "settings":
        return [ROOT / "bot" / "settings.py"]
    return sorted((ROOT / "bot" / layer).rglob("*.py"))


def _project_part(module: str) -> str:
    """bot.core.model -> bot.core; bot.settings -> bot.settings; bot -> bot; actions.qa -> actions."""
    parts = module.split(".")
    if parts[0] == "actions":
        return "actions"
    return ".".join(parts[:2]) if len(parts) > 1 else parts[0]


@pytest.mark.parametrize("layer", sorted(ALLOWED_PROJECT_IMPORTS))
def test_layer_imports_only_what_it_may(layer: str) -> None:
    files = _layer_files(layer)
    assert files, f"no modules found for layer {layer}"
    broken = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in files
        for module in _imports(path)
        if module.split(".")[0] in PROJECT and _project_part(module) not in ALLOWED_PROJECT_IMPORTS[layer]
    ]
    assert not broken, "\n".join(broken)


@pytest.mark.parametrize("layer", sorted(FORBIDDEN_THIRD_PARTY))
def test_layer_imports_no_forbidden_framework(layer: str) -> None:
    broken = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in _layer_files(layer)
        for module in _imports(path)
        if module.split(".")[0] in FORBIDDEN_THIRD_PARTY[layer]
    ]
    assert not broken, "\n".join(broken)


def test_plugins_use_only_the_workshop_registry() -> None:
    broken = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in _layer_files("plugins")
        for module in _imports(path)
        if module.startswith("bot.workshops") and module != "bot.workshops.registry"
    ]
    assert not broken, "\n".join(broken)


def test_every_bot_module_belongs_to_a_layer() -> None:
    top_level = {p.name for p in (ROOT / "bot").glob("*.py")}
    assert top_level == {"__init__.py", "__main__.py", "settings.py"}, top_level
    folders = {p.name for p in (ROOT / "bot").iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert folders == SUBPACKAGES, f"a new folder under bot/ needs a row in the rules above: {folders - SUBPACKAGES}"
    assert SUBPACKAGES <= set(ALLOWED_PROJECT_IMPORTS) and SUBPACKAGES <= set(FORBIDDEN_THIRD_PARTY)


def test_the_package_root_imports_only_the_command_line() -> None:
    """bot/__init__.py holds ROOT and nothing else; `python -m bot` goes straight to the command line."""
    assert not [m for m in _imports(ROOT / "bot" / "__init__.py") if m.split(".")[0] in PROJECT]
    assert {m for m in _imports(ROOT / "bot" / "__main__.py") if m.split(".")[0] in PROJECT} == {"bot.cli.main"}


def test_the_rules_see_relative_imports() -> None:
    """A relative import cannot dodge the rules: it is read as the absolute module it names."""
    names = _imports(ROOT / "bot" / "core" / "model.py", "from ..settings import load\nfrom . import text\n")
    assert names == ["bot.settings", "bot.core"]
    assert _project_part(names[0]) not in ALLOWED_PROJECT_IMPORTS["core"]
