"""Helpers shared by test folders (importable as ``support``; tests/conftest.py puts tests/ on sys.path)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Sequence

ROOT = Path(__file__).resolve().parent.parent


def run_cli(args: Sequence[str], cwd: Path = ROOT, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``python run_sim.py ARGS`` in a subprocess and capture its output."""
    env = dict(os.environ)
    env.pop("HYDRA_FULL_ERROR", None)
    return subprocess.run([sys.executable, str(ROOT / "run_sim.py"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)
