"""Fixtures of the report tests: one small run and one small sweep in one ``reports/`` folder, made once.

* ``run_report`` - ``heating_season_start`` (two surges, units, return visits) at scale 0.02 over 96 h with
  a 2 h warm-up and a 48 h drain, 3 replications, written by :func:`sim.api.run` into
  ``<root>/reports/heating_season_start/run``;
* ``routing_report`` - ``skills_and_callbacks`` (two operator groups, callbacks) at scale 0.03 over one day,
  2 replications, written into ``<root>/reports/skills_and_callbacks/run``;
* ``cli_sweep`` - ``python run_sim.py -m staffing.operators=...`` on ``single_queue`` (2 variants of 3
  replications of 3 h) from the folder ``<root>``, so that it writes ``reports/multirun/<timestamp>`` and
  refreshes ``<root>/reports/index.html`` - after the run above, so the index lists both.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import run_cli

RUN_OVERRIDES = ["scale=0.02", "experiment.horizon_h=96", "experiment.warmup_h=2", "experiment.drain_h=48",
                 "experiment.replications=3", "experiment.jobs=1", "experiment.progress=false"]
SWEEP = ["-m", "scenario=single_queue", "staffing.operators=120,130", "experiment.replications=3",
         "experiment.horizon_h=3", "experiment.warmup_h=1", "experiment.seed=7", "experiment.progress=false",
         "report.plots=false", "report.html=false"]


@pytest.fixture(scope="session")
def reports_root(tmp_path_factory) -> Path:
    """A working folder whose ``reports/`` holds the run and the sweep."""
    return tmp_path_factory.mktemp("report_tests")


def _small_run(reports_root, scenario, overrides):
    """(folder, ExperimentResult) of a run of ``scenario`` in ``reports/<scenario>/run``."""
    from sim.api import compose_config, run

    out = reports_root / "reports" / scenario / "run"
    return out, run(compose_config(scenario, overrides), out_dir=out)


@pytest.fixture(scope="session")
def run_report(reports_root):
    """(folder, ExperimentResult) of the small heating-season run."""
    return _small_run(reports_root, "heating_season_start", RUN_OVERRIDES)


ROUTING_OVERRIDES = ["scale=0.03", "experiment.horizon_h=24", "experiment.drain_h=0", "experiment.replications=2",
                     "experiment.jobs=1", "experiment.progress=false"]


@pytest.fixture(scope="session")
def routing_report(reports_root):
    """(folder, ExperimentResult) of the small run with operator groups and callbacks."""
    return _small_run(reports_root, "skills_and_callbacks", ROUTING_OVERRIDES)


@pytest.fixture(scope="session")
def cli_sweep(reports_root, run_report):
    """(sweep folder, completed process) of the small command-line sweep."""
    proc = run_cli(SWEEP, cwd=reports_root)
    assert proc.returncode == 0, f"sweep {SWEEP}: exit {proc.returncode}: {proc.stderr[-1500:]}"
    folders = sorted((reports_root / "reports" / "multirun").iterdir())
    assert len(folders) == 1, f"expected one sweep folder, found {folders}"
    return folders[0], proc


@pytest.fixture(scope="session")
def run_summary(run_report):
    """The run's summary.json."""
    return json.loads((run_report[0] / "summary.json").read_text())
