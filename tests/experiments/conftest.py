"""Shared fixtures of the experiment-layer tests: this folder on sys.path (the local Dask cluster is in
tests/conftest.py, shared with the documentation tests)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # xp_helpers, also for spawned workers (spawn passes the parent's sys.path)
    sys.path.insert(0, str(HERE))


@pytest.fixture(scope="session")
def fast_compose():
    """``fast_compose(scenario, overrides)`` -> validated Config: ``compose`` with a cache (xp_helpers.FastCompose)."""
    from xp_helpers import FastCompose

    return FastCompose()
