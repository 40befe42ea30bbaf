"""Shared fixtures: composed configurations and a helper to run the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Sequence

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def compose():
    """``compose(scenario, overrides)`` -> validated :class:`sim.config.Config`."""
    from sim.api import compose_config

    return compose_config


def run_cli(args: Sequence[str], cwd: Path = ROOT, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``python run_sim.py ARGS`` in a subprocess and capture its output."""
    env = dict(os.environ)
    env.pop("HYDRA_FULL_ERROR", None)
    return subprocess.run([sys.executable, str(ROOT / "run_sim.py"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def cli():
    """Run the command line; see :func:`run_cli`."""
    return run_cli
