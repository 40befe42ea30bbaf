"""The hold-out: simulate days the calibration never saw, with their own arrivals and agents, and score it.

The scenario is fitted on the fit window (:mod:`sim.calibrate.windows`); the
hold-out days are then predicted from what a planner knows about them - the calls
offered in each hour and the agents available in each half-hour
(:mod:`sim.calibrate.agents`, measured on those days as on the fit window) - and
everything else from the fit window: handle times, their time-of-day profile,
patience, the teams and their call types.

:func:`~sim.calibrate.holdout_inputs.inputs` gathers the hold-out's known inputs per
date, half-hour and call type, and :func:`~sim.calibrate.holdout_inputs.dated_scenario` turns
them into a dated scenario: each hold-out date simulated with its own calls and agents.

:func:`evaluate` scores per half-hour of the day, pooled over the hold-out dates:
the observed abandonment rate (abandoned / ended), ASA, service level (answered
within ``kpi.answer_threshold_s`` / ended) and calls offered, against

* the **simulation** (the mean over replications, :mod:`sim.api`);
* **Erlang A** per date and half-hour with the same inputs: the date's calls offered
  in the half-hour, the agents (linear between the neighbouring whole numbers), the mean
  handle time of the half-hour's call types times its factor, and exponential patience (the censored
  exponential fit of the fit window: Erlang A's own assumption);
* **persistence**: the fit window's dates nearest the hold-out with the same
  weekdays, as they were (the last fit week for a hold-out that follows it);
* the **noise floor**: a day bootstrap of the hold-out dates (how far the pooled
  values of re-drawn days fall from the observed ones: what a perfect model
  would still miss).

Errors are the mean absolute error and the bias (predicted - observed) over the
scored half-hours, each weighted by the calls offered in it.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from sim.calibrate.backtest import Sums, replication_sums
from sim.calibrate.calls import HALF_S, CallCalibration, attempt_waits
from sim.calibrate.holdout_inputs import Inputs
from sim.calibrate.logread import CallLog
from sim.calibrate.windows import Window
from sim.config.schema import Config

KPIS = ("abandon_rate", "asa_s", "service_level", "offered")
PREDICTORS = ("simulated", "erlang_a", "persistence")
#: Day-bootstrap draws of the noise floor.
BOOTSTRAP = 500


def kpis(sums: Sums) -> Dict[str, np.ndarray]:
    """The :data:`KPIS` per half-hour of ``sums`` (offered per day; NaN where undefined)."""
    series = sums.series()
    return {"abandon_rate": series["abandon_rate"], "asa_s": series["asa_s"],
            "service_level": series["service_level"], "offered": series["arrivals"]}


def observed_by_date(log: CallLog, days: int, threshold_s: float) -> List[Sums]:
    """The log's sums per date (mean over its runs)."""
    local = log.arrive_local_s
    day = np.floor(local / 86400.0).astype(np.int64)
    half = ((local % 86400.0) // HALF_S).astype(np.int64)
    wait = attempt_waits(log)
    ans, ab = log.outcome == 0, log.outcome == 1
    runs = max(len(np.unique(log.run)), 1)
    out = []
    for d in range(days):
        m = day == d

        def bc(x: np.ndarray, w: Optional[np.ndarray] = None) -> np.ndarray:
            return np.bincount(half[m & x], weights=None if w is None else w[m & x], minlength=48)[:48] / runs

        out.append(Sums(bc(np.ones(log.n, dtype=bool)), bc(ans), bc(ab), bc(ans, wait), bc(ab, wait),
                        bc(ans & (wait <= threshold_s)), days=1.0))
    return out


def simulated(cfg: Config) -> List[Sums]:
    """Each replication's sums pooled over the dates of the template ``cfg``."""
    from sim.api import run

    return [replication_sums(r.intervals) for r in run(cfg).replications]


def erlang_a(x: Inputs, handle_factor: Sequence[float], type_mean_s: Dict[str, float], patience_mean_s: float,
             threshold_s: float) -> Sums:
    """Erlang A per date and half-hour of the hold-out's inputs ``x`` (module docstring), pooled over its dates: the
    date's calls offered in the half-hour, the teams' agents summed, the mean handle time of the half-hour's mix of
    call types (``type_mean_s``: call type -> its mean) times the half-hour's factor (``handle_factor``, 48 values)
    and exponential patience of mean ``patience_mean_s``."""
    from sim.analysis.theory import erlang_a_metrics

    calls = x.calls_per_half
    means = np.array([type_mean_s[t] for t in x.types])
    agents = np.sum(list(x.agents.values()), axis=0)
    factor = np.asarray(list(handle_factor) or [1.0] * 48, dtype=float)
    offered, answered, abandoned, wait_answered_s, in_threshold = (np.zeros(48) for _ in range(5))
    for i in range(len(x.dates)):
        for h in range(48):
            n = float(calls[i, h])
            if n <= 0:
                continue
            mean_handle_s = float(x.calls[i, h] @ means) / n
            p_ab, asa, sl = _erlang_a_mix(n / HALF_S, 1.0 / (mean_handle_s * factor[h % len(factor)]),
                                          1.0 / patience_mean_s, float(agents[i, h]), threshold_s, erlang_a_metrics)
            offered[h] += n
            answered[h] += n * (1 - p_ab)
            abandoned[h] += n * p_ab
            wait_answered_s[h] += n * (1 - p_ab) * asa
            in_threshold[h] += n * sl
    return Sums(offered, answered, abandoned, wait_answered_s, np.full(48, np.nan), in_threshold,  # waits of the
                days=float(len(x.dates)))  # abandoned not computed


def _erlang_a_mix(lam: float, mu: float, theta: float, c: float, thr: float,
                  metrics: Any) -> tuple[float, float, float]:
    """Abandonment, ASA and service level of Erlang A at a fractional number of agents ``c``: linear between the
    neighbouring whole numbers (ASA weighted by the callers answered; with 0 agents every caller hangs up)."""
    lo = int(math.floor(c))
    p_ab = answered_wait = sl = 0.0
    for k, weight in ((lo, 1.0 - (c - lo)), (lo + 1, c - lo)):
        if weight <= 0:
            continue
        if k == 0:
            p_ab += weight
            continue
        m = metrics(lam, mu, theta, k, thr)
        p_ab += weight * m.p_abandon
        answered_wait += weight * (1.0 - m.p_abandon) * m.asa_s
        sl += weight * m.service_level
    return p_ab, answered_wait / (1.0 - p_ab) if p_ab < 1.0 else 0.0, sl


def persistence_dates(fit: Window, hold: Window) -> List[Optional[dt.date]]:
    """For each hold-out date, the fit window's date nearest to it on the same weekday (None if there is none)."""
    out: List[Optional[dt.date]] = []
    for i in range(hold.days):
        d = hold.first + dt.timedelta(days=i)
        same = [fit.first + dt.timedelta(days=j) for j in range(fit.days)
                if (fit.first + dt.timedelta(days=j)).weekday() == d.weekday()]
        out.append(min(same, key=lambda x: abs((x - d).days)) if same else None)
    return out


def persistence(fit_by_date: Sequence[Sums], first: dt.date, dates: Sequence[Optional[dt.date]]
                ) -> Dict[str, np.ndarray]:
    """The :data:`KPIS` of the fit window's ``dates`` (those of :func:`persistence_dates`), pooled; NaN (no
    prediction) where no fit date shares a weekday with the hold-out."""
    chosen = [fit_by_date[(d - first).days] for d in dates if d is not None]
    if not chosen:
        return {k: np.full(48, np.nan) for k in KPIS}
    total = Sums.zero()
    for s in chosen:
        total = total + s
    return kpis(total)


def score(pred: Dict[str, np.ndarray], obs: Dict[str, np.ndarray], weight: np.ndarray,
          keep: np.ndarray) -> Dict[str, Dict[str, Optional[float]]]:
    """Weighted MAE and bias of each KPI over the half-hours ``keep`` (weights: calls offered)."""
    out: Dict[str, Dict[str, Optional[float]]] = {}
    for k in KPIS:
        err = pred[k] - obs[k]
        ok = keep & ~np.isnan(err) & (weight > 0)
        wsum = float(weight[ok].sum())
        out[k] = ({"mae": float(np.sum(np.abs(err[ok]) * weight[ok]) / wsum),
                   "bias": float(np.sum(err[ok] * weight[ok]) / wsum)} if wsum > 0 else {"mae": None, "bias": None})
    return out


def noise_floor(by_date: Sequence[Sums], obs: Dict[str, np.ndarray], weight: np.ndarray, keep: np.ndarray,
                seed: int) -> Dict[str, Dict[str, Optional[float]]]:
    """Mean error of :data:`BOOTSTRAP` day bootstraps of the hold-out dates against the observed values.

    A rate is scored only over the half-hours with calls on at least two dates: where one date has all the calls,
    a re-drawn set of days either holds that date (and the observed rate) or has no calls, so its error would be
    zero whatever the noise.  None (unmeasured) with fewer than two dates, and for a rate without such a half-hour.
    """
    n = len(by_date)
    shared = keep & (np.sum([s.offered > 0 for s in by_date], axis=0) >= 2)
    if n < 2:
        return {k: {"mae": None, "bias": None} for k in KPIS}
    rng = np.random.default_rng([seed, 20])
    draws = []
    for _ in range(BOOTSTRAP):
        pick = rng.integers(0, n, n)
        total = Sums.zero()
        for i in pick:
            total = total + by_date[int(i)]
        pred = kpis(total)
        draws.append({**score(pred, obs, weight, shared), "offered": score(pred, obs, weight, keep)["offered"]})
    return {k: {s: (float(np.mean([d[k][s] for d in draws if d[k][s] is not None]))
                    if any(d[k][s] is not None for d in draws) else None) for s in ("mae", "bias")} for k in KPIS}


def mean_sums(sims: Sequence[Sums]) -> Sums:
    """The mean of replications' sums."""
    total = Sums.zero()
    for s in sims:
        total = total + s
    return total.scaled(1.0 / max(len(sims), 1))


def evaluate(cal: CallCalibration, cfg: Config, hold: CallLog, w: Window, x: Inputs, fit_log: CallLog,
             hours: tuple[int, int], diagnostic_cfg: Optional[Config] = None) -> Dict[str, Any]:
    """``calibration.json`` -> ``holdout`` (module docstring): the per-half-hour series and the errors.

    ``cfg`` is the hold-out's dated scenario (:func:`~sim.calibrate.holdout_inputs.dated_scenario`); ``fit_log``
    the fit window's log (for persistence);
    ``diagnostic_cfg`` an optional second template (first attempts and the scenario's redial loop) scored too.
    """
    thr = cfg.kpi.answer_threshold_s
    by_date = observed_by_date(hold, w.days, thr)
    total = Sums.zero()
    for s in by_date:
        total = total + s
    obs = kpis(total)
    weight = total.offered
    halves = np.arange(48)
    keep = (halves >= 2 * hours[0]) & (halves < 2 * hours[1])
    sim = kpis(mean_sums(simulated(cfg)))
    type_mean = {t: (cal.handle[t] if t in cal.handle else cal.handle_pooled).sample_mean for t in x.types}
    ea = kpis(erlang_a(x, cal.handle_factor_within, type_mean, cal.patience.fits["exponential"].mean, thr))
    assert fit_log.info.start_date is not None
    fit_w = Window(fit_log.info.start_date, fit_log.info.start_date + dt.timedelta(days=int(
        math.floor(float(fit_log.arrive_local_s.max()) / 86400.0))), fit_log.info.start_date)
    pdates = persistence_dates(fit_w, w)
    pers = persistence(observed_by_date(fit_log, fit_w.days, thr), fit_w.first, pdates)
    preds = {"simulated": sim, "erlang_a": ea, "persistence": pers}
    out: Dict[str, Any] = {"half_hours": [f"{h // 2:02d}:{30 * (h % 2):02d}" for h in halves[keep]]}
    for k in KPIS:
        out[k] = {"observed": _list(obs[k][keep]), **{p: _list(preds[p][k][keep]) for p in PREDICTORS}}
    errors = {p: score(preds[p], obs, weight, keep) for p in PREDICTORS}
    errors["noise_floor"] = noise_floor(by_date, obs, weight, keep, cfg.experiment.seed)
    if diagnostic_cfg is not None:
        errors["simulated_with_redial_loop"] = score(kpis(mean_sums(simulated(diagnostic_cfg))), obs, weight,
                                                     keep)
    out["errors"] = errors
    out["empty_queue"] = not_ready(hold, thr, hours)
    out.update({"window": w.as_dict(), "hours": list(hours), "threshold_s": thr, "weights": "calls offered",
                "pickup_delay": cfg.calls.pickup_delay_s is not None,
                "replications": cfg.experiment.replications, "seed": cfg.experiment.seed,
                "persistence_dates": [d.isoformat() if d else None for d in pdates],
                "erlang_a_inputs": {"mean_handle_s": type_mean,
                                    "patience_mean_s": cal.patience.fits["exponential"].mean,
                                    "agents": "the teams' agents available, summed",
                                    "arrivals": "the simulation's arrival rate per half-hour",
                                    "handle_factor": "handle_factor_within_types"},
                "inputs": {"calls_offered": float(x.calls.sum()),
                           "agent_hours_available": {t: float(v.sum() / 2.0) for t, v in x.agents.items()},
                           "type_shares": x.type_shares},
                "bootstrap_draws": BOOTSTRAP})
    return out


def not_ready(log: CallLog, threshold_s: float, hours: tuple[int, int]) -> Dict[str, Optional[float]]:
    """How the log treats a caller who arrives while no other caller waits (``calibration.json`` -> ``holdout`` ->
    ``empty_queue``), over the calls arriving within ``hours``: their share of the calls ended, the share of them
    answered at once and within ``threshold_s``, the median wait of those not answered at once, and the service
    level (points) the log would gain if every one of them had been answered at once - as the simulation does
    whenever an agent is free, its agents being ready the moment a call ends."""
    from sim.calibrate.agents import _level

    arrive, left = log.arrive_s - log.arrive_s.min(), log.left_s - log.arrive_s.min()
    wait = attempt_waits(log)
    ended = (log.outcome == 0) | (log.outcome == 1)
    waited = ended & (wait > 0)
    n_s = int(np.nanmax(np.where(np.isnan(left), arrive, left))) + 2
    queue = _level(arrive[waited], left[waited], n_s)[np.clip(arrive.astype(np.int64), 0, n_s - 1)] - waited
    hour = (log.arrive_local_s % 86400.0) // 3600.0
    first = ended & (queue <= 0) & (hour >= hours[0]) & (hour < hours[1])
    n, n_ended = int(first.sum()), int((ended & (hour >= hours[0]) & (hour < hours[1])).sum())
    if not n:
        return {"share_of_calls": None, "answered_at_once": None, "within_threshold": None,
                "median_wait_s_of_the_others": None, "service_level_points": None}
    ans = log.outcome == 0
    others = first & (wait > 0)
    within = first & ans & (wait <= threshold_s)
    return {"share_of_calls": n / n_ended, "answered_at_once": float(np.mean(ans[first] & (wait[first] == 0))),
            "within_threshold": float(within.sum() / n),
            "median_wait_s_of_the_others": float(np.median(wait[others])) if others.any() else None,
            "service_level_points": float((n - within.sum()) / n_ended)}


def _list(x: np.ndarray) -> List[Optional[float]]:
    return [None if not math.isfinite(float(v)) else float(v) for v in np.asarray(x, dtype=float)]
