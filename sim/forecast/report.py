"""The forecast's files: ``forecast.csv``, ``forecast_categories.csv`` and ``forecast.json``.

* ``forecast.csv``: one row per half-hour of every day of the range and channel -
  ``start`` (the interval's local date and time, ISO 8601), ``channel``,
  ``expected`` (arrivals), ``p10`` and ``p90`` (the 80% prediction interval).
  Every half-hour is listed, closed ones with zeros, so the file is the whole
  grid a planner (or a dated scenario) needs.
* ``forecast_categories.csv`` (when the history has categories): the same per
  category - ``start``, ``channel``, ``category``, ``expected``, ``p10``,
  ``p90`` - each category's share of its channel over the last four weeks with
  data times the channel's forecast (top-down: the share's own uncertainty is not
  in the interval); the categories beyond the :data:`TOP_CATEGORIES` largest are
  summed as ``(other categories)``.
* ``forecast.json``: everything the page shows - the history read, the calendar,
  each day's kind, each channel's method, its estimated effects, its daily
  forecast (expected, interval, and the standard deviation of the log total, from
  which day-level multipliers can be drawn) and its back-test beside the naive
  forecasts.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any, Dict, List, Optional

import numpy as np

from sim.forecast.daytypes import WEEKDAYS
from sim.forecast.engine import ChannelResult, ForecastResult
from sim.forecast.history import SLOT_MIN, SLOTS
from sim.forecast.model import expected_grid, with_intervals

TOP_CATEGORIES = 15
CATEGORY_DRAWS = 1000  # a category's interval: fewer draws than a channel's (many categories, same method)
SHARE_DAYS = 28
OTHER = "(other categories)"


def _start(day: dt.date, slot: int) -> str:
    return dt.datetime.combine(day, dt.time()).replace(hour=slot * SLOT_MIN // 60,
                                                       minute=slot * SLOT_MIN % 60).isoformat(timespec="minutes")


def _r(x: float) -> float:
    return round(float(x), 3)


def forecast_csv(result: ForecastResult) -> str:
    """``forecast.csv`` (see the module docstring)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["start", "channel", "expected", "p10", "p90"])
    for r, d in enumerate(result.days):
        day = result.date(int(d))
        for s in range(SLOTS):
            for ch, res in result.channels.items():
                fc = res.forecast
                assert fc.low is not None and fc.high is not None
                w.writerow([_start(day, s), ch, _r(fc.expected[r, s]), _r(fc.low[r, s]), _r(fc.high[r, s])])
    return buf.getvalue()


def category_shares(result: ForecastResult, ch: str) -> Dict[str, float]:
    """Each category's share of channel ``ch`` over its last :data:`SHARE_DAYS` days with data (top ones, the
    rest summed as :data:`OTHER`)."""
    cats = result.history.categories.get(ch, {})
    if not cats:
        return {}
    observed = np.flatnonzero(result.history.observed)[-SHARE_DAYS:]
    sums = {k: float(np.nansum(v[observed])) for k, v in cats.items()}
    total = sum(sums.values())
    if total <= 0:
        return {}
    ranked = sorted(sums, key=lambda k: -sums[k])
    out = {k: sums[k] / total for k in ranked[:TOP_CATEGORIES] if sums[k] > 0}
    rest = sum(sums[k] for k in ranked[TOP_CATEGORIES:])
    if rest > 0:
        out[OTHER] = rest / total
    return out


def categories_csv(result: ForecastResult) -> Optional[str]:
    """``forecast_categories.csv``, or None when no channel has categories."""
    rows: List[List[Any]] = []
    for ch, res in result.channels.items():
        shares = category_shares(result, ch)
        if not shares or res.profiles is None:
            continue
        daily, prof, phi = res.daily, res.profiles, res.phi
        for cat, share in shares.items():
            fc = expected_grid(daily, prof, result.plan, result.days, result.calendar.factors, share)
            fc = with_intervals(fc, daily, prof, result.plan, phi, result.calendar.factors, f"{ch}/{cat}", share,
                                CATEGORY_DRAWS)
            assert fc.low is not None and fc.high is not None
            for r, d in enumerate(result.days):
                day = result.date(int(d))
                rows += [[_start(day, s), ch, cat, _r(fc.expected[r, s]), _r(fc.low[r, s]), _r(fc.high[r, s])]
                         for s in range(SLOTS)]
    if not rows:
        return None
    rows.sort(key=lambda row: (row[0], row[1]))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["start", "channel", "category", "expected", "p10", "p90"])
    w.writerows(rows)
    return buf.getvalue()


def _days(result: ForecastResult, res: ChannelResult) -> List[Dict[str, Any]]:
    fc, plan = res.forecast, result.plan
    assert fc.day_low is not None and fc.day_high is not None and fc.log_sd is not None
    out = []
    for r, d in enumerate(result.days):
        i = int(d)
        out.append({"date": result.date(i).isoformat(), "weekday": WEEKDAYS[int(plan.weekday[i])],
                    "kind": plan.kind(i), "reason": plan.reason[i] or plan.holiday_names[i] or plan.event[i],
                    "expected": _r(fc.day_expected[r]), "p10": _r(fc.day_low[r]), "p90": _r(fc.day_high[r]),
                    "log_sd": round(float(fc.log_sd[r]), 5)})
    return out


def history_json(result: ForecastResult) -> Dict[str, Any]:
    """What the history holds: source, dates, missing days, closed weekdays, holidays and how each was read."""
    h, plan = result.history, result.plan
    holidays = [{"date": h.date(i).isoformat(), "name": plan.holiday_names[i],
                 "closed": bool(plan.closed[i])}
                for i in range(h.n_days) if plan.holiday_names[i] and plan.weekday[i] in plan.open_weekdays]
    missing = [h.date(i).isoformat() for i in range(h.n_days) if not h.observed[i] and not plan.closed[i]]
    return {"source": h.source, "first": h.start.isoformat(), "last": h.end.isoformat(), "days": h.n_days,
            "days_with_data": int(h.observed.sum()), "missing_days": missing,
            "open_weekdays": [WEEKDAYS[w] for w in plan.open_weekdays], "holidays": holidays,
            "channels": {ch: float(np.nansum(c)) for ch, c in h.counts.items()}}


def forecast_json(result: ForecastResult, command: str) -> Dict[str, Any]:
    """``forecast.json`` (see the module docstring)."""
    cal = result.calendar
    channels: Dict[str, Any] = {}
    for ch, res in result.channels.items():
        channels[ch] = {
            "method": {"name": res.method.name, "daily_model": res.method.daily.name,
                       "profile": {"weight_per_week_back": res.method.rho, "shrinkage_days": res.method.kappa},
                       "dispersion_phi": round(res.phi, 6), "fallback": res.daily.fallback or None,
                       "chosen_by": f"rolling-origin back-test over the last {result.select_weeks} weeks"},
            "effects": {k: round(v, 4) for k, v in res.daily.effects.items()},
            "effects_not_in_history": res.daily.unseen,
            "categories": category_shares(result, ch),
            "days": _days(result, res),
            "backtest": {"weeks": res.weeks, "overall": res.overall, "daily_models": res.candidates,
                         "days": res.backtest_days}}
    return {"command": command, "history": history_json(result),
            "range": {"from": result.date(int(result.days[0])).isoformat(),
                      "to": result.date(int(result.days[-1])).isoformat()},
            "calendar": {"country": cal.country, "special_days": cal.special_file, "event_factors": cal.factors},
            "channels": channels, "notes": result.notes,
            "definitions": {
                "wape": "sum over half-hours of |forecast - actual| / sum of actual arrivals",
                "bias": "sum of (forecast - actual) / sum of actual arrivals (> 0: over-forecast)",
                "daily_wape": "the WAPE of each day's total",
                "coverage": "share of half-hours (with an expected or an actual arrival) inside the 80% interval",
                "poisson_floor": "the least WAPE Poisson noise alone would leave if the forecast's means were the "
                                 "rates (each half-hour forecast by its Poisson median)",
                "last_week": "the latest same weekday with data before the week",
                "mean4": "the mean of the last four same weekdays with data"}}
