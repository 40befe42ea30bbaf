"""The staffing position of a run: the operators it scheduled against those a requirement asks for, and the
intervals that miss a service target.

Pure functions of arrays per reporting interval (the run's records and a requirement computed
before it; nothing is simulated here):

* :func:`gap_table` - per interval of the measurement window: the rostered operators scheduled,
  those required, and the gap (scheduled - required; positive = over the requirement);
* :func:`by_day` and :func:`by_week_slot` - the same in operator-hours per day of the run, and per
  interval of the week (Monday 00:00 first) averaged over the weeks of the window;
* :func:`totals` - operator-hours scheduled and required over the window, the gap in hours and in
  percent of the requirement, and their cost;
* :func:`failing_intervals` - every interval with call attempts whose pooled metric misses a
  target (:func:`sim.analysis.staffing_kpis.meets`), with the operators scheduled and required.

Operators are counted *rostered* (before shrinkage: the hours paid) on both sides, at the run's
scale.  A "group" is the set of operators a requirement is for: today the whole front line (one
group); a requirement per operator group gives one :func:`totals` per group.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

import numpy as np

from sim.analysis.staffing_kpis import TARGET_METRICS, meets

DAY_S = 86400.0
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def clock(t_s: float) -> str:
    """``HH:MM`` of a time of day."""
    s = int(round(t_s % DAY_S))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}"


def _when(k: int, interval_s: float, start_weekday: int) -> tuple[int, str, str]:
    """(day of the run, weekday, time of day) of interval ``k``."""
    t = k * interval_s
    day = int(t // DAY_S)
    return day, WEEKDAYS[(start_weekday + day) % 7], clock(t)


def gap_table(scheduled: np.ndarray, required: np.ndarray, warmup: int) -> Dict[str, np.ndarray]:
    """Per interval of the measurement window (from ``warmup`` to the end of ``scheduled``): ``interval``,
    ``scheduled``, ``required`` and ``gap`` (scheduled - required), operators.

    ``required`` may be longer than ``scheduled`` (a requirement covers whole days of a planning
    window); it is cut to the run's intervals.
    """
    n = len(scheduled)
    s = np.asarray(scheduled, dtype=float)[warmup:n]
    r = np.asarray(required, dtype=float)[warmup:n]
    return {"interval": np.arange(warmup, n), "scheduled": s, "required": r, "gap": s - r}


def totals(table: Mapping[str, np.ndarray], interval_s: float, scheduled_cost: float, cost_per_h: float
           ) -> Dict[str, Optional[float]]:
    """Operator-hours scheduled and required over the window, the gap in hours and in percent of the
    requirement (None when nothing is required), and the costs: ``scheduled_cost`` is the plan's own
    (each shift at its cost per hour), the requirement is priced at ``cost_per_h``."""
    h = interval_s / 3600.0
    sched_h = float(np.sum(table["scheduled"]) * h)
    req_h = float(np.sum(table["required"]) * h)
    req_cost = req_h * cost_per_h
    return {"scheduled_h": sched_h, "required_h": req_h, "gap_h": sched_h - req_h,
            "gap_pct": 100.0 * (sched_h - req_h) / req_h if req_h > 0 else None,
            "scheduled_cost": scheduled_cost, "required_cost": req_cost, "gap_cost": scheduled_cost - req_cost,
            "intervals_under": int(np.sum(table["gap"] < -1e-9)), "intervals_over": int(np.sum(table["gap"] > 1e-9))}


def by_day(table: Mapping[str, np.ndarray], interval_s: float, start_weekday: int) -> List[Dict[str, Any]]:
    """Operator-hours scheduled and required per day of the run (the window's part of it), and the gap."""
    h = interval_s / 3600.0
    days = (table["interval"] * interval_s // DAY_S).astype(int)
    out = []
    for d in np.unique(days):
        m = days == d
        s, r = float(np.sum(table["scheduled"][m]) * h), float(np.sum(table["required"][m]) * h)
        out.append({"day": int(d), "weekday": WEEKDAYS[(start_weekday + int(d)) % 7], "scheduled_h": s,
                    "required_h": r, "gap_h": s - r, "gap_pct": 100.0 * (s - r) / r if r > 0 else None})
    return out


def by_week_slot(table: Mapping[str, np.ndarray], interval_s: float, start_weekday: int) -> Dict[str, np.ndarray]:
    """Per interval of the week (Monday 00:00 first): ``scheduled``, ``required`` and ``gap`` averaged over
    the window's weeks (NaN for an interval of the week the window does not reach), and ``weeks``, how
    many of the window's intervals fall on it."""
    per_day = int(round(DAY_S / interval_s))
    t = table["interval"] * interval_s
    slot = ((start_weekday + (t // DAY_S).astype(int)) % 7) * per_day + table["interval"] % per_day
    n = 7 * per_day
    weeks = np.bincount(slot, minlength=n).astype(float)
    out: Dict[str, np.ndarray] = {"weeks": weeks}
    with np.errstate(invalid="ignore", divide="ignore"):
        for name in ("scheduled", "required", "gap"):
            out[name] = np.where(weeks > 0, np.bincount(slot, weights=table[name], minlength=n) / weeks, np.nan)
    return out


def failing_intervals(pooled: Mapping[str, np.ndarray], targets: Mapping[str, float],
                      table: Mapping[str, np.ndarray], interval_s: float, start_weekday: int
                      ) -> List[Dict[str, Any]]:
    """Every interval of the window with call attempts whose pooled metric misses a target: day, weekday,
    time, the target's name, the metric, the target, and the operators scheduled and required.

    ``pooled`` is :func:`sim.analysis.staffing_kpis.pooled_intervals` of the run; ``targets`` maps a
    target name (``service_level``, ``abandon_rate``, ``asa_s``) to its bound.  Sorted by time, then by
    target in the order given.
    """
    ok = meets(pooled, targets)
    rows = []
    for i, k in enumerate(table["interval"]):
        if not pooled["attempts"][k] > 0:
            continue
        for name, bound in targets.items():
            if ok[name][k] == 0.0:
                day, weekday, tod = _when(int(k), interval_s, start_weekday)
                rows.append({"interval": int(k), "day": day, "weekday": weekday, "time": tod, "kpi": name,
                             "value": float(pooled[TARGET_METRICS[name][0]][k]), "target": float(bound),
                             "at_most": TARGET_METRICS[name][1], "scheduled": float(table["scheduled"][i]),
                             "required": float(table["required"][i])})
    return rows
