"""The staffing position of a run: how far its plan is from the ``erlang`` requirement for its own targets.

Every run with a front-line plan shows it first (the page, the terminal): the operator-hours
scheduled against the ``erlang`` requirement (:func:`sim.planning.requirement.requirement`: exact
Erlang A per interval for ``staffing.target`` and ``staffing.offered_load``; under a second for a
week of half-hours), the gap in hours and percent by day and by interval of the week, the cost at
``staffing.cost_per_h``, and the intervals that miss each target of ``staffing.target``.  A run of
``erlang`` or ``optimize`` compares with the erlang requirement its policy computed (for ``optimize``
the plan it corrected); a run of the scenario's plan computes it here (no simulation).

With operator groups (``routing.groups``) every group has a position of its own: its rostered
operators (its own plan, :func:`sim.model.compile.rostered_by_group`) against the erlang requirement
of its own calls and targets; groups that share calls (:func:`sim.planning.groups.pools`) have one
position, their pool's: their operators together against the requirement of their calls together
(:func:`sim.planning.groups.pooled`), since which of them answers a shared call is decided in the run
and not by the plan.  The intervals in which the calls of a group's home miss one of its targets
(:func:`sim.analysis.staffing_kpis.pooled_group`, :func:`sim.analysis.staffing_kpis.plan_targets`)
are listed per group; ``total`` adds the positions up.  The count of the intervals missing a target
counts each interval once, whichever targets and groups miss in it; so do its counts per target and
per group (:func:`failing_line`).

:func:`position` is ``summary.json`` -> ``staffing_position``; :func:`position_files` the tables
``staffing_gap.csv`` (one row per interval of the window), ``staffing_gap_week.csv`` (per interval
of the week) and ``failing_intervals.csv`` (one row per interval and target missed), each with a
first column ``group`` when the run has groups; :func:`position_lines` the terminal's lines.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List, Mapping, Optional, Sequence

import numpy as np

from sim.analysis.staffing_gap import by_day, by_week_slot, clock, failing_intervals, gap_table, totals
from sim.analysis.staffing_kpis import plan_targets, pooled_group, pooled_intervals, strictest, target_values
from sim.core.errors import ConfigError
from sim.experiments.runner import ExperimentResult
from sim.model.derive import start_date
from sim.report.numbers import format_hours

Table = tuple[List[str], List[List[Any]]]
#: The group name of a requirement for the whole front line.
FRONT_LINE = "front line"
#: Failing intervals the page lists at most, those furthest from their target (all: failing_intervals.csv).
SHOWN_FAILING = 20


def _required(exp: ExperimentResult, plan: Any) -> tuple[Optional[List[Any]], str]:
    """Per position - the front line, or with operator groups each pool of groups that share work
    (:func:`sim.planning.groups.pools`) - its groups' numbers and the rostered operators its erlang requirement
    asks for per interval of the planning window; or None and why not.

    A group alone is positioned against its own requirement (the policy's for ``erlang`` and ``optimize``); a
    pool against the requirement of its groups' home work together (:func:`sim.planning.groups.pooled`).  The
    loads are the plan's (every policy computes them), so nothing is computed twice but the agents."""
    if "rostered_operators" not in exp.replications[0].intervals:
        return None, "the run recorded no rostered operators"
    from sim.model.compile import compile_config
    from sim.planning.groups import front_requirements, pooled, pools, with_agents

    cfg = exp.cfg
    n = len(exp.replications[0].intervals["rostered_operators"])
    given = [g.requirement for g in getattr(plan, "groups", None) or []]
    try:
        sc = compile_config(cfg) if cfg.routing.groups else None
        sets = pools(sc) if sc is not None else [(0,)]
        if not given:
            given = front_requirements(cfg, sc, agents=False)
        home = given if all(r.agents is None for r in given) else None  # the loads without overflow

        def of(members: tuple[int, ...]) -> Any:
            if len(members) == 1 and given[members[0]].agents is not None:
                return given[members[0]]  # the policy's own requirement
            own = home if home is not None else front_requirements(cfg, sc, agents=False)
            names = [own[g].name for g in members]
            req = own[members[0]] if len(members) == 1 else pooled([own[g] for g in members], " + ".join(names))
            return with_agents(req, cfg, upto=n)

        return [(members, np.asarray(of(members).required, dtype=float)) for members in sets], ""
    except ConfigError as exc:
        return None, f"the erlang requirement cannot be computed: {exc}"


def _parts(exp: ExperimentResult, plan: Any) -> tuple[List[Dict[str, Any]], str]:
    """Per position: its name, its groups, rostered operators and cost per hour per interval, the operators
    required and its targets, and ``judged``: per group its pooled interval metrics and targets (one part, the
    front line, without groups); or [] and why not."""
    cfg = exp.cfg
    iv = exp.replications[0].intervals
    need, why = _required(exp, plan)
    if need is None:
        return [], why
    if not cfg.routing.groups:
        targets = target_values(cfg.staffing.target)
        return [{"group": FRONT_LINE, "members": [FRONT_LINE], "required": need[0][1], "targets": targets,
                 "member_scheduled": [],
                 "scheduled": np.asarray(iv["rostered_operators"], dtype=float),
                 "cost_per_h": np.asarray(iv["staffing_cost_per_h"], dtype=float),
                 "judged": [(FRONT_LINE, pooled_intervals(exp.replications), targets)]}], ""
    from sim.model.compile import rostered_by_group
    from sim.model.derive import clock as run_clock

    plans = rostered_by_group(cfg, run_clock(cfg))
    recorded = list(exp.replications[0].groups.names) if exp.replications[0].groups is not None else []
    own_targets = plan_targets(cfg)
    names = list(cfg.routing.groups)
    parts = []
    for members, required in need:
        own = [names[g] for g in members]
        parts.append({"group": " + ".join(own), "members": own, "required": required,
                      "scheduled": np.sum([plans[m][0] for m in own], axis=0),
                      "cost_per_h": np.sum([plans[m][1] for m in own], axis=0),
                      "member_scheduled": [plans[m][0] for m in own],
                      "targets": strictest([own_targets[m] for m in own]),
                      "judged": [(m, pooled_group(exp.replications, recorded.index(m)), own_targets[m])
                                 for m in own]})
    return parts, ""


def position(exp: ExperimentResult, plan: Any) -> Dict[str, Any]:
    """``summary.json`` -> ``staffing_position`` (module docstring); ``{"why": ...}`` when there is none."""
    parts, why = _parts(exp, plan)
    if not parts:
        return {"why": why}
    cfg = exp.cfg
    res0 = exp.replications[0]
    interval_s, w, start = res0.interval_s, res0.warmup_intervals, cfg.experiment.start_weekday
    grouped = bool(cfg.routing.groups)
    cost_per_h = float(cfg.staffing.cost_per_h)
    groups, days, failing, tables = [], [], [], []
    for p in parts:
        table = gap_table(p["scheduled"], p["required"], w)
        sched_cost = float(np.sum(p["cost_per_h"][w:]) * interval_s / 3600.0)
        shared = {"members": p["members"], "scheduled_h_by_group": {
            m: float(np.sum(s[w:]) * interval_s / 3600.0) for m, s in zip(p["members"], p["member_scheduled"])}} \
            if len(p["members"]) > 1 else {}
        groups.append({"group": p["group"], **shared, **({"targets": p["targets"]} if grouped else {}),
                       **totals(table, interval_s, sched_cost, cost_per_h)})
        days += [({"group": p["group"]} if grouped else {}) | d for d in by_day(table, interval_s, start)]
        for member, pooled, targets in p["judged"]:
            rows = failing_intervals(pooled, targets, table, interval_s, start)
            failing += [({"group": member} if grouped else {}) | f for f in rows]
        tables.append((p["group"] if grouped else None, table))
    first = start_date(cfg)
    if first is not None:  # a dated run: each day and failing interval carries its date
        days = [d | {"date": _date(first, d["day"])} for d in days]
        failing = [f | {"date": _date(first, f["day"])} for f in failing]
    order = {m: i for i, m in enumerate(m for p in parts for m in p["members"])}
    failing.sort(key=lambda f: (f["interval"], order.get(f.get("group", ""), 0)))
    targets = target_values(cfg.staffing.target)
    names = list(dict.fromkeys([*targets, *(k for p in parts for k in p["targets"])]))
    attempts = pooled_intervals(exp.replications)["attempts"][w:]
    out: Dict[str, Any] = {
        "reference": "erlang", "policy": cfg.staffing.policy, "offered_load": cfg.staffing.offered_load,
        "targets": targets, "cost_per_h": cost_per_h, "interval_h": interval_s / 3600.0, "groups": groups,
        "by_day": days,
        "failing": {"intervals": len({f["interval"] for f in failing}), "with_calls": int(np.sum(attempts > 0)),
                    "rows": len(failing),
                    "by_target": {name: len({f["interval"] for f in failing if f["kpi"] == name}) for name in names},
                    "first": worst(failing, SHOWN_FAILING, order)},
        "_tables": tables, "_failing": failing, "_start_date": first}
    if grouped:
        out["total"] = group_total(groups)
        out["failing"]["by_group"] = {g: len({f["interval"] for f in failing if f["group"] == g}) for g in order}
    return out


def group_total(groups: Sequence[Mapping[str, Any]]) -> Dict[str, Any]:
    """The groups' totals added up (the gap in percent of the summed requirement; no count of intervals short or
    over: a group's own)."""
    keys = ("scheduled_h", "required_h", "gap_h", "scheduled_cost", "required_cost", "gap_cost")
    out: Dict[str, Any] = {"group": "all groups", **{k: sum(g[k] for g in groups) for k in keys}}
    out["gap_pct"] = 100.0 * out["gap_h"] / out["required_h"] if out["required_h"] > 0 else None
    return out


def worst(failing: Sequence[Mapping[str, Any]], n: int, order: Optional[Mapping[str, int]] = None
          ) -> List[Mapping[str, Any]]:
    """The ``n`` failing intervals furthest from their target (relative to the target), in time order (then by
    group, in the ``order`` given, and target).  With operator groups (rows with a ``group``) the ``n`` are
    shared among the groups, the furthest of each group in turn, so that a group missing its targets by much
    does not hide another's."""
    def miss(f: Mapping[str, Any]) -> float:
        return (f["value"] - f["target"] if f["at_most"] else f["target"] - f["value"]) / f["target"]

    ranked = sorted(failing, key=miss, reverse=True)
    queues = [[f for f in ranked if f.get("group") == g] for g in dict.fromkeys(f.get("group") for f in ranked)]
    picked: List[Mapping[str, Any]] = []
    while len(picked) < n and any(queues):
        for q in queues:
            if q and len(picked) < n:
                picked.append(q.pop(0))
    rank = order or {}
    return sorted(picked, key=lambda f: (f["interval"], rank.get(f.get("group", ""), 0), f["kpi"]))


def public(pos: Mapping[str, Any]) -> Dict[str, Any]:
    """The position without its arrays (what ``summary.json`` holds)."""
    return {k: v for k, v in pos.items() if not k.startswith("_")}


def position_files(pos: Mapping[str, Any], interval_s: float, start_weekday: int) -> Dict[str, Table]:
    """``staffing_gap.csv``, ``staffing_gap_week.csv`` and ``failing_intervals.csv`` of a position (none without
    one); with operator groups each starts with a column ``group`` (a group's rows together, in the order of
    ``routing.groups``, for the gap; by time, then group, for the failing intervals)."""
    if "_tables" not in pos:
        return {}
    gap_rows: List[List[Any]] = []
    week_rows: List[List[Any]] = []
    grouped = any(name is not None for name, _ in pos["_tables"])
    lead = ["group"] if grouped else []
    first = pos.get("_start_date")
    dated = ["date"] if first is not None else []  # after day, as in intervals.csv
    for name, t in pos["_tables"]:
        own = [name] if grouped else []
        for i, k in enumerate(t["interval"]):
            day = int(k * interval_s // 86400.0)
            gap_rows.append([*own, int(k), day, *([_date(first, day)] if first else []), _weekday(day, start_weekday),
                             clock(k * interval_s), float(t["scheduled"][i]), float(t["required"][i]),
                             float(t["gap"][i])])
        week = by_week_slot(t, interval_s, start_weekday)
        per_week = len(week["weeks"])
        week_rows += [[*own, _weekday(i * 7 // per_week, 0), clock(i * interval_s), week["scheduled"][i],
                       week["required"][i], week["gap"][i], int(week["weeks"][i])]
                      for i in range(per_week) if week["weeks"][i] > 0]
    fail_rows = [[*([f["group"]] if grouped else []), f["interval"], f["day"], *([f["date"]] if dated else []),
                  f["weekday"], f["time"], f["kpi"], f["value"], f["target"], f["scheduled"], f["required"]]
                 for f in pos["_failing"]]
    return {"staffing_gap.csv": ([*lead, "interval", "day", *dated, "weekday", "time_of_day", "scheduled_operators",
                                  "required_operators", "gap_operators"], gap_rows),
            "staffing_gap_week.csv": ([*lead, "weekday", "time_of_day", "scheduled_operators", "required_operators",
                                       "gap_operators", "weeks"], week_rows),
            "failing_intervals.csv": ([*lead, "interval", "day", *dated, "weekday", "time_of_day", "kpi", "value",
                                       "target", "scheduled_operators", "required_operators"], fail_rows)}


def _date(first: dt.date, day: int) -> str:
    """The ISO date of day ``day`` of a dated run starting on ``first``."""
    return (first + dt.timedelta(days=int(day))).isoformat()


def _weekday(day: int, start_weekday: int) -> str:
    from sim.analysis.staffing_gap import WEEKDAYS

    return WEEKDAYS[(start_weekday + day) % 7]


def metric_text(name: str, value: float) -> str:
    """A target's metric as text (a share in percent, a wait in seconds)."""
    return f"{value:.1f} s" if name == "asa_s" else f"{100 * value:.1f}%"


def position_lines(pos: Optional[Mapping[str, Any]], currency: str) -> List[str]:
    """The terminal's staffing position: one line per group, then the failing intervals by target."""
    if not pos:
        return []
    if "why" in pos:
        return [f"Staffing position: none ({pos['why']})"]
    lines = [f"Staffing position against the erlang requirement (staffing.offered_load={pos['offered_load']}, "
             f"targets {', '.join(f'{k} {metric_text(k, v)}' for k, v in pos['targets'].items()) or 'none'}):"]
    for g in [*pos["groups"], *([pos["total"]] if len(pos["groups"]) > 1 and "total" in pos else [])]:
        pct = "" if g["gap_pct"] is None else f" ({g['gap_pct']:+.1f}%)"
        each = g.get("scheduled_h_by_group") or {}
        shared = " (groups sharing calls, one requirement)" if each else ""
        split = f" ({', '.join(f'{m} {format_hours(h)}' for m, h in each.items())})" if each else ""
        lines.append(f"  {g['group']}{shared}: {format_hours(g['scheduled_h'])} operator-hours scheduled{split}, "
                     f"{format_hours(g['required_h'])} required: gap {format_hours(g['gap_h'], True)} h{pct}, "
                     f"{format_hours(g['gap_cost'], True)} {currency} at {pos['cost_per_h']:g} {currency} an hour" + (
                         f"; short in {g['intervals_under']} intervals, over in {g['intervals_over']}"
                         if "intervals_under" in g else ""))
    lines.append(f"  {failing_line(pos['failing'])}")
    return lines


def failing_line(f: Mapping[str, Any]) -> str:
    """The intervals missing a target, with the count per target and per group: each an interval counted once
    however many targets (and groups) miss in it, so that no part exceeds the whole."""
    by = ", ".join(f"{k} {n}" for k, n in f["by_target"].items())
    per = ", ".join(f"{g} {n}" for g, n in (f.get("by_group") or {}).items())
    of = f" of {f['with_calls']} with calls" if "with_calls" in f else ""
    return (f"intervals missing a target: {f['intervals']}{of} (by target: {by or 'none set'}"
            f"{f'; by group: {per}' if per else ''}; listed in failing_intervals.csv)")
