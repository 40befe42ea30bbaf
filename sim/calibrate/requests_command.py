"""The ``requests`` command's steps: fit a request log, write its scenario, back-test and report.

The scenario holds what the log identifies - volumes per channel, hourly and
weekday profiles, ``day_cv``, one category per unit type (its share of residents'
requests) whose work orders go to that unit type, and each type's time to close
as its ``resolution_h`` - and says in a comment what it does not:

* the front line (handle times, patience, operators) is not in a request log: the
  schema's default handle times and patience, and operators by square-root staffing
  for the peak hour (offered load ``a`` Erlang -> ``ceil(a + 3 sqrt(a) + 1)``);
* the split of the time to close into dispatch, response and resolution is not in
  the log: dispatch and response delays are 0 and the whole time to close is the
  resolution time;
* the units' capacity is not in the log: each type gets case slots for three
  times its mean open requests (Little's law: rate x mean time to close,
  Kaplan-Meier area) plus 20, so that capacity does not bind.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any, Dict, List, Sequence

import numpy as np

from sim.calibrate.calls_command import Result, _finite
from sim.calibrate.formats import LogFormat, load_units
from sim.calibrate.logread import read_requests
from sim.calibrate.requests import RequestCalibration, RequestOptions, calibrate_requests, requests_json
from sim.calibrate.scenario import Item, fix_shares, render
from sim.calibrate.survival import CensoredReport
from sim.calibrate.timestamps import TimeError, parse_stamp, time_rule
from sim.calibrate.windows import resolve, subset_requests
from sim.config.schema import Config
from sim.core.errors import ConfigError

URGENCY = ("emergency", "utilities", "general", "complex")
#: The scenario's horizon (days of arrivals) and drain (hours for the last orders to close) at most: a quarter
#: of arrivals and ninety days of drain; longer runs cost far more than they add to the comparison.
MAX_DAYS, MAX_DRAIN_H = 91, 2160.0
_Z90 = 1.2815515655446004


def fit(a: argparse.Namespace, fmt: LogFormat) -> RequestCalibration:
    """Read the log ``a.log`` with ``fmt`` and fit it."""
    units = load_units(a.units)
    log = read_requests(Path(a.log), fmt, a.log, time_rule(a.timezone))
    windows = resolve(a, log.info, log.created_local_s)
    a.windows = windows
    if not windows.whole:
        log = subset_requests(log, windows.fit, as_known_at_end=True)
    as_of = None
    if a.as_of:
        try:
            when = parse_stamp(a.as_of.strip())
        except ValueError:
            raise ConfigError("--as-of", a.as_of, "must be an ISO date and time, e.g. 2019-02-14T00:00:00 (with "
                                                  "its UTC offset, e.g. -05:00 or Z, where it has one)") from None
        try:
            as_of = log.info.rule.absolute(when) - log.info.day0_s
        except TimeError as exc:
            raise ConfigError("--as-of", a.as_of, str(exc)) from None
        latest = max(log.end_s.values())
        if as_of < latest:
            raise ConfigError("--as-of", a.as_of, f"is before the latest time in the log ({log.info.when(latest)})")
    try:
        return calibrate_requests(log, units, RequestOptions(as_of_s=as_of, sample_fraction=a.sample_fraction,
                                                             min_per_group=a.min_per_group))
    except ValueError as exc:
        raise ConfigError("LOG", a.log, str(exc)) from None


def _sig(v: float) -> float:
    return float(f"{v:.6g}")


def close_dist(rep: CensoredReport) -> Dict[str, Any]:
    """The chosen close-time fit as a scenario distribution (a lognormal by median and 90th percentile)."""
    c = rep.chosen
    if c.family == "lognormal":
        return {"dist": "lognormal", "median": _sig(math.exp(c.params["mu"])),
                "p90": _sig(math.exp(c.params["mu"] + _Z90 * c.params["sigma"]))}
    spec = c.spec()
    return {k: (_sig(v) if isinstance(v, float) else v) for k, v in spec.items()}


def _days(cal: RequestCalibration) -> int:
    return int(math.floor(float(np.max(cal.log.created_local_s)) / 86400.0)) + 1


def scenario_text(cal: RequestCalibration, name: str, command: str) -> str:
    """The scenario file (see the module docstring)."""
    a, info = cal.arrivals, cal.log.info
    dates = f"{info.first[:10]}..{info.last[:10]}"
    src = f"{info.path} ({dates})"
    n_res = int(cal.resident.sum())
    est = "Kaplan-Meier censoring of open requests; censored maximum likelihood, family by AIC"
    days = min(_days(cal), MAX_DAYS)
    peak = max(cal.channel_per_day[ch] * max(a.day_of_week) * max(f.hourly_profile)
               for ch, f in cal.channel_arrivals.items())
    load = peak * (180.0 + 240.0) / 2.0 / 3600.0
    operators = int(math.ceil(load + 3.0 * math.sqrt(load) + 1.0))
    cats, units = [], []
    p90s = []
    for u, share in cal.unit_shares.items():
        rep = cal.close_by_unit.get(u)
        kids = [Item("share", round(share, 9), f"{src}: {int(round(share * n_res)):,} of {n_res:,} residents' "
                                               f"requests of agencies mapped to {u}"),
                Item("direct_share", 0.0, "every service request is a work order"),
                Item("urgency", {"general": 1.0}), Item("unit_type", u)]
        if rep is not None:
            d = rep.as_dict()
            p90s.append(d["km_p90"] or d["km_last_time"])
            kids.append(Item("resolution_h", close_dist(rep),
                             f"{src}: time to close of {rep.km.n_events:,} closed and {rep.km.n_censored:,} open "
                             f"requests; {est}; KM median {_fmt(d['km_median'])} h, p90 {_fmt(d['km_p90'])} h"))
        cats.append(Item(u, children=kids))
        rate_h = share * sum(cal.channel_per_day.values()) / 24.0
        mean_h = (rep or cal.close_pooled).km.restricted_mean()
        slots = int(math.ceil(3.0 * rate_h * mean_h + 20.0))
        units.append(Item(u, children=[
            Item("count", 1), Item("case_workers", int(math.ceil(slots / 10.0)),
                                   f"not in the log: {slots} case slots, 3 x the mean open requests (Little's law) "
                                   f"+ 20, so that capacity does not bind"),
            Item("caseload", 10)]))
    fix_shares(cats)
    zero = {u: {"dist": "constant", "value": 0.0} for u in URGENCY}
    drain = min(max(p90s + [24.0]) * 2.0, MAX_DRAIN_H)
    pooled = cal.close_pooled.as_dict()
    channel_items = []
    for ch in ("phone", "online"):
        f = cal.channel_arrivals[ch]
        channel_items.append(Item(ch, children=[
            Item("per_day", round(cal.channel_per_day[ch], 4),
                 f"{src}: residents' requests per day x the {ch} share ({cal.class_counts[ch]:,} {ch} requests"
                 f"{', others shared in proportion' if cal.class_counts['other'] + cal.class_counts['unknown'] else ''}"
                 f")"
                 f"{'; divided by the sample fraction' if any('sample' in n for n in cal.notes) else ''}"),
            Item("hourly_profile", [round(v, 6) for v in f.hourly_profile],
                 f"{src}: share of each hour in its day ({len(f.hourly_profile)} weights); hours without requests "
                 f"or not covered are 0"),
            Item("day_cv", round(a.day_cv, 4), f"{src}: {a.full_days} whole days; method of moments")]))
    items = [
        Item("description", f"Calibrated from {info.path} ({info.format} format, {dates})"),
        Item("arrivals", children=[*channel_items, Item("day_of_week", [round(v, 5) for v in a.day_of_week],
                                                        f"{src}: each weekday's expected requests / per_day")]),
        Item("categories", children=cats, before=["one category per unit type (agencies mapped by the units file)"]),
        Item("calls", children=[
            Item("handle_s", {"dist": "lognormal", "mean": 180.0, "cv": 0.8}, "not in a request log: the schema's "
                                                                             "default"),
            Item("patience_s", {"dist": "exponential", "mean": 120.0}, "not in a request log: the schema's default")]),
        Item("online", children=[Item("handle_s", {"dist": "lognormal", "mean": 240.0, "cv": 0.7},
                                      "not in a request log: the schema's default")]),
        Item("staffing", children=[Item("operators", operators, f"not in the log: square-root staffing for the peak "
                                                                f"hour's {load:.3g} Erlang of operator work")]),
        Item("units", children=units),
        Item("workorders", children=[
            Item("dispatch_delay_h", zero, "not in the log: the whole time to close is resolution time"),
            Item("response_delay_h", zero, "not in the log: the whole time to close is resolution time"),
            Item("resolution_h", close_dist(cal.close_pooled),
                 f"{src}: all {pooled['n_events']:,} closed and {pooled['n_censored']:,} open requests; {est}")]),
        Item("feedback", children=[Item("mode", "operators", "return visits are not in the log; operators make "
                                                             "them when no inbound work waits")]),
        Item("experiment", children=[
            Item("horizon_h", days * 24, f"the log's {_days(cal)} days, at most {MAX_DAYS}"),
            Item("drain_h", round(drain, 1), f"twice the longest 90th percentile of time to close, at most "
                                            f"{MAX_DRAIN_H:g} h, so that the orders close"),
            Item("start_weekday", info.start_date.weekday() if info.start_date else 0),
            Item("replications", 5)]),
    ]
    header = [f"Scenario {name}: calibrated by `{command}`.",
              f"Log: {info.path}, format {info.format}: {info.rows:,} rows ({info.skipped:,} skipped as unreadable), "
              f"{n_res:,} residents' requests, from {info.first} to {info.last}.",
              "Every fitted number names its source and estimator; what a request log cannot identify (the front "
              "line,", f"dispatch and response, unit capacity) is marked 'not in the log'.  Report: "
              f"reports/calibration/{name}/calibration.html.", ""]
    return render(header, items)


def _fmt(v: Any) -> str:
    return "n/a" if v is None else f"{v:.3g}"


def backtest_requests(cal: RequestCalibration, cfg: Config) -> Dict[str, Any]:
    """Simulated requests per day and time to close per unit type (the scenario as composed, ``cfg``),
    against the log."""
    from sim.api import run

    exp = run(cfg)
    seed = cfg.experiment.seed
    days = cfg.experiment.horizon_h / 24.0
    per_rep = exp.per_replication
    out: Dict[str, Any] = {"replications": len(per_rep), "seed": seed, "unit_types": {},
                           "confidence": cfg.experiment.confidence,
                           "drain_h": cfg.experiment.drain_h, "horizon_h": cfg.experiment.horizon_h}
    sim_day = np.array([r["contacts_offered"] / days for r in per_rep])
    out["requests_per_day"] = {"observed": sum(cal.channel_per_day.values()) * np.mean(cfg.arrivals.day_of_week),
                               **_ci(sim_day, cfg.experiment.confidence, "contacts_offered")}
    drain = cfg.experiment.drain_h
    for u in cal.unit_shares:
        rep = cal.close_by_unit.get(u) or cal.close_pooled
        row: Dict[str, Any] = {}
        for q, key in ((0.5, "median"), (0.9, "p90")):
            vals = np.array([r.get(f"time_to_close_{key}_h.{u}", math.nan) for r in per_rep], dtype=float)
            obs = rep.km.quantile(q)
            row[key] = {"observed": obs, **_ci(vals, cfg.experiment.confidence, f"time_to_close_{key}_h"),
                        "beyond_drain": obs is not None and obs > drain}
            if obs is not None and obs <= drain and row[key]["simulated"] is not None:
                row[key]["error"] = row[key]["simulated"] - obs
        out["unit_types"][u] = row
    return out


def _ci(vals: np.ndarray, confidence: float, name: str) -> Dict[str, Any]:
    """Mean and ``confidence`` interval of KPI ``name`` over the replications where it is defined (their number:
    ``replications``); no interval with fewer than two (:func:`sim.analysis.kpis.confidence_interval`)."""
    from sim.analysis.kpis import confidence_interval

    v = vals[~np.isnan(vals)]
    ci = confidence_interval(v, confidence, name)
    return {"simulated": ci["mean"], "ci_low": ci["ci_low"], "ci_high": ci["ci_high"], "replications": len(v)}


def report(cal: RequestCalibration, a: argparse.Namespace, factors: Sequence[float], command: str,
           scenario_path: str, cfg: Config) -> Result:
    """Back-test (unless ``--no-backtest``), ``calibration.json`` and the page."""
    from sim.calibrate.requestreport import requests_headline, requests_page

    rj = requests_json(cal)
    rj["command"] = command
    rj["scenario"] = scenario_path
    rj["backtest"] = None if a.no_backtest else backtest_requests(cal, cfg)
    rj = _finite(rj)
    return Result(json=rj, html=requests_page(cal, rj, a.name, command, scenario_path), headline=requests_headline(rj))


__all__: List[str] = ["fit", "scenario_text", "report", "backtest_requests", "close_dist"]
