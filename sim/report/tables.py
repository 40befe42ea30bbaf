"""Tables of the work-order pipeline: per unit, per day, and the request log.

Written next to the front-line files when the scenario has units:

* ``units.csv`` - one row per unit: type, capacity, and for each of the three
  rates (and close-out on time) its mean and confidence interval across
  replications and the number of replications in which it is defined (the mean
  is over those; the interval only when it is all of them), with the mean counts
  behind them; with a unit plan, the case workers scheduled and required and the
  targets met (:mod:`sim.report.units_staffing`);
* ``daily.csv`` - one row per replication and simulated day (drain days
  included): contacts offered, work orders created, close-outs, ratings, and the
  backlog (queued and in progress) of each unit type at the end of the day;
* ``requests.csv`` - the request log (``report.request_log=true``), and ``calls.csv`` - its call
  attempts in the ``generic`` call-log format of ``python -m sim.calibrate``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np

from sim.analysis.kpis import confidence_interval
from sim.analysis.kpis_backoffice import UNIT_RATES, unit_rows
from sim.experiments.runner import ExperimentResult
from sim.records.intervals import ReplicationResult, RequestLogRecords

UNIT_COUNTS = ("orders_received", "rated", "bounced", "reopened")


def units_table(exp: ExperimentResult, plan: Optional[Any] = None) -> tuple[List[str], List[List[Any]]]:
    """Header and rows of ``units.csv``; with the run's :class:`~sim.planning.units_plan.UnitPlan`, its case
    workers and the targets met (:data:`sim.report.units_staffing.PLAN_COLUMNS`)."""
    records = [r.backoffice for r in exp.replications if r.backoffice is not None]
    meta = records[0].meta
    per_rep = [unit_rows(bo) for bo in records]
    conf = exp.cfg.experiment.confidence
    header = ["unit", "unit_type", "capacity"]
    for k in UNIT_RATES:  # response_replications: how many replications the mean (and interval) cover
        header += [k, f"{k}_ci_low", f"{k}_ci_high", f"{k.removesuffix('_rate')}_replications"]
    header += [f"{k}_mean" for k in UNIT_COUNTS]
    if plan is not None:
        from sim.report.units_staffing import PLAN_COLUMNS

        header += list(PLAN_COLUMNS)
    rows = []
    for i, name in enumerate(meta.unit_names):
        row: List[Any] = [name, meta.type_names[meta.type_of[i]], meta.capacity[i]]
        for k in UNIT_RATES:
            vals = [rep[i][k] for rep in per_rep]
            finite = [v for v in vals if not np.isnan(v)]
            ci = confidence_interval(finite, conf, k) if len(finite) == len(vals) else {
                "mean": float(np.mean(finite)) if finite else None, "ci_low": None, "ci_high": None}
            row += [ci["mean"], ci["ci_low"], ci["ci_high"], len(finite)]
        row += [float(np.mean([rep[i][k] for rep in per_rep])) for k in UNIT_COUNTS]
        if plan is not None:
            from sim.report.units_staffing import plan_cells

            row += plan_cells(plan, i, {k: {"mean": row[header.index(k)], "ci_low": row[header.index(f"{k}_ci_low")],
                                            "ci_high": row[header.index(f"{k}_ci_high")]} for k in UNIT_RATES})
        rows.append(row)
    return header, rows


def daily_table(exp: ExperimentResult) -> tuple[List[str], List[List[Any]]]:
    """Header and rows of ``daily.csv``."""
    first = exp.replications[0].backoffice
    assert first is not None  # daily.csv is written for a scenario with units
    types = list(first.backlog)
    header = ["replication", "day", "contacts_offered", "work_orders_created", "closeouts", "ratings",
              *[f"backlog_{t}" for t in types], *[f"queued_{t}" for t in types]]
    rows = []
    for res in exp.replications:
        bo = res.backoffice
        assert bo is not None
        per_day = int(round(86400.0 / res.interval_s))
        offered = res.intervals["calls_offered"] + res.intervals["online_offered"]
        n_days = len(bo.daily["work_orders_created"])
        for d in range(n_days):
            rows.append([res.replication, d, float(offered[d * per_day:(d + 1) * per_day].sum()),
                         *[bo.daily[k][d] for k in ("work_orders_created", "closeouts", "ratings")],
                         *[bo.backlog[t][d] for t in types], *[bo.queued[t][d] for t in types]])
    return header, rows


def breakdowns(summary_kpis: Dict[str, Dict[str, Any]]) -> Dict[str, Dict[str, Dict[str, Any]]]:
    """Split dotted KPI names (``rate.group``) into ``{rate: {group: ci}}``."""
    out: Dict[str, Dict[str, Dict[str, Any]]] = {}
    for name, ci in summary_kpis.items():
        if "." in name:
            kpi, group = name.split(".", 1)
            out.setdefault(kpi, {})[group] = ci
    return out


def write_request_log_file(exp: ExperimentResult, path: Path) -> int:
    """Write ``requests.csv`` from every replication's log; return the number of rows."""
    from sim.model.requestlog import write_request_log

    bo = exp.replications[0].backoffice
    cats = list(exp.cfg.categories)
    names = bo.meta.unit_names if bo is not None else []
    types = [bo.meta.type_names[t] for t in bo.meta.type_of] if bo is not None else []
    logs = [(r.replication, _log(r).contacts) for r in exp.replications]
    return write_request_log(path, logs, cats, names, types, _start(exp))


def write_call_log_file(exp: ExperimentResult, path: Path) -> int:
    """Write ``calls.csv`` (one row per call attempt, the ``generic`` call-log format); return the rows."""
    from sim.model.requestlog import write_call_log

    logs = [(r.replication, _log(r).contacts, _log(r).abandoned_attempts) for r in exp.replications]
    return write_call_log(path, logs, list(exp.cfg.categories), _start(exp))


def _start(exp: ExperimentResult) -> "int | dt.date":
    """Time 0 of the logs: the first date of a dated scenario, else the start weekday (nominal calendar)."""
    from sim.model.derive import start_date

    first = start_date(exp.cfg)
    return first if first is not None else int(exp.cfg.experiment.start_weekday)


def _log(res: ReplicationResult) -> RequestLogRecords:
    """The request log of a replication run with ``report.request_log`` (the only runs that write the logs)."""
    assert res.request_log is not None, f"replication {res.replication} kept no request log"
    return res.request_log
