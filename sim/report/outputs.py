"""Outputs of a run: files, the printed KPI table, figures and an HTML page.

Reports never simulate: everything here is computed from an
:class:`~sim.experiments.runner.ExperimentResult`.  A run folder holds

* ``summary.json`` - the headline: each KPI as ``{"mean", "ci_low", "ci_high"}``
  under ``kpis``, the accounting table and run metadata (schema in
  ``docs/outputs.md``);
* ``kpis.csv`` - one row per replication, one column per KPI;
* ``intervals.csv`` - one row per replication and reporting interval;
* ``accounting.csv`` - contacts by terminal / open state per replication;
* ``config.yaml`` - the resolved configuration;
* with units: ``units.csv`` and ``daily.csv``; with ``report.request_log``:
  ``requests.csv`` (see :mod:`sim.report.tables`);
* ``report.md`` and, unless disabled, ``report.html`` (self-contained) and the
  figures as ``figures/<name>.png`` (:mod:`sim.report.run_page`).
* ``staffing.csv`` (and for a shift schedule ``shifts.yaml`` and ``schedule.csv``), from the
  staffing plan the run simulated (:mod:`sim.report.staffing`); the case workers per unit in
  ``units.csv`` and ``summary.json`` -> ``unit_staffing`` (:mod:`sim.report.units_staffing`).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import time
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

import numpy as np

from sim.analysis.kpis import KPI_NAMES, accounting, interval_kpis
from sim.experiments.runner import ExperimentResult
from sim.model.derive import start_date

SCHEMA = "hotline-sim/summary/v1"
INTERVAL_KPIS = ("calls_offered", "retrials", "calls_answered", "calls_abandoned", "service_level",
                 "answer_rate", "asa_s", "mean_wait_s", "abandon_rate", "occupancy", "online_offered",
                 "online_on_time_rate", "mean_operators", "mean_calls_waiting")


def accounting_table(exp: ExperimentResult) -> Dict[str, Any]:
    """Contacts by state in the measurement window: per replication, mean, and the check against offered."""
    per_rep = [accounting(r) for r in exp.replications]
    states = list(per_rep[0]) if per_rep else []
    offered = [int(round(k["contacts_offered"])) for k in exp.per_replication]
    totals = [sum(a.values()) for a in per_rep]
    return {
        "states": {s: {"mean": float(np.mean([a[s] for a in per_rep])), "per_replication": [a[s] for a in per_rep]}
                   for s in states},
        "total_per_replication": totals,
        "contacts_offered_per_replication": offered,
        "balanced": totals == offered,
    }


#: Call attempts after the horizon (redials during the drain), reported apart from every KPI.
AFTER_HORIZON_COUNTS = ("retrials", "calls_answered", "calls_abandoned")


def after_horizon_table(exp: ExperimentResult) -> Dict[str, Any]:
    """Call attempts made after the horizon (redials during the drain): mean and per replication.

    They belong to no reporting interval, so no front-line KPI counts them; the
    contacts they belong to are counted in the accounting by their first attempt.
    """
    per_rep = [r.after_horizon for r in exp.replications]
    return {k: {"mean": float(np.mean([a.get(k, 0.0) for a in per_rep])) if per_rep else None,
                "per_replication": [int(round(a.get(k, 0.0))) for a in per_rep]}
            for k in AFTER_HORIZON_COUNTS}


def summary_dict(exp: ExperimentResult, extra: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """The content of ``summary.json``."""
    from sim.config.kpi_catalog import all_definitions
    from sim.report.caveats import open_at_end
    from sim.report.tables import breakdowns

    cfg = exp.cfg
    defs = all_definitions()
    headline = {k: v for k, v in exp.summary.items() if "." not in k}
    out: Dict[str, Any] = {
        "schema": SCHEMA,
        "scenario": cfg.scenario,
        "description": cfg.description,
        "scale": cfg.scale,
        "seed": cfg.experiment.seed,
        "replications": len(exp.replications),
        "horizon_h": cfg.experiment.horizon_h,
        "warmup_h": cfg.experiment.warmup_h,
        "drain_h": cfg.experiment.drain_h,
        "confidence": cfg.experiment.confidence,
        "kpis": headline,
        "breakdowns": breakdowns(exp.summary),
        "accounting": accounting_table(exp),
        "after_horizon": after_horizon_table(exp),
        "open_at_end": open_at_end(exp),
        "kpi_definitions": {k: defs[k] for k in headline if k in defs},
    }
    groups = exp.replications[0].groups if exp.replications else None
    if groups is not None:  # routing.groups: each group's service level, abandonment, ASA and occupancy
        from sim.analysis.kpis_routing import group_summary

        out["groups"] = group_summary(exp.summary, list(groups.names))
    out.update(exp.notes)
    if extra:
        out.update(extra)
    return out


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Write a CSV file, each number rounded to the precision of its column's unit
    (:func:`sim.report.numbers.csv_text`; ``summary.json`` keeps the exact values)."""
    from sim.report.numbers import csv_text

    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for row in rows:
            w.writerow([csv_text(x, h) for x, h in zip(row, header)])


def interval_rows(exp: ExperimentResult) -> tuple[List[str], List[List[Any]]]:
    """Header and rows of ``intervals.csv`` (with a ``date`` column after ``day`` for a dated scenario)."""
    first = start_date(exp.cfg)
    header = ["replication", "interval", "start_h", "day", *(["date"] if first else []), "time_of_day", "in_window",
              *INTERVAL_KPIS, "scheduled_operators"]
    rows: List[List[Any]] = []
    for res in exp.replications:
        k = interval_kpis(res)
        n = len(res.intervals["calls_offered"])
        for i in range(n):
            start_s = i * res.interval_s
            tod = int(start_s % 86400)
            day = int(start_s // 86400)
            rows.append([res.replication, i, start_s / 3600.0, day,
                         *([(first + dt.timedelta(days=day)).isoformat()] if first else []),
                         f"{tod // 3600:02d}:{tod % 3600 // 60:02d}", int(i >= res.warmup_intervals),
                         *[k[name][i] for name in INTERVAL_KPIS], res.intervals["scheduled_operators"][i]])
    return header, rows


def write_outputs(exp: ExperimentResult, out_dir: Path, config_yaml: str,
                  extra: Optional[Mapping[str, Any]] = None, staffing: Optional[Any] = None,
                  unit_plan: Optional[Any] = None, timings: Optional[Dict[str, float]] = None) -> Dict[str, Any]:
    """Write every output file of a run into ``out_dir`` and return the summary dictionary.

    The data files first, then the figures and pages (:func:`sim.report.run_page.write_report`), then
    ``summary.json``.  ``out_dir`` is the report folder's temporary folder: the caller renames it into
    place and then refreshes the reports' index (:mod:`sim.report.folders`,
    :func:`sim.report.index.refresh_index_for`), so a failure here leaves no report.  ``staffing`` is the
    :class:`~sim.planning.plan.StaffingPlan` the run simulated: its files (``staffing.csv``,
    ``shifts.yaml``, ``schedule.csv``: :mod:`sim.report.staffing`) and ``summary.json`` -> ``staffing``;
    ``unit_plan`` the :class:`~sim.planning.units_plan.UnitPlan`: its columns of ``units.csv`` and, for a policy
    that proposed case workers, ``summary.json`` -> ``unit_staffing`` (:mod:`sim.report.units_staffing`).
    ``timings``, when given, receives the wall-clock seconds of the parts that can take long
    (:data:`sim.report.timing.PARTS`; the workbook is written with the figures and pages, while a child process
    draws the figures where it can).
    """
    from sim.report.caveats import judged_all, run_caveats
    from sim.report.targets import as_json

    clocked = timings if timings is not None else {}
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = summary_dict(exp, extra)
    summary["targets"] = as_json(judged_all(summary["kpis"], exp.cfg.kpi.targets, summary["open_at_end"]))
    names = [k for k in KPI_NAMES if k in exp.per_replication[0]] + \
        [k for k in exp.per_replication[0] if k not in KPI_NAMES]  # headline first, then breakdowns
    write_csv(out_dir / "kpis.csv", ["replication", *names],
              [[r.replication, *[kp[n] for n in names]] for r, kp in zip(exp.replications, exp.per_replication)])
    header, rows = interval_rows(exp)
    write_csv(out_dir / "intervals.csv", header, rows)
    acc = summary["accounting"]
    states = list(acc["states"])
    write_csv(out_dir / "accounting.csv", ["replication", *states, "total", "contacts_offered"],
              [[r.replication, *[acc["states"][s]["per_replication"][i] for s in states],
                acc["total_per_replication"][i], acc["contacts_offered_per_replication"][i]]
               for i, r in enumerate(exp.replications)])
    (out_dir / "config.yaml").write_text(config_yaml, encoding="utf-8")
    files = ["summary.json", "kpis.csv", "intervals.csv", "accounting.csv", "config.yaml"]
    units = None
    if exp.replications[0].backoffice is not None:
        from sim.report.tables import daily_table, units_table

        units = units_table(exp, unit_plan)
        write_csv(out_dir / "units.csv", *units)
        if unit_plan is not None and unit_plan.policy != "plan":
            from sim.report.units_staffing import unit_staffing_summary, units_yaml

            summary["unit_staffing"] = unit_staffing_summary(exp, unit_plan, units)
            (out_dir / "units.yaml").write_text(units_yaml(unit_plan, exp.cfg.scenario, exp.cfg.scale),
                                                encoding="utf-8")
            files.append("units.yaml")
        write_csv(out_dir / "daily.csv", *daily_table(exp))
        files += ["units.csv", "daily.csv"]
    if exp.cfg.report.request_log:
        from sim.report.tables import write_call_log_file, write_request_log_file

        summary["request_log_rows"] = write_request_log_file(exp, out_dir / "requests.csv")
        summary["call_log_rows"] = write_call_log_file(exp, out_dir / "calls.csv")
        files += ["requests.csv", "calls.csv"]
    warmup_names, welch = write_warmup(exp, out_dir, summary)
    files += warmup_names
    from sim.report.run_page import write_report

    if staffing is not None:
        from sim.report.staffing import staffing_files, staffing_summary

        for name, content in staffing_files(exp, staffing).items():
            if isinstance(content, str):
                (out_dir / name).write_text(content, encoding="utf-8")
            else:
                write_csv(out_dir / name, *content)
            files.append(name)
        summary["staffing"] = staffing_summary(exp, staffing)
        from sim.report.position import position, position_files, public

        started = time.perf_counter()
        pos = position(exp, staffing)
        clocked["staffing position"] = time.perf_counter() - started
        res0 = exp.replications[0]
        for name, table in position_files(pos, res0.interval_s, exp.cfg.experiment.start_weekday).items():
            write_csv(out_dir / name, *table)
            files.append(name)
        summary["staffing_position"] = public(pos)
    summary["caveats"] = run_caveats(exp.cfg, summary, files)
    also = []
    if exp.cfg.report.xlsx:  # written beside the figures (on the other processor where there is one)
        from sim.report.workbook import write_run_workbook

        csv_names = list(files)

        def workbook() -> str:
            started = time.perf_counter()
            try:
                return write_run_workbook(out_dir, summary, csv_names)
            finally:
                clocked["workbook"] = time.perf_counter() - started

        also.append(workbook)
    started = time.perf_counter()
    files += write_report(exp, out_dir, summary, config_yaml, units, welch, also)
    clocked["figures, pages and workbook"] = time.perf_counter() - started
    summary["files"] = files
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    return summary


def write_warmup(exp: ExperimentResult, out_dir: Path,
                 summary: Dict[str, Any]) -> tuple[List[str], Dict[str, np.ndarray]]:
    """Write ``warmup.csv`` (Welch's method) and add MSER-5 warm-up suggestions to ``summary``; return the
    names written and Welch's table (for the warm-up figure)."""
    from sim.analysis.warmup import INTERVAL_SERIES, daily_backlog_series, mser5, suggest, welch_table

    per = [interval_kpis(r) for r in exp.replications]
    res0 = exp.replications[0]
    step_h = res0.interval_s / 3600.0
    window = max(1, int(round(2.0 / step_h)))  # a 2-hour half-window
    table = welch_table(per, INTERVAL_SERIES, window)
    n = len(res0.intervals["calls_offered"])
    header = ["interval", "start_h", *[c for name in INTERVAL_SERIES for c in (name, f"{name}_ma")]]
    rows = [[i, i * step_h, *[table[c][i] for name in INTERVAL_SERIES for c in (name, f"{name}_ma")]]
            for i in range(n)]
    write_csv(out_dir / "warmup.csv", header, rows)
    diag: Dict[str, Any] = {"method": "MSER-5 on the across-replication mean of each series; Welch "
                                      "moving averages in warmup.csv",
                            "suggested_warmup_h": suggest(table, INTERVAL_SERIES, step_h)}
    records = [r.backoffice for r in exp.replications if r.backoffice is not None]
    if records:
        backlog = daily_backlog_series([bo.backlog for bo in records])
        days = int(exp.cfg.experiment.horizon_h // 24)
        diag["suggested_warmup_h"]["open_work_orders"] = mser5(backlog[:days]) * 24.0
    summary["warmup_diagnostic"] = diag
    return ["warmup.csv"], table
