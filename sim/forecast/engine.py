"""The forecast of a history: back-test the candidate methods, choose one, forecast the range.

A *method* is a daily model (:data:`sim.forecast.daily.CANDIDATES`) and a
profile setting (:data:`sim.forecast.profile.SETTINGS`).  For every channel,
:func:`run_forecast`

1. forecasts each back-test week (:mod:`sim.forecast.backtest`) with every
   method, from the days before the week, with the kinds of days learnt from
   those days only (:func:`sim.forecast.daytypes.plan_days`);
2. scores, on the last ``backtest_weeks`` weeks, the method chosen by the
   ``select_weeks`` weeks before each of them, with its 80% interval, beside the
   two naive forecasts;
3. forecasts the range with the method that did best over the last
   ``select_weeks`` weeks.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from sim.forecast.backtest import NAIVE, Score, choose, naive, origins, score
from sim.forecast.calendar import Calendar
from sim.forecast.daily import ANNUAL, CANDIDATES, Candidate, DailyForecast, fit_daily
from sim.forecast.daytypes import DayPlan, plan_days
from sim.forecast.history import History
from sim.forecast.model import ChannelForecast, expected_grid, with_intervals
from sim.forecast.profile import SETTINGS, Profiles, dispersion, fit_profiles, shares

BACKTEST_WEEKS = 8
SELECT_WEEKS = 8
ANNUAL_MIN_DAYS = 730
#: A channel whose Poisson floor of the half-hour WAPE passes this gets a note (small counts).
SMALL_COUNTS_FLOOR = 0.3


Setting = Tuple[float, float]


@dataclass(frozen=True)
class Method:
    """A daily model and a profile setting (weekly decay ``rho``, shrinkage ``kappa``)."""

    daily: Candidate
    rho: float
    kappa: float

    @property
    def name(self) -> str:
        """A short description."""
        return f"{self.daily.name}; {Methods.setting_name((self.rho, self.kappa))}"


@dataclass(frozen=True)
class Methods:
    """The candidates: daily models and profile settings, each chosen on its own error."""

    daily: Tuple[Candidate, ...]
    settings: Tuple[Setting, ...]

    @classmethod
    def for_history(cls, n_days: int) -> "Methods":
        """The candidates of a history of ``n_days`` days (the first of each is the default)."""
        return cls(tuple(CANDIDATES) + ((ANNUAL,) if n_days >= ANNUAL_MIN_DAYS else ()), tuple(SETTINGS))

    @staticmethod
    def setting_name(s: Setting) -> str:
        """A profile setting in words."""
        return f"profile weight {s[0]:g} per week back, shrinkage {s[1]:g} days"

    @property
    def default(self) -> Method:
        """The method used without back-test weeks to choose by."""
        return Method(self.daily[0], *self.settings[0])

    def choose(self, daily_err: List[Dict[str, Score]], prof_err: List[Dict[str, Score]]) -> Method:
        """The daily model by its daily WAPE and the setting by its profile WAPE (one-standard-error rule)."""
        name = choose(daily_err, [c.name for c in self.daily], daily=True)
        setting = choose(prof_err, [self.setting_name(s) for s in self.settings])
        return Method(next(c for c in self.daily if c.name == name),
                      *next(s for s in self.settings if self.setting_name(s) == setting))


@dataclass
class ChannelResult:
    """A channel's forecast, the method chosen and its back-test."""

    name: str
    forecast: ChannelForecast
    daily: DailyForecast
    method: Method
    phi: float
    profiles: Optional[Profiles] = None
    weeks: List[Dict[str, Any]] = field(default_factory=list)
    overall: Dict[str, Any] = field(default_factory=dict)
    candidates: Dict[str, Any] = field(default_factory=dict)
    backtest_days: List[Dict[str, Any]] = field(default_factory=list)


@dataclass
class ForecastResult:
    """The forecast of every channel over the range ``days`` (day indices from the history's day 0)."""

    history: History
    calendar: Calendar
    plan: DayPlan
    days: np.ndarray
    channels: Dict[str, ChannelResult]
    select_weeks: int
    notes: List[str] = field(default_factory=list)

    def date(self, day: int) -> dt.date:
        """The date of day index ``day``."""
        return self.history.date(day)


def _totals(counts: np.ndarray) -> np.ndarray:
    tot = np.nansum(counts, axis=1)
    tot[np.isnan(counts[:, 0])] = np.nan
    return tot


def _fit(counts: np.ndarray, plan: DayPlan, origin: int, days: np.ndarray, ms: Methods,
         start: Dict[Candidate, np.ndarray]) -> Tuple[Dict[Candidate, DailyForecast], Dict[Setting, Profiles]]:
    """Every daily model's forecast and every profile setting's profiles of ``days`` from the days before
    ``origin``; ``start`` holds each model's parameters at the previous origin (updated)."""
    open_days = days[~plan.closed[days]]
    totals = _totals(counts)
    share, _ = shares(counts)
    keys = [plan.profile_key(int(d)) for d in open_days]
    dailies = {c: fit_daily(totals, plan, origin, open_days, c, start.get(c)) for c in ms.daily}
    start.update({c: d.params for c, d in dailies.items() if d.params is not None})
    profs = {s: fit_profiles(share, plan, origin, keys, *s) for s in ms.settings}
    return dailies, profs


def _oracle(counts: np.ndarray, prof: Profiles, plan: DayPlan, days: np.ndarray) -> np.ndarray:
    """The actual daily totals spread by the profiles: the profile's own error."""
    out = np.zeros((len(days), counts.shape[1]))
    for r, d in enumerate(days):
        if not plan.closed[d] and not np.isnan(counts[d, 0]):
            out[r] = np.nansum(counts[d]) * prof.of(plan.profile_key(int(d)))
    return out


def _backtest(hist: History, ch: str, plans: Dict[int, DayPlan], os: List[int], ms: Methods, weeks: int,
              select: int, factors: Dict[str, float]) -> Tuple[ChannelResult, List[Dict[str, Score]],
                                                               List[Dict[str, Score]], Dict[Candidate, np.ndarray]]:
    counts = hist.counts[ch]
    n = hist.n_days
    daily_err: List[Dict[str, Score]] = []
    prof_err: List[Dict[str, Score]] = []
    res = ChannelResult(ch, ChannelForecast(np.zeros(0, int), np.zeros(0, bool), np.zeros((0, 48))),
                        DailyForecast(np.zeros(0, int), np.zeros(0), np.zeros(0)), ms.default, 0.0)
    pooled: Dict[str, Score] = {k: Score() for k in ("model", *NAIVE)}
    by_model: Dict[str, Score] = {}
    reported = set(os[-weeks:])
    start: Dict[Candidate, np.ndarray] = {}
    for o in os:
        plan = plans[o]
        test = np.arange(o, min(o + 7, n))
        dailies, profs = _fit(counts, plan, o, test, ms, start)
        if o in reported:
            chosen = ms.choose(daily_err[-select:], prof_err[-select:])
            phi = dispersion(counts, plan, o, chosen.rho, chosen.kappa)
            prof = profs[(chosen.rho, chosen.kappa)]
            fc = with_intervals(expected_grid(dailies[chosen.daily], prof, plan, test, factors), dailies[chosen.daily],
                                prof, plan, phi, factors, f"{ch}@{o}")
            scores = {"model": score(counts[test], fc.expected, fc.low, fc.high)}
            for k in NAIVE:
                scores[k] = score(counts[test], naive(counts, plan, o, test, k))
            for k, s in scores.items():
                pooled[k] = pooled[k] + s
            for c in ms.daily:
                s = score(counts[test], expected_grid(dailies[c], prof, plan, test, factors).expected)
                by_model[c.name] = by_model.get(c.name, Score()) + s
            res.weeks.append({"origin": hist.date(o).isoformat(), "method": chosen.name,
                              **{k: s.as_dict() for k, s in scores.items()}})
            assert fc.day_low is not None and fc.day_high is not None
            for r, d in enumerate(test):
                actual = float(np.nansum(counts[d])) if not np.isnan(counts[d, 0]) else None
                res.backtest_days.append({"date": hist.date(int(d)).isoformat(), "actual": actual,
                                          "expected": float(fc.day_expected[r]), "p10": float(fc.day_low[r]),
                                          "p90": float(fc.day_high[r]), "closed": bool(fc.closed[r])})
        ref = next(iter(profs.values()))
        daily_err.append({c.name: score(counts[test], expected_grid(dailies[c], ref, plan, test, factors).expected)
                          for c in ms.daily})
        prof_err.append({Methods.setting_name(s): score(counts[test], _oracle(counts, p, plan, test))
                         for s, p in profs.items()})
    res.overall = {k: s.as_dict() for k, s in pooled.items()}
    res.candidates = {k: s.as_dict() for k, s in by_model.items()}
    return res, daily_err, prof_err, start


def worse_than_naive(channel: str, overall: Dict[str, Dict[str, Any]]) -> Optional[str]:
    """A note when the back-test pooled over its weeks (``overall``: ``model``, ``mean4``, ``last_week``, each
    with ``wape`` and ``daily_wape``) finds the method worse than a naive forecast on the half-hours or on the
    days; None otherwise (or without a back-test)."""
    model = overall.get("model", {})
    names = {"mean4": "the mean of the last four same weekdays", "last_week": "the same weekday last week"}
    worse = []
    for key, what in (("wape", "half-hour WAPE"), ("daily_wape", "daily WAPE")):
        m = model.get(key)
        beaten = [(names[k], overall[k][key]) for k in names if k in overall and overall[k].get(key) is not None
                  and m is not None and overall[k][key] < m]
        if beaten:
            best = min(beaten, key=lambda x: x[1])
            worse.append(f"{what} {m:.1%} against {best[1]:.1%} for {best[0]}")
    if not worse:
        return None
    return (f"{channel}: in the back-test the method did worse than a naive forecast ({'; '.join(worse)}): "
            f"this history does not bear it out; trust it no more than that naive forecast")


def run_forecast(hist: History, cal: Calendar, days: np.ndarray, backtest_weeks: int = BACKTEST_WEEKS,
                 select_weeks: int = SELECT_WEEKS) -> ForecastResult:
    """Back-test, choose and forecast every channel of ``hist`` over ``days`` (see the module docstring).

    Parameters
    ----------
    hist : History
        The history (day 0 = ``cal.start``).
    cal : Calendar
        The calendar from the history's first day to the range's last day.
    days : ndarray of int
        The days to forecast (day indices, all after the history).
    backtest_weeks, select_weeks : int
        Weeks scored, and weeks before each that choose the method.
    """
    ms = Methods.for_history(hist.n_days)
    os = origins(hist.n_days, backtest_weeks + select_weeks)
    plans = {o: plan_days(hist.observed[:o], cal) for o in os}
    final_plan = plan_days(hist.observed, cal)
    factors = cal.factors
    out: Dict[str, ChannelResult] = {}
    for ch in hist.channels:
        res, daily_err, prof_err, start = _backtest(hist, ch, plans, os, ms, backtest_weeks, select_weeks, factors)
        chosen = ms.choose(daily_err[-select_weeks:], prof_err[-select_weeks:])
        counts = hist.counts[ch]
        open_days = days[~final_plan.closed[days]]
        daily = fit_daily(_totals(counts), final_plan, hist.n_days, open_days, chosen.daily, start.get(chosen.daily))
        share, _ = shares(counts)
        prof = fit_profiles(share, final_plan, hist.n_days, [final_plan.profile_key(int(d)) for d in open_days],
                            chosen.rho, chosen.kappa)
        phi = dispersion(counts, final_plan, hist.n_days, chosen.rho, chosen.kappa)
        fc = with_intervals(expected_grid(daily, prof, final_plan, days, factors), daily, prof, final_plan, phi,
                            factors, ch)
        res.forecast, res.daily, res.method, res.phi, res.profiles = fc, daily, chosen, phi, prof
        out[ch] = res
    notes = list(hist.notes) + list(final_plan.notes)
    for ch, res in out.items():
        worse = worse_than_naive(ch, res.overall)
        if worse:
            notes.append(worse)
        floor = res.overall.get("model", {}).get("poisson_floor")
        if floor is not None and floor > SMALL_COUNTS_FLOOR:
            notes.append(f"{ch}: so few arrivals per half-hour that Poisson noise alone leaves a half-hour WAPE of "
                         f"{floor:.0%}: judge this channel's forecast by its daily WAPE and its intervals")
        if res.daily.fallback:
            notes.append(f"{ch}: {res.daily.fallback}; the daily totals are the mean of the last four same weekdays")
        unseen = [u for u in res.daily.unseen if u.removeprefix("event: ") not in cal.factors]
        if "holiday" in unseen:
            named = sorted({final_plan.holiday_names[int(d)] for d in days if final_plan.holiday[int(d)]})
            unseen[unseen.index("holiday")] = (f"holiday ({', '.join(named)}: no open holiday in the history, "
                                               f"forecast as a normal day of its weekday)")
        if unseen:
            notes.append(f"{ch}: not in the history, so without an effect: {', '.join(unseen)}")
    return ForecastResult(history=hist, calendar=cal, plan=final_plan, days=days, channels=out,
                          select_weeks=select_weeks, notes=notes)
