"""The back office's staffing outputs: the case workers columns of ``units.csv``, ``summary.json`` -> ``unit_staffing``
and the page's section "Case workers required and scheduled".

Written from the :class:`~sim.planning.units_plan.UnitPlan` of the run and the run's records (never
simulating).  Case workers are counted *before scale*, like the scenario's ``units``;
``scheduled`` is the scenario's own staffing and ``required`` the policy's proposal, which the run
simulated.  A unit meets a target on its mean when its rate in ``units.csv`` (the mean over the replications in
which it had orders) is at least the target (``*_target_met``); its verdict (``*_verdict``) follows the rule of
every target of the run (:func:`sim.report.targets.judge`): missed only when the whole confidence interval
misses the target, not clear when it contains it - a unit's few orders make its rate noisy, and a mean just
below the target is no evidence that the unit needs more case workers.  The page marks the verdicts; units
without orders are left out of the shares.
Case-worker hours are case workers times the hours of the unit's calendar in the measurement window.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Dict, List, Optional

import numpy as np

from sim.experiments.runner import ExperimentResult
from sim.planning.units_calendar import OpenPeriods
from sim.planning.units_erlang import TARGETS
from sim.planning.units_plan import UnitPlan
from sim.report.pages import Section, Table
from sim.report.rundata import RunData
from sim.report.targets import WORDS, judge
from sim.report.text import format_value

#: Columns ``units.csv`` gains with a unit plan.
PLAN_COLUMNS = ("scheduled_case_workers", "required_case_workers", "erlang_case_workers",
                "predicted_response_rate", "predicted_closeout_on_time_rate", "response_target_met",
                "closeout_target_met", "response_verdict", "closeout_verdict")
#: Units named per list of ``summary.json`` (the rest are in ``units.csv``).
NAMED = 20
#: A unit's verdict against a target, as ``units.csv`` writes it (``*_verdict``), by status of
#: :func:`sim.report.targets.judge`, in the pages' words; and back, for the page's colours.
VERDICT_WORDS = {s: w for s, w in WORDS.items() if s != "none"}
VERDICT_STATUS = {w: s for s, w in VERDICT_WORDS.items()}


def plan_cells(plan: UnitPlan, i: int, rates: Dict[str, Dict[str, Optional[float]]]) -> List[Any]:
    """The :data:`PLAN_COLUMNS` cells of unit ``i``, whose rates in ``units.csv`` are ``rates`` (per target its
    ``{"mean", "ci_low", "ci_high"}``)."""
    proposed = plan.required is not None
    pred = plan.predicted[i] if plan.predicted is not None else {}
    seen = {k: proposed and rates[k]["mean"] is not None for k in TARGETS}
    met = [bool(rates[k]["mean"] >= plan.notes["targets"][k]) if seen[k] else None for k in TARGETS]
    verdicts = [VERDICT_WORDS[judge(k, rates[k], plan.notes["targets"][k]).status] if seen[k] else None
                for k in TARGETS]
    return [float(plan.scheduled[i]), int(plan.required[i]) if proposed else None,  # type: ignore[index]
            int(plan.erlang[i]) if plan.erlang is not None else None,
            pred.get("response_rate"), pred.get("closeout_on_time_rate"), *met, *verdicts]


def _hours(exp: ExperimentResult, plan: UnitPlan) -> np.ndarray:
    """Open hours of each unit's calendar in the measurement window."""
    cfg = exp.cfg
    e = cfg.experiment
    from sim.core.calendar import WorkCalendar

    out = np.zeros(len(plan.names))
    cache: Dict[str, float] = {}
    for i, t in enumerate(plan.types):
        cal = cfg.units[t].calendar
        if cal not in cache:
            c = cfg.calendars[cal]
            cache[cal] = OpenPeriods(WorkCalendar(c.days, c.start_h, c.end_h, e.start_weekday)).open_hours(
                e.warmup_h * 3600.0, e.horizon_h * 3600.0)
        out[i] = cache[cal]
    return out


def unit_staffing_summary(exp: ExperimentResult, plan: UnitPlan,
                          units: tuple[List[str], List[List[Any]]]) -> Dict[str, Any]:
    """``summary.json`` -> ``unit_staffing``: the proposal per unit type against the scenario's, the units meeting
    each target in this run, and (``optimize``) the erlang proposal's error; ``units`` is ``units.csv`` with the
    plan's columns (:func:`sim.report.tables.units_table`)."""
    header, rows = units
    col = {h: i for i, h in enumerate(header)}
    hours = _hours(exp, plan)
    required = plan.required if plan.required is not None else plan.scheduled
    orders = np.array([float(r[col["orders_received_mean"]]) for r in rows])
    by_type: Dict[str, Dict[str, Any]] = {}
    for t in dict.fromkeys(plan.types):
        idx = np.array([i for i, x in enumerate(plan.types) if x == t])
        s, r = plan.scheduled[idx], required[idx].astype(float)
        by_type[t] = {"units": int(idx.size), "units_with_orders": int(np.sum(orders[idx] > 0)),
                      "scheduled_case_workers": float(s.sum()), "required_case_workers": float(r.sum()),
                      "scheduled_case_worker_hours": float(np.dot(s, hours[idx])),
                      "required_case_worker_hours": float(np.dot(r, hours[idx])),
                      "units_needing_more": int(np.sum(r > s + 1e-9)),
                      "case_workers_missing": float(np.sum(np.maximum(r - s, 0.0))),
                      "units_with_slack": int(np.sum(r < s - 1e-9)),
                      "case_workers_slack": float(np.sum(np.maximum(s - r, 0.0)))}
    total = {k: sum(v[k] for v in by_type.values()) for k in next(iter(by_type.values()))}
    out: Dict[str, Any] = {**{k: v for k, v in plan.notes.items() if k != "optimize"},
                           "counts": "case workers before scale (the scenario's units); hours in the window",
                           "scale": exp.cfg.scale, "by_type": by_type, "total": total,
                           "units_meeting": _meeting(plan, col, rows)}
    if plan.erlang is not None and plan.required is not None:
        out["erlang_error"] = _erlang_error(plan)
    if "optimize" in plan.notes:
        out["optimize"] = plan.notes["optimize"]
    return out


def _meeting(plan: UnitPlan, col: Dict[str, int], rows: List[List[Any]]) -> Dict[str, Any]:
    """Shares of the units with orders whose rate in this run meets each target, and the units missing."""
    out: Dict[str, Any] = {}
    with_orders = [r for r in rows if r[col["response_rate"]] is not None or r[col["closeout_on_time_rate"]]
                   is not None]
    both = np.ones(len(with_orders), dtype=bool)
    for k in TARGETS:
        target = plan.notes["targets"][k]
        ok = np.array([r[col[k]] is not None and r[col[k]] >= target for r in with_orders], dtype=bool)
        both &= ok
        out[k] = float(ok.mean()) if ok.size else None
        out[f"missing_{k}"] = [r[col["unit"]] for r, good in zip(with_orders, ok) if not good][:NAMED]
        verdict = [r[col[f"{k.split('_')[0]}_verdict"]] for r in with_orders]
        out[f"verdicts_{k}"] = {w: verdict.count(w) for w in VERDICT_WORDS.values()}
        out[f"missed_{k}"] = [r[col["unit"]] for r, v in zip(with_orders, verdict) if v == "missed"][:NAMED]
    out["both"] = float(both.mean()) if both.size else None
    out["units_with_orders"] = len(with_orders)
    return out


def units_yaml(plan: UnitPlan, scenario: str, scale: float) -> str:
    """``units.yaml``: the proposal as a ``units:`` section ready to paste into a scenario (or a file that
    ``extends:`` it): per unit type the most common proposal as ``case_workers``, ``staff_by_weight: false``
    and every other unit's proposal by name in ``case_workers_by_unit``.

    A file that extends the scenario merges its mappings, so a unit the scenario gives an exception of its own
    keeps it unless listed: the common value is chosen among the values none of those units is proposed (an
    exception equal to ``case_workers`` is refused as changing nothing), so that each of them is listed.  Run with
    ``unit_staffing.policy=plan`` at the same scale, the back office has exactly the case workers the run
    simulated.
    """
    assert plan.required is not None
    targets = plan.notes["targets"]
    at = (f"Proposed for the demand of a run at scale={scale:g}: at scale 1 these counts are {1 / scale:g} x that\n"
          f"# centre's, not the full-size centre's requirement (run unit_staffing.policy={plan.policy} at scale=1 "
          f"for that).") if scale != 1 else "Proposed at scale 1."
    lines = [f"# Case workers per unit proposed by unit_staffing.policy={plan.policy} for scenario {scenario}, before "
             f"scale like a scenario's units,",
             f"# for a response rate of {targets['response_rate']:g} and a close-out on-time rate of "
             f"{targets['closeout_on_time_rate']:g} per unit. Paste into the scenario, or a file",
             "# that extends it, and run with unit_staffing.policy=plan to run the proposal back. " + at, "units:"]
    for t in dict.fromkeys(plan.types):
        idx = [i for i, x in enumerate(plan.types) if x == t]
        req = [int(plan.required[i]) for i in idx]
        sched = [float(plan.scheduled[i]) for i in idx]
        usual = Counter(sched).most_common(1)[0][0]
        own = {r for r, s in zip(req, sched) if s != usual}  # proposals of units the scenario may name itself
        free = [v for v, _ in Counter(req).most_common() if v not in own]
        base = free[0] if free else max(req) + 1
        named = ", ".join(f"{plan.names[i]}: {r}" for i, r in zip(idx, req) if r != base)
        lines += [f"  {t}:", f"    case_workers: {base}", "    staff_by_weight: false",
                  f"    case_workers_by_unit: {{{named}}}"]
    return "\n".join(lines) + "\n"


def _erlang_error(plan: UnitPlan) -> Dict[str, Any]:
    """How far the erlang proposal is from the optimised one, in total and per unit."""
    assert plan.erlang is not None and plan.required is not None
    diff = plan.erlang.astype(float) - plan.required.astype(float)
    active = (plan.erlang > 0) | (plan.required > 0)
    order = np.argsort(-np.abs(diff))
    floor = set(plan.notes.get("optimize", {}).get("at_floor", []))
    decided = active & np.array([n not in floor for n in plan.names])
    return {"erlang_case_workers": float(plan.erlang.sum()), "optimize_case_workers": float(plan.required.sum()),
            "difference": float(diff.sum()),
            "units_at_floor": len(floor), "units_decided_by_simulation": int(decided.sum()),
            "difference_where_decided_by_simulation": float(diff[decided].sum()),
            "mean_absolute_difference_where_decided": float(np.abs(diff[decided]).mean()) if decided.any() else 0.0,
            "relative_difference": float(diff.sum() / plan.required.sum()) if plan.required.sum() > 0 else None,
            "units_erlang_fewer": int(np.sum(diff < 0)), "units_erlang_more": int(np.sum(diff > 0)),
            "units_equal": int(np.sum((diff == 0) & active)),
            "mean_absolute_difference": float(np.abs(diff[active]).mean()) if active.any() else 0.0,
            "largest": [{"unit": plan.names[i], "erlang": int(plan.erlang[i]), "optimize": int(plan.required[i])}
                        for i in order[:5] if diff[i] != 0]}


def _cell(value: Any, cls: str = "num") -> Dict[str, Any]:
    return {"text": value, "cls": cls}


def extremes_table(rd: RunData, count: int = 10) -> Optional[Table]:
    """The units needing the most case workers more than the scenario's, and those with the most slack."""
    if rd.units is None or "required_case_workers" not in rd.units[0]:
        return None
    header, rows = rd.units
    col = {h: i for i, h in enumerate(header)}
    cand = [r for r in rows if r[col["required_case_workers"]] is not None]
    if not cand:
        return None
    gap = {id(r): r[col["required_case_workers"]] - r[col["scheduled_case_workers"]] for r in cand}
    busiest = col["orders_received_mean"]  # ties (many units of a type share a gap): the busiest first
    more = sorted((r for r in cand if gap[id(r)] > 1e-9), key=lambda r: (-gap[id(r)], -r[busiest]))[:count]
    slack = sorted((r for r in cand if gap[id(r)] < -1e-9), key=lambda r: (gap[id(r)], -r[busiest]))[:count]
    out = []
    for label, group in (("needs more", more), ("slack", slack)):
        for r in group:
            rates = [format_value(k, r[col[k]]) if r[col[k]] is not None else "n/a" for k in TARGETS]
            met = [VERDICT_STATUS.get(r[col[f"{k.split('_')[0]}_verdict"]] or "", "") for k in TARGETS]
            out.append([label, r[col["unit"]], r[col["unit_type"]], _cell(f"{r[col['orders_received_mean']]:,.0f}"),
                        _cell(f"{r[col['scheduled_case_workers']]:,.1f}"),
                        _cell(f"{r[col['required_case_workers']]:,d}"),
                        _cell(_signed(f"{gap[id(r)]:+,.1f}")),
                        *[{"text": v, "cls": f"num {m}"} for v, m in zip(rates, met)]])
    if not out:
        return None
    return Table("Units needing more case workers, and units with slack",
                 ["", "unit", "type", "orders received", "scheduled (scenario)", "required", "difference",
                  "response rate", "close-out on time"], out,
                 note=f"Up to {count} units with the largest shortfall and {count} with the most slack; case workers "
                      f"before scale; the rates are this run's, under the proposal, coloured by their verdict "
                      f"against the target (green: met, red: missed - the whole confidence interval on one side; "
                      f"amber: not clear, the interval contains the target). Every unit: units.csv.")


def hours_table(rd: RunData) -> Optional[Table]:
    """Case workers and case-worker hours per unit type: the proposal against the scenario's."""
    summ = rd.summary.get("unit_staffing")
    if not summ or summ.get("policy") == "plan":
        return None
    rows = []
    for t, v in [*summ["by_type"].items(), ("all units", summ["total"])]:
        s, r = v["scheduled_case_worker_hours"], v["required_case_worker_hours"]
        rows.append([t, _cell(f"{v['units']:,} ({v['units_with_orders']:,})"),
                     _cell(f"{v['scheduled_case_workers']:,.0f} → {v['required_case_workers']:,.0f}"),
                     _cell(f"{s:,.0f} → {r:,.0f}"), _cell(_signed(f"{(r - s) / s:+.1%}") if s > 0 else "n/a"),
                     _cell(_count_and_workers(v["units_needing_more"], v["case_workers_missing"])),
                     _cell(_count_and_workers(v["units_with_slack"], -v["case_workers_slack"]))])
    return Table("Case workers and case-worker hours per unit type, scenario → proposal", [
        "unit type", "units (with orders)", "case workers", "case-worker hours", "change",
        "units needing more (workers)", "units with slack (workers)"], rows,
        note="Before scale. Hours: case workers times the hours their calendar is at work in the measurement "
             "window. A unit that receives no work orders in the scenario is proposed none: it counts among the "
             "units with slack, which the figure, drawing the units with orders, leaves out.")


def section(rd: RunData) -> Optional[Section]:
    """The page's section "Case workers required and scheduled" (None unless a policy proposed case workers)."""
    summ = rd.summary.get("unit_staffing")
    if not summ or summ.get("policy") == "plan":
        return None
    from sim.report.figures.units_staffing import required_vs_scheduled

    meeting = summ["units_meeting"]
    t = summ["targets"]
    intro = (f"unit_staffing.policy={summ['policy']}: the fewest case workers per unit meeting a response rate of "
             f"{t['response_rate']:.0%} and a close-out on-time rate of {t['closeout_on_time_rate']:.0%}; this run "
             f"simulated the proposal. Of the {meeting['units_with_orders']} units with orders, "
             f"{_share(meeting['response_rate'])} met the response target and "
             f"{_share(meeting['closeout_on_time_rate'])} the close-out target in this run, on their means; "
             + _verdict_words(meeting) + " units.yaml holds the proposal ready to paste into the scenario, to run "
             "it back with unit_staffing.policy=plan.")
    err = summ.get("erlang_error")
    if err:
        intro += " " + _erlang_words(err, summ.get("optimize", {}))
    fig = required_vs_scheduled(rd)
    tables = [tb for tb in (hours_table(rd), extremes_table(rd)) if tb is not None]
    return Section("unit_staffing", "Case workers required and scheduled", intro=intro,
                   figures=[fig] if fig else [], tables=tables)


def _erlang_words(err: Dict[str, Any], opt: Dict[str, Any]) -> str:
    """The sentences on the erlang proposal's error against the optimised one."""
    words = (f"The erlang approximation asked for {err['erlang_case_workers']:,.0f} case workers against the "
             f"optimised {err['optimize_case_workers']:,.0f} ({err['units_erlang_fewer']} units fewer, "
             f"{err['units_erlang_more']} more, {err['units_equal']} the same).")
    if err["units_at_floor"]:
        words += (f" {err['units_at_floor']} units keep the fewest case workers whose steady state the simulation "
                  f"can measure (their queue settles within a third of its {opt.get('warmup_h', 0):g} h warm-up; more "
                  f"unit_staffing.optimize.warmup_weeks lower it).")
    if err["units_decided_by_simulation"]:
        words += (f" Where the simulation decided ({err['units_decided_by_simulation']} units), erlang differs by "
                  f"{err['mean_absolute_difference_where_decided']:.2f} case workers on average.")
    if opt.get("saturated"):
        words += (f" {len(opt['saturated'])} units missed a target that more case workers did not cure on the "
                  f"optimisation's replications (summary.json names them).")
    return words


def _verdict_words(meeting: Dict[str, Any]) -> str:
    """How many units missed each target beyond doubt, and how many are not clear (their interval contains it)."""
    counts = [meeting.get(f"verdicts_{k}") or {} for k in TARGETS]
    missed = [c.get("missed", 0) for c in counts]
    unclear = [c.get("not clear", 0) + c.get("no interval", 0) for c in counts]
    return (f"{missed[0]:,} and {missed[1]:,} units missed them beyond doubt (the whole confidence interval below "
            f"the target: the proposal is short there), and {unclear[0]:,} and {unclear[1]:,} are not clear (the "
            f"interval contains the target, or one replication gives none: a unit's few orders make its rate noisy; "
            f"more replications would tell).")


def _count_and_workers(units: int, workers: float) -> str:
    """"3 (+78)": units and the case workers they need more (or, negative, have in slack); "0" for none."""
    return f"{units:,} ({_signed(f'{workers:+,.0f}')})" if units else "0"


def _signed(text: str) -> str:
    """A signed number with the typographic minus, as the slack column writes it."""
    return text.replace("-", "\u2212")


def _share(x: Optional[float]) -> str:
    return "n/a" if x is None else f"{x:.0%}"
