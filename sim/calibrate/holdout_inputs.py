"""The hold-out's known inputs, and the dated scenario that simulates them date by date.

A planner predicting a day knows (or forecasts) its calls offered and its agents; the
hold-out (:mod:`sim.calibrate.holdout`) is fed those of each hold-out date, as the log shows
them, and everything else from the fit window.  :func:`inputs` gathers them
(:class:`Inputs`): the calls offered per date, half-hour and call type (first attempts and
redials alike: a forecast of offered calls already holds the redials) and the agents
available per team, date and half-hour (:mod:`sim.calibrate.agents`, measured on those dates
as on the fit window).

:func:`dated_scenario` writes them as a **dated scenario** (:mod:`sim.config.dated`): a file of
expected arrivals per date, half-hour and category (``dated.file``) so that each date keeps its
own calls and its own time of day - a Monday-to-Friday hold-out is those five dates, not weekday
averages nor an hourly profile, and with the handle-time factor taken within call types (the
half-hours carry their own mix) - and, per date and half-hour, the agents: each team's plan of a
week (``routing.groups.<team>.half_hourly`` or ``staffing.half_hourly``, 336 values), which holds
each date of a hold-out of at most seven days exactly, every date on its own weekday
(``dated.staffing_file`` holds the front line's plan only, not a group's, so a hold-out stays
within :data:`WEEK_DAYS` days: :data:`sim.calibrate.windows.MAX_HOLDOUT_DAYS`).  The run starts on
the first hold-out date at midnight, with no warm-up, no day-to-day multiplier (the dates' own volumes are known) and,
unless ``redials`` is asked for as a diagnostic, no redial loop.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np

from sim.calibrate.agents import Availability, Teams
from sim.calibrate.logread import CallLog
from sim.calibrate.scenario import slug
from sim.calibrate.windows import Window
from sim.config.schema import Config, GroupConfig, RetrialConfig

HALF_S = 1800.0
#: Dates a team's weekly plan (``routing.groups.<team>.half_hourly``) holds exactly.
WEEK_DAYS = 7


@dataclass
class Inputs:
    """What a planner knows of each hold-out date: calls offered per half-hour and call type, agents per team."""

    dates: List[dt.date]
    calls: np.ndarray                   # (dates, 48, types) calls offered (all attempts), by half-hour of arrival
    types: List[str]                    # the call types of the last axis of ``calls``
    agents: Dict[str, np.ndarray]       # team -> (dates, 48) agents available

    @property
    def calls_per_half(self) -> np.ndarray:
        """Calls offered per date and half-hour, all types, shape (dates, 48)."""
        return self.calls.sum(axis=2)

    @property
    def type_shares(self) -> Dict[str, float]:
        """Each call type's share of the calls offered (types with none left out)."""
        total = self.calls.sum(axis=(0, 1))
        return {t: float(n / total.sum()) for t, n in zip(self.types, total) if n > 0}


def inputs(hold: CallLog, w: Window, teams: Teams, avail: Availability,
           calls_mask: Optional[np.ndarray] = None) -> Inputs:
    """The known inputs of the hold-out log ``hold`` (cut to window ``w``), its agents measured as ``avail``; the
    calls counted are ``calls_mask`` (default: every call offered), averaged over the log's runs."""
    day = np.floor(hold.arrive_local_s / 86400.0).astype(np.int64)
    half = ((hold.arrive_local_s % 86400.0) // HALF_S).astype(np.int64)
    calls = np.zeros((w.days, 48, len(hold.categories)))
    keep = (day < w.days) & (np.ones(hold.n, dtype=bool) if calls_mask is None else calls_mask)
    np.add.at(calls, (day[keep], half[keep], hold.category[keep]), 1.0)
    runs = max(len(np.unique(hold.run)), 1)
    return Inputs(dates=[w.first + dt.timedelta(days=i) for i in range(w.days)], calls=calls / runs,
                  types=list(hold.categories),
                  agents={t: avail.available[k, :w.days] for k, t in enumerate(teams.names)})


def _write_arrivals(x: Inputs, names: Dict[str, str], path: Path) -> None:
    """``dated.file``: expected phone arrivals per date, half-hour and category (scenario names)."""
    lines = ["start,channel,category,expected"]
    for i, d in enumerate(x.dates):
        for h in range(48):
            at = dt.datetime.combine(d, dt.time()) + dt.timedelta(seconds=h * HALF_S)
            for j, t in enumerate(x.types):
                if t in names:
                    lines.append(f"{at.isoformat(timespec='minutes')},phone,{names[t]},{x.calls[i, h, j]:.6g}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def week_plan(x: Inputs, team: str) -> List[float]:
    """``team``'s agents as a week's plan (336 values, Monday first), each date on its weekday.

    Raises
    ------
    ValueError
        More than :data:`WEEK_DAYS` dates (two would share a weekday).
    """
    if len(x.dates) > WEEK_DAYS:
        raise ValueError(f"a plan of agents holds a week: at most {WEEK_DAYS} dates")
    plan = np.zeros(336)
    for i, d in enumerate(x.dates):
        plan[48 * d.weekday():48 * d.weekday() + 48] = x.agents[team][i]
    return [float(round(v, 4)) for v in plan]


def dated_scenario(cfg: Config, x: Inputs, folder: Path, handle_factor: Optional[List[float]] = None,
                   drain_h: float = 2.0, redials: bool = False) -> Config:
    """The calibrated scenario ``cfg`` run over the dates of ``x`` as a dated scenario (module docstring), its files
    written into ``folder`` (which must outlive the runs); with ``redials`` the calls of ``x`` are first attempts and
    the scenario's redial loop stays on (a diagnostic).

    ``handle_factor`` (48 values) replaces ``calls.handle_factor_half_hourly``: the factor *within* call types
    (:func:`sim.calibrate.calls.handle_factor`), since each half-hour of the file carries its own mix of types,
    which the scenario's factor (taken over all types, for a mix that is one for the whole day) holds already.

    Raises
    ------
    ValueError
        A call type or team the scenario does not have; more than :data:`WEEK_DAYS` dates.
    """
    from sim.model.checks import validate

    new = copy.deepcopy(cfg)
    names = {t: slug(t) for t in x.types}
    shares = {names[t]: s for t, s in x.type_shares.items()}
    unknown = sorted(set(shares) - set(new.categories))
    if unknown:
        raise ValueError(f"it has calls of type(s) {', '.join(unknown)}, which the fit window has too few calls of "
                         "(or none) to be in the scenario (no handle time or patience fitted): widen the fit window")
    for name, cat in new.categories.items():
        cat.share = shares.get(name, 0.0)
    new.categories = {k: c for k, c in new.categories.items() if c.share > 0}
    names = {t: n for t, n in names.items() if n in new.categories}
    tag = "redials" if redials else "offered"
    _write_arrivals(x, names, folder / f"holdout_{tag}.csv")
    ph = new.arrivals.phone
    ph.per_day = float(x.calls.sum() / len(x.dates))
    ph.hourly_profile, ph.day_cv = [1.0] * 24, 0.0  # the file gives the rates (template fields left at defaults)
    new.arrivals.day_of_week = [1.0] * 7
    new.dated.file, new.dated.uncertainty, new.dated.day_log_sd = str(folder / f"holdout_{tag}.csv"), False, []
    if not redials:
        new.calls.retrial = RetrialConfig(probability=0.0)
    if handle_factor is not None:
        new.calls.handle_factor_half_hourly = [float(v) for v in handle_factor]
    if new.routing.groups:
        if set(x.agents) != set(new.routing.groups):
            raise ValueError(f"teams {sorted(x.agents)} differ from the scenario's groups {sorted(new.routing.groups)}")
        new.routing.groups = {t: GroupConfig(half_hourly=week_plan(x, t))  # type: ignore[call-arg]
                              for t in new.routing.groups}
        new.routing.skills = {k: v for k, v in new.routing.skills.items() if k in new.categories}
    else:  # the one plan replaces the scenario's, whatever its form
        new.staffing = new.staffing.with_form(half_hourly=week_plan(x, next(iter(x.agents))))
    e = new.experiment
    e.start_weekday, e.horizon_h, e.drain_h, e.warmup_h = x.dates[0].weekday(), 24.0 * len(x.dates), drain_h, 0.0
    validate(new)
    return new
