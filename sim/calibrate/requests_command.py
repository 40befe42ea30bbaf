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
import dataclasses
import math
from pathlib import Path
from typing import Any, Dict, List, Sequence

import numpy as np

from sim.calibrate.calls_command import Result, _finite
from sim.calibrate.formats import LogFormat, load_units
from sim.calibrate.logread import read_requests
from sim.calibrate.requests import RequestCalibration, RequestOptions, calibrate_requests, requests_json
from sim.calibrate.scenario import Item, fix_shares, render
from sim.calibrate.survival import CensoredReport, empirical_values
from sim.calibrate.timestamps import TimeError, parse_stamp, time_rule
from sim.calibrate.windows import resolve, subset_requests
from sim.config.schema import Config
from sim.core.errors import ConfigError
from sim.records.backoffice import N_BINS

URGENCY = ("emergency", "utilities", "general", "complex")
#: The scenario's horizon (days of arrivals) and drain (hours for the last orders to close) at most: a year of
#: arrivals (experiment.horizon_h's ceiling) holding at most MAX_REQUESTS requests, and ninety days of drain;
#: longer runs cost far more than they add to the comparison.
MAX_DAYS, MAX_REQUESTS, MAX_DRAIN_H = 366, 20_000, 2160.0
_Z90 = 1.2815515655446004


def fit(a: argparse.Namespace, fmt: LogFormat) -> RequestCalibration:
    """Read the log ``a.log`` with ``fmt`` and fit it (on the fit window, as it stood at the window's end)."""
    units = load_units(a.units)
    whole = read_requests(Path(a.log), fmt, a.log, time_rule(a.timezone))
    windows = resolve(a, whole.info, whole.created_local_s, max_holdout_days=None)
    as_of = None
    if a.as_of:
        try:
            when = parse_stamp(a.as_of.strip())
        except ValueError:
            raise ConfigError("--as-of", a.as_of, "must be an ISO date and time, e.g. 2019-02-14T00:00:00 (with "
                                                  "its UTC offset, e.g. -05:00 or Z, where it has one)") from None
        try:
            as_of = whole.info.rule.absolute(when) - whole.info.day0_s
        except TimeError as exc:
            raise ConfigError("--as-of", a.as_of, str(exc)) from None
        latest = max(whole.end_s.values())
        if as_of < latest:
            raise ConfigError("--as-of", a.as_of, f"is before the latest time in the log ({whole.info.when(latest)})")
    log, as_of_whole = whole, as_of
    if not windows.whole:  # the log as it stood at the end of the fit window: nothing later is used
        log = subset_requests(whole, windows.fit, as_known_at_end=True)
        shift = log.info.day0_s - whole.info.day0_s
        as_of = min(as_of - shift, max(log.end_s.values())) if as_of is not None else None
    opts = RequestOptions(as_of_s=as_of, sample_fraction=a.sample_fraction, min_per_group=a.min_per_group)
    try:
        cal = calibrate_requests(log, units, opts)
    except ValueError as exc:
        if windows.whole:
            raise ConfigError("LOG", a.log, str(exc)) from None
        raise windows.error("fit", f"{exc} (a request closed after the window's last day is open there)") from None
    if windows.holdout is not None:
        held = subset_requests(whole, windows.holdout, as_known_at_end=False)
        shift = held.info.day0_s - whole.info.day0_s
        try:
            cal.holdout = calibrate_requests(held, units, dataclasses.replace(
                opts, as_of_s=None if as_of_whole is None else as_of_whole - shift))
        except ValueError as exc:
            raise windows.error("hold-out", f"{exc} (closes up to the log's extraction)") from None
    return cal


def _sig(v: float) -> float:
    return float(f"{v:.6g}")


def close_dist(rep: CensoredReport) -> Dict[str, Any]:
    """The close-time fit as a scenario distribution: the empirical one where no family lies inside the
    Kaplan-Meier band (:func:`sim.calibrate.survival.empirical_values`), else the chosen family (a lognormal by
    median and 90th percentile)."""
    if rep.empirical:
        return {"dist": "empirical", "values": [float(v) for v in empirical_values(rep)]}
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
    est = ("Kaplan-Meier censoring of open requests; censored maximum likelihood, family by AIC among those inside "
           "within 4 standard errors of the Kaplan-Meier curve")
    volume = sum(cal.channel_per_day.values())
    days = max(1, min(_days(cal), MAX_DAYS, int(MAX_REQUESTS / volume) if volume > 0 else MAX_DAYS))
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
                Item("urgency", {"general": 1.0}),
                Item("unit_type", u, "" if rep is not None else
                     f"{src}: {cal.closed_by_unit.get(u, 0)} closed requests, fewer than {cal.min_per_group}: "
                     f"no time to close of its own; the pooled one (workorders.resolution_h)")]
        if rep is not None:
            d = rep.as_dict()
            p90s.append(d["km_p90"] or d["km_last_time"])
            kids.append(Item("resolution_h", close_dist(rep),
                             f"{src}: time to close of {rep.km.n_events:,} closed and {rep.km.n_censored:,} open "
                             f"requests; {est}; "
                             + ("no family within 4 standard errors of the Kaplan-Meier curve: 200 quantiles of "
                                f"the curve, the {rep.chosen.family} tail beyond its last {rep.min_at_risk} at risk; "
                                if rep.empirical else "")
                             + f"KM median {_fmt(d['km_median'])} h, p90 {_fmt(d['km_p90'])} h"))
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
            Item("horizon_h", days * 24, f"the log's {_days(cal)} days, at most {MAX_DAYS} holding at most "
                                         f"{MAX_REQUESTS:,} requests"),
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
    """Simulated requests per day and time to close per unit type (the scenario as composed, ``cfg``), against the
    fit window (``in_sample``) and, with a hold-out, against the hold-out window's requests (``holdout``).

    Both sides are Kaplan-Meier estimates with the requests not yet closed censored (at the log's extraction;
    in the simulation at the end of the drain): the same censoring.  A log quantile beyond the simulation's
    longest follow-up (horizon + drain) cannot be compared and is flagged, as is a simulated quantile outside
    the log's 95% interval (Brookmeyer-Crowley, Greenwood's variance).
    """
    from sim.api import run

    exp = run(cfg)
    out: Dict[str, Any] = {"replications": len(exp.per_replication), "seed": cfg.experiment.seed,
                           "confidence": cfg.experiment.confidence, "drain_h": cfg.experiment.drain_h,
                           "horizon_h": cfg.experiment.horizon_h,
                           "follow_up_h": cfg.experiment.horizon_h + cfg.experiment.drain_h,
                           "censoring": "Kaplan-Meier on both sides: the log's open requests censored at its "
                                        "extraction, the simulation's open orders at the end of the drain"}
    pooled = _pooled_histograms(exp.replications, len(cfg.categories))
    out.update(compare_requests(cal, exp.per_replication, pooled, cfg))
    if cal.holdout is not None:
        out["holdout"] = compare_requests(cal.holdout, exp.per_replication, pooled, cfg)
    return out


def _pooled_histograms(replications: Sequence[Any], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Time-to-close histograms of orders closed and still open, per category, summed over the replications."""
    closed, censored = np.zeros((n, N_BINS)), np.zeros((n, N_BINS))
    for r in replications:
        if r.backoffice is not None:  # the typed records of the work-order pipeline (sim.records.backoffice)
            closed += np.asarray(r.backoffice.close_hist, dtype=float)
            censored += np.asarray(r.backoffice.censor_hist, dtype=float)
    return closed, censored


def compare_requests(obs: RequestCalibration, per_rep: List[Dict[str, float]], pooled: tuple[np.ndarray, np.ndarray],
                     cfg: Config) -> Dict[str, Any]:
    """Requests per day and each unit type's median and 90th percentile time to close: the log ``obs`` against
    the replications ``per_rep`` (the mean of their values and its interval) and their orders pooled into one
    Kaplan-Meier curve (``pooled``: :func:`_pooled_histograms`; see :func:`backtest_requests`).

    A unit type with fewer than ``obs.min_per_group`` closed requests in the log has no estimate of its own:
    its log cells are None and it is listed in ``not_compared``, not flagged (the pooled curve of all
    requests says nothing of that type)."""
    from sim.analysis.censoring import km_quantile

    days = cfg.experiment.horizon_h / 24.0
    follow = cfg.experiment.horizon_h + cfg.experiment.drain_h
    level = cfg.experiment.confidence
    sim_day = np.array([r["contacts_offered"] / days for r in per_rep])
    observed_day = sum(obs.channel_per_day.values()) * float(np.mean(obs.arrivals.day_of_week))
    out: Dict[str, Any] = {"requests_per_day": {"observed": observed_day,
                                                **_ci(sim_day, level, "contacts_offered")},
                           "unit_types": {}, "flagged": [], "not_compared": [], "min_per_group": obs.min_per_group}
    for k, u in enumerate(cfg.categories):
        rep = obs.close_by_unit.get(u)
        row: Dict[str, Any] = {"closed": obs.closed_by_unit.get(u, 0)}
        if rep is None:
            out["not_compared"].append(u)
        for q, key in ((0.5, "median"), (0.9, "p90")):
            vals = np.array([r.get(f"time_to_close_{key}_h.{u}", math.nan) for r in per_rep], dtype=float)
            sim_q = km_quantile(pooled[0][k], pooled[1][k], q)
            sim = float(sim_q) if math.isfinite(sim_q) else None
            cell = {**{f"replications_{n}": v for n, v in _ci(vals, level, f"time_to_close_{key}_h").items()},
                    "simulated": sim}
            cell["replications"] = cell["replications_replications"]
            row[key] = cell
            if rep is None:
                cell.update(observed=None, observed_ci_low=None, observed_ci_high=None, beyond_follow_up=False,
                            inside_log_interval=None, flag=None,
                            not_compared=f"{row['closed']} closed requests of this type in the log, fewer than "
                                         f"{obs.min_per_group}: no estimate of its own")
                continue
            value = rep.km.quantile(q)
            lo, hi = rep.km.quantile_ci(q)
            cell.update(observed=value, observed_ci_low=lo, observed_ci_high=hi,
                        beyond_follow_up=value is not None and value > follow)
            cell["inside_log_interval"] = bool(sim is not None and lo is not None and lo <= sim
                                               and (hi is None or sim <= hi))
            if value is not None and sim is not None and not cell["beyond_follow_up"]:
                cell["error"] = sim - value
            why = [] if cell["inside_log_interval"] else [
                "the log's curve does not reach it" if value is None else
                f"the log's value lies beyond the simulation's follow-up ({follow:g} h)" if cell["beyond_follow_up"]
                else "undefined in every replication" if sim is None else "outside the log's 95% interval"]
            cell["flag"] = "; ".join(why) or None
            if why and key == "median":
                out["flagged"].append(u)
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
    windows = a.windows
    rj["windows"] = {"fit": windows.fit.as_dict(), "holdout": windows.holdout.as_dict() if windows.holdout else None,
                     "whole_log": windows.whole}
    rj["backtest"] = None if a.no_backtest else backtest_requests(cal, cfg)
    rj = _finite(rj)
    return Result(json=rj, html=requests_page(cal, rj, a.name, command, scenario_path), headline=requests_headline(rj))


__all__: List[str] = ["fit", "scenario_text", "report", "backtest_requests", "close_dist"]
