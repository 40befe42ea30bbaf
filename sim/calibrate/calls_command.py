"""The ``calls`` command's steps: read and fit the log, write the scenario, back-test and report.

:mod:`sim.calibrate.cli` calls :func:`fit`, then :func:`scenario_text` (the
scenario is written and composed), then :func:`report`; each raises
:class:`~sim.core.errors.ConfigError` for a log that cannot identify what the
scenario needs.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Sequence

from sim.calibrate.calls import CallCalibration, CallOptions, calibrate_calls, calibration_json
from sim.calibrate.formats import LogFormat
from sim.calibrate.logread import read_calls
from sim.calibrate.timestamps import time_rule
from sim.config.schema import Config
from sim.core.errors import ConfigError


@dataclass
class Result:
    """What the command writes and prints."""

    json: Dict[str, Any]
    html: str
    headline: List[str]


def fit(a: argparse.Namespace, fmt: LogFormat) -> CallCalibration:
    """Read the log ``a.log`` with ``fmt`` and fit it."""
    log = read_calls(Path(a.log), fmt, a.log, time_rule(a.timezone))
    opts = CallOptions(redial_window_h=a.redial_window_h, profile_tolerance=a.profile_tolerance,
                       min_per_category=a.min_per_category)
    try:
        return calibrate_calls(log, opts)
    except ValueError as exc:
        raise ConfigError("LOG", a.log, str(exc)) from None


def scenario_text(cal: CallCalibration, name: str, command: str) -> str:
    """The scenario file."""
    from sim.calibrate.scenario import calls_scenario

    return calls_scenario(cal, name, command)


def report(cal: CallCalibration, a: argparse.Namespace, factors: Sequence[float], command: str,
           scenario_path: str, cfg: Config) -> Result:
    """Back-test of ``cfg``, the scenario as composed (unless ``--no-backtest``), ``calibration.json`` and
    the page."""
    from sim.calibrate.callreport import backtest_calls, calls_page, headline

    cj = calibration_json(cal)
    cj["command"] = command
    cj["scenario"] = scenario_path
    btj = None if a.no_backtest else backtest_calls(cal, cfg, factors)
    cj["backtest"] = btj
    cj = _finite(cj)
    return Result(json=cj, html=calls_page(cal, cj, btj, a.name, command, scenario_path), headline=headline(cj))


def _finite(x: Any) -> Any:
    """``x`` with every non-finite float replaced by None (JSON has no NaN or infinity)."""
    import math

    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    return x
