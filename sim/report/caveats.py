"""What a reader must know before taking a run's figures as the answer: the run's caveats, and open work orders.

A run answers the question its configuration asks, which is not always the one a
reader brings.  :func:`run_caveats` lists, once, what makes this run's figures
not those of the full-size centre over the period it names:

* ``scale`` other than 1 - a smaller (or larger) centre has other economies of
  scale, so its service level, waits and occupancy are not the full-size
  centre's; and the files written for reuse (``shifts.yaml``, ``staffing.csv``,
  ``schedule.csv``) hold at that scale only;
* ``staffing.headcount_factor`` (or the feedback team's) other than 1 - the
  scenario's plan with more or fewer operators, a what-if;
* ``arrivals.demand_factor`` or ``calls.handle_factor`` other than 1 - the
  scenario's demand, or its calls' handle times, multiplied: a what-if;
* a measurement window shorter than a day when demand follows a daily profile -
  the KPIs cover some hours, not a day (Beijing's answer-rate target is over any
  24 h);
* work orders still open when the run stopped - KPIs over closed orders cover
  the quick ones: each such KPI shows the range the open ones leave
  (:mod:`sim.analysis.censoring`), and its verdict is *not clear* when they could
  change it (:func:`judged`).

The caveats go into ``summary.json`` -> ``caveats``, which the terminal's table,
``report.md`` and ``report.html`` show: one source, computed when the run's files are written.
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Mapping, Optional, Sequence

import numpy as np

from sim.analysis.censoring import Open
from sim.analysis.kpis import confidence_interval
from sim.config.kpi_catalog import censoring
from sim.config.schema import Config
from sim.report.targets import Verdict, judge

#: Share of the window's work orders open at the end from which the run's caveats say so (every KPI shows
#: its own open share and range whatever it is).
OPEN_ORDERS_CAVEAT = 0.01
#: Files a run writes for reuse in another run, whose numbers hold at the run's scale.
REUSE_FILES = ("shifts.yaml", "staffing.csv", "schedule.csv")


def open_at_end(exp: Any) -> Dict[str, Dict[str, Any]]:
    """``summary.json`` -> ``open_at_end`` of an :class:`~sim.experiments.runner.ExperimentResult`."""
    from sim.analysis.censoring import replication_open

    records = [r.backoffice for r in exp.replications if r.backoffice is not None]
    if not records:
        return {}
    return open_summary([replication_open(bo) for bo in records], exp.cfg.experiment.confidence)


def _scale(cfg: Config, summary: Mapping[str, Any], files: Sequence[str]) -> List[Dict[str, str]]:
    s = cfg.scale
    if s == 1:
        return []
    size = "smaller" if s < 1 else "larger"
    out = [{"key": "scale", "text": (
        f"Scale {s:g}: demand, operators, the feedback team and case workers are {s:g} x the scenario's. A {size} "
        f"centre has other economies of scale (a smaller one needs more operators per call for the same service, "
        f"and its queues are longer), so these figures are not those of the full-size centre: run with scale=1 "
        f"for those.")}]
    reuse = [f for f in REUSE_FILES if f in files]
    if reuse:
        csvs = [f for f in reuse if f.endswith(".csv")]
        text = f"{', '.join(reuse)} {'holds' if len(reuse) == 1 else 'hold'} at scale {s:g} only"
        if csvs and len(csvs) < len(reuse):
            text += f": {' and '.join(csvs)} count operators at scale {s:g}"
        elif csvs:  # say what the file is: the reader of the page has not opened it
            text += (f": written for reuse in another run, {'it counts' if len(csvs) == 1 else 'they count'} the "
                     f"operators of each interval of this scale-{s:g} centre, not the full-size centre's")
        shifts = (summary.get("staffing") or {}).get("shifts") or {}
        if "shifts.yaml" in reuse:
            hours = shifts.get("operator_hours_per_week")
            at_one = f" ({hours / s:,.0f} operator-hours a week)" if hours else ""
            text += (f"; shifts.yaml's counts reproduce this plan only in a run at scale={s:g}. Pasted into a "
                     f"scenario run at scale 1 they roster {1 / s:g} x this plan{at_one}, which is not the "
                     f"full-size centre's requirement: the operators a scale-{s:g} centre needs, divided by {s:g}, "
                     f"leave out the economies of scale of the larger centre. For a full-size plan, run "
                     f"staffing.policy={cfg.staffing.policy} at scale=1")
        out.append({"key": "reuse_scale", "text": text + "."})
    return out


def _staffing(cfg: Config) -> List[Dict[str, str]]:
    out = []
    for key, plan in (("staffing", cfg.staffing), ("feedback.staffing", cfg.feedback.staffing)):
        f = getattr(plan, "headcount_factor", 1.0)
        if f != 1:
            out.append({"key": f"{key}.headcount_factor", "text": (
                f"{key}.headcount_factor={f:g}: every headcount of the scenario's plan x {f:g} (a what-if), "
                f"not the scenario's own staffing.")})
    if cfg.calls.pickup_delay_s is not None and cfg.arrivals.phone.per_day > 0:
        out.append({"key": "calls.pickup_delay_s", "text": (
            "calls.pickup_delay_s: a call that finds an operator free waits for its pickup; ASA, service level and "
            "abandonment include that wait, which more operators cannot remove, and the staffing position's erlang "
            "requirement (Erlang A) does not count it.")})
    return out


def _whatif(cfg: Config) -> List[Dict[str, str]]:
    out = []
    for key, f, what, own in (
            ("arrivals.demand_factor", cfg.arrivals.demand_factor, "every channel's and category's arrivals x {f}, "
             "profiles and surges included", "demand"),
            ("calls.handle_factor", cfg.calls.handle_factor, "every call handle time x {f}, each distribution's "
             "shape kept", "handle times")):
        if f != 1:
            out.append({"key": key, "text": f"{key}={f:g}: {what.format(f=f'{f:g}')} (a what-if): the figures are "
                                            f"not those of the scenario's own {own}."})
    return out


def _window(cfg: Config) -> List[Dict[str, str]]:
    e, a = cfg.experiment, cfg.arrivals
    window_h = e.horizon_h - e.warmup_h
    profiled = any(len(set(ch.hourly_profile)) > 1 for ch in (a.phone, a.online) if ch.per_day > 0)
    if window_h >= 24 or not profiled:
        return []
    start = e.warmup_h % 24

    def clock(h: float) -> str:
        return f"{int(h) % 24:02d}:{int(round(h % 1 * 60)):02d}"

    return [{"key": "window", "text": (
        f"The measurement window is {window_h:g} h ({clock(start)} to {clock(start + window_h)} of the first day), "
        f"not a day: demand follows a daily profile, so the KPIs describe these hours only (Beijing's answer-rate "
        f"target is over any 24 h).")}]


def _open_orders(summary: Mapping[str, Any]) -> List[Dict[str, str]]:
    states = (summary.get("accounting") or {}).get("states") or {}
    orders = (summary.get("kpis") or {}).get("work_orders", {}).get("mean")
    back = ("open:in_dispatch", "open:queued_at_unit", "open:in_progress")
    visits = ("open:awaiting_return_visit", "open:on_return_visit")  # closed, not yet rated
    open_n, unrated_n = (sum(states.get(s, {}).get("mean", 0.0) for s in group) for group in (back, visits))
    if not orders or max(open_n, unrated_n) / orders < OPEN_ORDERS_CAVEAT:
        return []
    drain = summary.get("drain_h") or 0
    stopped = f"when the run stopped (experiment.drain_h={drain:g})"
    unrated = (f"{unrated_n / orders:.1%} were closed but not yet rated, awaiting or on their return visit "
               f"(feedback.delay_h and the feedback team's capacity decide how long)")
    if open_n / orders >= OPEN_ORDERS_CAVEAT:
        where = f"{open_n / orders:.1%} of the window's work orders were not yet closed {stopped}"
        where += f" and {unrated}" if unrated_n / orders >= OPEN_ORDERS_CAVEAT else ""
    else:
        where = f"{stopped[0].upper()}{stopped[1:]}, of the window's work orders {unrated}"
    return [{"key": "open_orders", "text": (
        f"{where}: the KPIs over closed or rated orders show the range the open ones leave and the time to close "
        f"counts them as censored (docs/kpis.md, 'Orders still open at the end'); a longer drain follows them to "
        f"the end.")}]


def run_caveats(cfg: Config, summary: Mapping[str, Any], files: Sequence[str] = ()) -> List[Dict[str, str]]:
    """``summary.json`` -> ``caveats``: ``[{"key", "text"}]``, what makes the figures not the full-size centre's
    over the period they name (see the module's docstring); ``files``: the names the run has written."""
    return _scale(cfg, summary, files) + _staffing(cfg) + _whatif(cfg) + _window(cfg) + _open_orders(summary)


def _bound(side: Optional[Mapping[str, Any]], unbounded: float) -> Mapping[str, Any]:
    return side if side is not None else {"mean": unbounded, "ci_low": unbounded, "ci_high": unbounded}


def judged(name: str, ci: Optional[Mapping[str, Any]], target: Optional[float],
           open_entry: Optional[Mapping[str, Any]] = None) -> Verdict:
    """The verdict of KPI ``name`` against ``target``, *not clear* when the members still open at the end
    (``summary.json`` -> ``open_at_end`` -> ``name``) could change it: it stands only when it is the same with
    every open member ending badly and with every one ending well."""
    v = judge(name, ci, target)
    if open_entry is None or v.status in ("none", "unclear", "no_interval"):
        return v
    low = judge(name, _bound(open_entry.get("low"), -math.inf), target)
    high = judge(name, _bound(open_entry.get("high"), math.inf), target)
    if low.status == high.status == v.status:
        return v
    share = f"{100 * open_entry['open_share']:.2f}%"
    return Verdict("unclear", v.target, v.better, v.goal, (
        f"{v.status} on the outcomes seen, but {share} were still open when the run stopped and could change it"))


def judged_all(kpis: Mapping[str, Mapping[str, Any]], targets: Mapping[str, Optional[float]],
               open_entries: Mapping[str, Mapping[str, Any]]) -> Dict[str, Verdict]:
    """:func:`judged` for every KPI that has a target (set, not null) and appears in ``kpis``."""
    return {k: judged(k, kpis[k], t, open_entries.get(k)) for k, t in targets.items() if t is not None and k in kpis}


def open_summary(per_rep: Sequence[Mapping[str, Open]], confidence: float) -> Dict[str, Dict[str, Any]]:
    """``summary.json`` -> ``open_at_end``: per KPI with members still open in some replication, the mean
    open share, the method, and the lowest and highest values as ``{"mean", "ci_low", "ci_high"}`` across
    replications (``None``: no bound - some replication's range is unbounded there)."""
    names: List[str] = []
    for rep in per_rep:
        names += [k for k, v in rep.items() if v[0] > 0 and k not in names]
    out: Dict[str, Dict[str, Any]] = {}
    for name in names:
        rule = censoring(name)
        assert rule is not None, name
        rows = [rep.get(name) for rep in per_rep]
        shares = [r[0] if r else 0.0 for r in rows]
        entry: Dict[str, Any] = {"open_share": float(np.mean(shares)), "method": rule.method}
        for i, side in ((1, "low"), (2, "high")):
            values = [r[i] if r else None for r in rows]
            if any(v is None for v in values):
                entry[side] = {"mean": None, "ci_low": None, "ci_high": None}  # an empty population somewhere
                continue
            x = np.asarray(values, dtype=float)
            entry[side] = None if np.isinf(x).any() else confidence_interval(x.tolist(), confidence, name)
        out[name] = entry
    return out
