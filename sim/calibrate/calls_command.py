"""The ``calls`` command's steps: read and fit the log, write the scenario, back-test and report.

:mod:`sim.calibrate.cli` calls :func:`fit`, then :func:`scenario_text` (the
scenario is written and composed), then :func:`report`; each raises
:class:`~sim.core.errors.ConfigError` for a log that cannot identify what the
scenario needs.  With ``--fit-from/--fit-to`` the scenario is fitted on that
window only (:mod:`sim.calibrate.windows`); with a hold-out window its days are
simulated with their own arrivals and agents and scored (:mod:`sim.calibrate.holdout`).
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from sim.calibrate.calls import CallCalibration, CallOptions, calibrate_calls, calibration_json
from sim.calibrate.formats import LogFormat
from sim.calibrate.logread import read_calls
from sim.calibrate.timestamps import time_rule
from sim.calibrate.windows import Windows, resolve, subset_calls
from sim.config.schema import Config
from sim.core.errors import ConfigError


@dataclass
class Result:
    """What the command writes and prints."""

    json: Dict[str, Any]
    html: str
    headline: List[str]


def fit(a: argparse.Namespace, fmt: LogFormat) -> CallCalibration:
    """Read the log ``a.log`` with ``fmt`` and fit it (on the fit window, when one is given)."""
    log = read_calls(Path(a.log), fmt, a.log, time_rule(a.timezone))
    windows = resolve(a, log.info, log.arrive_local_s)
    opts = CallOptions(redial_window_h=a.redial_window_h, profile_tolerance=a.profile_tolerance,
                       min_per_category=a.min_per_category, priority_labels=list(fmt.priority_labels),
                       patience_by_type=a.patience_by_type)
    try:
        cal = calibrate_calls(log if windows.whole else subset_calls(log, windows.fit), opts)
    except ValueError as exc:
        raise (ConfigError("LOG", a.log, str(exc)) if windows.whole else
               windows.error("fit", f"cannot be fitted: {exc}")) from None
    cal.source = log
    if windows.holdout is not None and not a.no_backtest:  # before any simulation: the scored hours hold calls
        hours = np.floor(subset_calls(log, windows.holdout).arrive_local_s % 86400.0 / 3600.0)
        if not np.any((hours >= a.holdout_hours[0]) & (hours < a.holdout_hours[1])):
            raise ConfigError("--holdout-hours", "-".join(map(str, a.holdout_hours)), f"the hold-out "
                              f"({windows.holdout.label()}) has no calls in these hours: nothing to score")
    return cal


def scenario_text(cal: CallCalibration, name: str, command: str) -> str:
    """The scenario file."""
    from sim.calibrate.scenario import calls_scenario

    return calls_scenario(cal, name, command, patience_by_type=cal.options.patience_by_type)


def holdout(cal: CallCalibration, cfg: Config, windows: Windows, hours: tuple[int, int]) -> Optional[Dict[str, Any]]:
    """The hold-out's scores (``calibration.json`` -> ``holdout``), or None without a hold-out window."""
    from sim.calibrate import holdout as ho
    from sim.calibrate import holdout_inputs as hi
    from sim.calibrate.agents import assign, measure
    from sim.calibrate.calls import _redials

    w = windows.holdout
    if w is None or cal.source is None:
        return None
    hold = subset_calls(cal.source, w)
    teams = assign(cal.teams, hold)
    avail = measure(hold, teams)
    x = hi.inputs(hold, w, teams, avail)
    redial, _, _ = _redials(hold, cal.options.redial_window_h * 3600.0)
    with tempfile.TemporaryDirectory(prefix="holdout-") as folder:
        try:
            dated = hi.dated_scenario(cfg, x, Path(folder), cal.handle_factor_within)
            loop = hi.dated_scenario(cfg, hi.inputs(hold, w, teams, avail, calls_mask=~redial), Path(folder),
                                     cal.handle_factor_within, redials=True)
        except ValueError as exc:
            raise windows.error("hold-out", f"cannot be simulated: {exc}") from None
        out = ho.evaluate(cal, dated, hold, w, x, cal.log, hours, loop)
    out["agents_available_by_date"] = {t: avail.available[k, :w.days].round(4).tolist()
                                       for k, t in enumerate(teams.names)}
    return out


def report(cal: CallCalibration, a: argparse.Namespace, factors: Sequence[float], command: str,
           scenario_path: str, cfg: Config) -> Result:
    """Back-test of ``cfg``, the scenario as composed (unless ``--no-backtest``): in-sample over the fit window, and
    out of sample over the hold-out window if one is given; ``calibration.json`` and the page."""
    from sim.calibrate.callreport import backtest_calls, calls_page, headline

    windows: Windows = a.windows
    cj = calibration_json(cal)
    cj["command"] = command
    cj["scenario"] = scenario_path
    cj["windows"] = {"fit": windows.fit.as_dict(), "holdout": windows.holdout.as_dict() if windows.holdout else None,
                     "whole_log": windows.whole}
    btj = None if a.no_backtest else backtest_calls(cal, cfg, factors)
    cj["backtest"] = btj
    cj["holdout"] = None if a.no_backtest else holdout(cal, cfg, windows, a.holdout_hours)
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
