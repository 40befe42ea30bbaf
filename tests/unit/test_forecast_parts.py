"""The forecast's parts on hand-made inputs: the back-test's scores and naive forecasts, the choice among
candidates, the Poisson floor, the profile's shrinkage, and the kinds of days."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from sim.forecast.backtest import Score, choose, naive, origins, poisson_floor, score
from sim.forecast.calendar import SpecialDay, build_calendar
from sim.forecast.daytypes import design, plan_days
from sim.forecast.history import SLOTS
from sim.forecast.profile import fit_profiles, shares

MONDAY = dt.date(2024, 3, 4)


def _plan(observed, n_days, special=(), country=None, start=MONDAY):
    cal = build_calendar(start, n_days, country, list(special))
    return plan_days(np.asarray(observed, dtype=bool), cal)


def test_score_by_hand():
    actual = np.zeros((3, SLOTS))
    actual[0, 10], actual[0, 11] = 10, 30       # day 0: 40 arrivals
    actual[1] = np.nan                          # day 1: no data, not scored
    actual[2, 10] = 60                          # day 2: 60 arrivals
    fc = np.zeros((3, SLOTS))
    fc[0, 10], fc[0, 11] = 20, 20               # |10| + |10| = 20, day total exact
    fc[1, 10] = 1000
    fc[2, 10], fc[2, 12] = 50, 5                # 10 + 5 = 15; day 55 vs 60
    low, high = fc - 5, fc + 5
    s = score(actual, fc, low, high)
    assert s.actual == 100 and s.abs_err == 35 and s.err == -5 and s.day_abs_err == 5
    d = s.as_dict()
    assert d["wape"] == 0.35 and d["bias"] == -0.05 and d["daily_wape"] == 0.05
    # judged: half-hours with an expected or an actual arrival: day 0 slots 10, 11; day 2 slots 10, 12
    # judged: half-hours with an expected or an actual arrival; inside: only day 2's 0 in [0, 10]
    assert s.judged == 4 and s.covered == 1 and d["coverage"] == 0.25


def test_score_coverage_counts_inclusive_bounds():
    actual = np.array([[5.0, 0.0, 7.0] + [0.0] * (SLOTS - 3)])
    fc = np.array([[5.0, 1.0, 6.0] + [0.0] * (SLOTS - 3)])
    s = score(actual, fc, fc - np.array([[0, 1, 0] + [0] * (SLOTS - 3)]), fc)
    assert s.judged == 3 and s.covered == 2  # 5 in [5, 5], 0 in [0, 1], 7 not in [6, 6]


def test_poisson_floor_is_the_least_expected_absolute_error():
    """The floor is E|Y - median|, by hand: at a fraction of an arrival a forecast of zero (error = the mean) does
    better than the mean itself (2 exp(-mu) mu for mu < 1), so the floor is the mean there, not about twice it."""
    assert poisson_floor(np.array([0.5]))[0] == pytest.approx(0.5)        # median 0: E|Y| = mu
    assert poisson_floor(np.array([0.1]))[0] == pytest.approx(0.1)
    # mu = 1: median 1, E|Y - 1| = P(0) * 1 + sum_{k>=1} (k - 1) p(k) = e^-1 + (1 - (1 - e^-1)) = 2/e
    assert poisson_floor(np.array([1.0]))[0] == pytest.approx(2 / math.e)
    # mu = 2.5: median 2; by the sum over k
    mu, k = 2.5, np.arange(60)
    p = np.exp(-mu + k * np.log(mu) - np.array([math.lgamma(x + 1) for x in k]))
    assert poisson_floor(np.array([mu]))[0] == pytest.approx(float(np.sum(np.abs(k - 2) * p)))
    assert float(np.sum(np.abs(k - 2) * p)) < float(np.sum(np.abs(k - mu) * p)), "the median beats the mean"
    assert poisson_floor(np.array([0.0]))[0] == 0.0
    big = 10000.0  # normal limit: sqrt(2 mu / pi)
    assert poisson_floor(np.array([big]))[0] == pytest.approx(math.sqrt(2 * big / math.pi), rel=1e-3)


def test_no_forecast_beats_the_poisson_floor_of_small_counts():
    """Counts drawn at 0.2 an hour-half: the floor of a forecast of 0.2 is 100% (the back-test said 164%, above
    the 100% that a forecast of zero leaves), and neither that forecast nor zero does better on average."""
    rng = np.random.default_rng(3)
    actual = rng.poisson(0.2, size=(400, SLOTS)).astype(float)
    mean_fc = np.full(actual.shape, 0.2)
    floor = score(actual, mean_fc, mean_fc * 0, mean_fc * 5).as_dict()["poisson_floor"]
    assert floor == pytest.approx(1.0)
    assert score(actual, np.zeros(actual.shape)).wape == pytest.approx(1.0)
    assert score(actual, mean_fc).wape >= floor


def _week(**wapes):
    return {k: Score(abs_err=100 * v, actual=100, day_abs_err=100 * v) for k, v in wapes.items()}


def test_choice_by_the_one_standard_error_rule():
    """B beats A every week by about the same margin: B.  B beats A on pooled WAPE only thanks to one week of
    four, by less than a standard error of the weekly differences: A, the first in order."""
    steady = [_week(A=0.060, B=0.050), _week(A=0.070, B=0.061), _week(A=0.050, B=0.041), _week(A=0.065, B=0.054)]
    assert choose(steady, ["A", "B"]) == "B"
    noisy = [_week(A=0.060, B=0.062), _week(A=0.070, B=0.072), _week(A=0.050, B=0.051), _week(A=0.090, B=0.070)]
    assert choose(noisy, ["A", "B"]) == "A"       # pooled 6.75% vs 6.375%, se of the differences 0.55 pt
    assert choose(noisy, ["B", "A"]) == "B"
    assert choose([], ["B", "A"]) == "B"
    one = [_week(A=0.06, B=0.05)]
    assert choose(one, ["A", "B"]) == "B", "one week: no standard error, the best"
    daily = [{"A": Score(abs_err=10, actual=100, day_abs_err=9), "B": Score(abs_err=5, actual=100, day_abs_err=1)}] * 3
    assert choose(daily, ["A", "B"], daily=True) == "B"


def test_naive_forecasts_skip_days_without_data_and_closed_days():
    n = 35
    counts = np.zeros((n, SLOTS))
    for i in range(n):
        counts[i, 20] = 100 + i                 # a rising series: day i has 100 + i arrivals
    observed = np.ones(n, dtype=bool)
    for i in [*(d for d in range(n) if d % 7 >= 5), 21, 28]:   # weekends and two Mondays without data
        counts[i] = np.nan
        observed[i] = False
    plan = _plan(observed, n + 7)
    test = np.arange(n, n + 7)                  # Monday 8 April ..
    last = naive(counts, plan, n, test, "last_week")
    mean4 = naive(counts, plan, n, test, "mean4")
    assert last[0, 20] == 114                   # Mondays 21 and 28 hold no data: Monday 14
    assert mean4[0, 20] == pytest.approx((114 + 107 + 100) / 3)  # only three Mondays with data
    assert last[1, 20] == 129 and mean4[1, 20] == pytest.approx((129 + 122 + 115 + 108) / 4)
    assert last[5].sum() == 0 and last[6].sum() == 0 and plan.closed[n + 5]  # never open at weekends


def test_origins_leave_two_weeks_before_them():
    assert origins(100, 3) == [79, 86, 93]
    assert origins(30, 8) == [16, 23] and origins(20, 8) == []


def test_profile_shrinks_a_rare_type_towards_the_pooled_profile():
    """Three weeks of Mondays to Fridays, each with its own shape; one open holiday with a flat shape.
    With rho = 1 (no decay) a weekday's profile is lambda * own + (1 - lambda) * pooled with
    lambda = n / (n + kappa): n = 3 for a weekday, 1 for the holiday."""
    n = 21
    cal = build_calendar(MONDAY, n + 7, None, [SpecialDay(MONDAY + dt.timedelta(days=9), "holiday", "h")])
    counts = np.full((n, SLOTS), np.nan)
    for i in range(n):
        if i % 7 < 5:
            counts[i] = 0
            counts[i, 10 + i % 7] = 100          # weekday w: every arrival in half-hour 10 + w
    counts[9] = 0
    counts[9, 20:30] = 10                        # the holiday (a Wednesday): flat over 20..29
    plan = plan_days(~np.isnan(counts[:, 0]), cal)
    assert plan.kind(9) == "holiday"
    share, _ = shares(counts)
    kappa = 2.0
    prof = fit_profiles(share, plan, n, ["Mon", "Wed", "holiday"], rho=1.0, kappa=kappa)
    regular = [i for i in range(n) if i % 7 < 5 and i != 9]
    pooled = np.nanmean(share[regular], axis=0)
    lam = 3 / (3 + kappa)
    assert np.allclose(prof.of("Mon"), lam * np.eye(SLOTS)[10] + (1 - lam) * pooled)
    lam_wed = 2 / (2 + kappa)                    # one Wednesday was the holiday
    assert np.allclose(prof.of("Wed"), lam_wed * np.eye(SLOTS)[12] + (1 - lam_wed) * pooled)
    lam_h = 1 / (1 + kappa)
    flat = np.where((np.arange(SLOTS) >= 20) & (np.arange(SLOTS) < 30), 0.1, 0.0)
    assert np.allclose(prof.of("holiday"), lam_h * flat + (1 - lam_h) * pooled)
    assert np.allclose(prof.of("Sun"), pooled), "a type without days takes the pooled profile"


def test_open_weekdays_need_data_on_half_their_days():
    n = 28
    observed = np.array([d % 7 < 5 for d in range(n)])
    observed[[5, 12]] = True                       # two of four Saturdays hold data: open
    observed[[6]] = True                           # one of four Sundays: closed
    plan = _plan(observed, n + 7)
    assert plan.open_weekdays == [0, 1, 2, 3, 4, 5]
    assert plan.closed[n + 6] and plan.reason[n + 6] == "the centre does not open on Sundays" and not plan.closed[n + 5]
    assert plan.notes == ["1 day(s) of the history hold data on a weekday the centre opens on fewer than half of "
                          "its days: left out, and such weekdays are forecast closed"]


def test_holidays_close_by_name_then_by_share():
    """A holiday the history holds closed closes again under the same name; one it does not hold follows
    the share of holidays the centre closed (here: 1 of 2 open -> closes at >= 50%)."""
    start = dt.date(2023, 1, 9)                     # US: MLK 16 Jan, Presidents' Day 20 Feb, Memorial Day 29 May
    n = 20 * 7
    observed = np.array([(start + dt.timedelta(days=i)).weekday() < 5 for i in range(n)])
    observed[(dt.date(2023, 1, 16) - start).days] = False    # MLK: closed
    plan = _plan(observed, n + 365, country="US", start=start)
    presidents = (dt.date(2023, 2, 20) - start).days
    assert plan.kind(presidents) == "holiday" and not plan.closed[presidents]
    memorial = (dt.date(2023, 5, 29) - start).days
    assert plan.closed[memorial] and plan.reason[memorial] == "closed: Memorial Day"  # share 1/2 -> closed
    mlk_next = (dt.date(2024, 1, 15) - start).days
    assert plan.closed[mlk_next], "closed last year under the same name"
    pres_next = (dt.date(2024, 2, 19) - start).days
    assert plan.kind(pres_next) == "holiday", "open last year under the same name"


def test_after_break_counts_regular_working_days():
    observed = np.array([d % 7 < 5 for d in range(14)])
    observed[4] = False                                        # Friday 8 March: no data (not a break)
    special = [SpecialDay(MONDAY + dt.timedelta(days=7), "closed", "x")]   # Monday 11 March closed
    plan = _plan(observed, 21, special)
    assert list(plan.after[:21]) == [0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    assert plan.reason[7] == "declared closed" and not plan.closed[4]
    X, names = design(plan, np.array([8, 9, 10, 11]), 3)
    assert names[:4] == ["Tue", "Wed", "Thu", "Fri"] and "holiday" in names
    k = names.index("working day 1 after a break")
    assert list(X[:, k]) == [1, 0, 0, 0] and list(X[:, k + 2]) == [0, 0, 1, 0]


def test_month_edges_are_the_first_and_last_regular_working_days():
    observed = np.array([d % 7 < 5 for d in range(42)])
    plan = _plan(observed, 42, [SpecialDay(dt.date(2024, 4, 1), "closed", "x")])
    firsts = [MONDAY + dt.timedelta(days=int(i)) for i in np.flatnonzero(plan.month_first)]
    lasts = [MONDAY + dt.timedelta(days=int(i)) for i in np.flatnonzero(plan.month_last)]
    assert lasts == [dt.date(2024, 3, 29)] and firsts == [dt.date(2024, 4, 2)]  # 1 April closed: the 2nd


def test_adjusted_working_day_counts_as_an_average_working_weekday():
    sunday = MONDAY + dt.timedelta(days=13)
    plan = _plan([d % 7 < 5 for d in range(14)], 21, [SpecialDay(sunday, "workday", "make-up")])
    i = (sunday - MONDAY).days
    assert plan.kind(i) == "workday" and not plan.closed[i]
    X, names = design(plan, np.array([i]), 3)
    row = dict(zip(names, X[0]))
    assert all(row[w] == pytest.approx(0.2) for w in ("Tue", "Wed", "Thu", "Fri"))
    assert row["adjusted working day"] == 1.0
