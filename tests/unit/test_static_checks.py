"""Static checks: ``mypy`` (configured in pyproject.toml) and ``ruff`` report no errors."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
from support import require

ROOT = Path(__file__).resolve().parents[2]

CHECKS = {
    "mypy": ["-m", "mypy"],  # files and settings from [tool.mypy]
    "ruff": ["-m", "ruff", "check", "sim", "tools", "benchmarks", "run_sim.py"],
}


@pytest.mark.parametrize("tool", sorted(CHECKS))
def test_static_check_is_clean(tool: str) -> None:
    require(importlib.util.find_spec(tool) is not None, tool, "pip install -e '.[test]'")
    cmd = [sys.executable, *CHECKS[tool]]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, (
        f"`{' '.join(cmd[1:])}` exited with status {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
