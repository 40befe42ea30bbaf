"""Shared fixtures: composed configurations and a helper to run the CLI."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from support import ROOT, run_cli  # noqa: E402,F401


@pytest.fixture
def compose():
    """``compose(scenario, overrides)`` -> validated :class:`sim.config.Config`."""
    from sim.api import compose_config

    return compose_config


@pytest.fixture
def cli():
    """Run the command line; see :func:`support.run_cli`."""
    return run_cli
