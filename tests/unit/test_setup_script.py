"""The setup script refuses to build an environment without Python 3.10 and says what to install."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bot import ROOT


def test_setup_without_python_310_stops_with_install_instructions(tmp_path: Path) -> None:
    if shutil.which("python3.10", path="/usr/bin:/bin"):
        pytest.skip("this machine has a system python3.10, so there is no machine without one to simulate")
    for name in ("requirements.txt", "requirements-dev.txt", "constraints.txt", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "scripts", tmp_path / "scripts")
    result = subprocess.run(
        ["bash", "scripts/setup.sh"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path / "home")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "needs Python 3.10" in result.stderr
    assert "pyenv install 3.10" in result.stderr and "PYTHON=" in result.stderr
    assert not (tmp_path / ".venv").exists()


def test_setup_with_the_current_environment_is_a_quick_no_op() -> None:
    if not (ROOT / ".venv" / "bin" / "python").exists():
        pytest.skip("no .venv in this checkout (tests run with another checkout's environment)")
    result = subprocess.run(["bash", "scripts/setup.sh"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert "installed" not in result.stdout
