"""Helpers shared by test folders (importable as ``support``; tests/conftest.py puts tests/ on sys.path)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Sequence

ROOT = Path(__file__).resolve().parent.parent


def layered(*groups: Sequence[str]) -> list[str]:
    """Override lists joined in order, a later list's key replacing an earlier list's.

    A key may be given only once on the command line and to ``compose_config`` (a repeated key is an
    error), so tests that layer variants on a base list join them with this.
    """
    out: dict[str, str] = {}
    for group in groups:
        for arg in group:
            out[arg.split("=", 1)[0].lstrip("+~")] = arg
    return list(out.values())


def run_cli(args: Sequence[str], cwd: Path = ROOT, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``python run_sim.py ARGS`` in a subprocess and capture its output."""
    env = dict(os.environ)
    env.pop("HYDRA_FULL_ERROR", None)
    return subprocess.run([sys.executable, str(ROOT / "run_sim.py"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)
