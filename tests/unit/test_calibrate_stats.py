"""Unit tests of the calibration's statistics: duration fits, censored fits and Kaplan-Meier, arrival profiles.

* :mod:`sim.calibrate.fitting`: the mean-constrained fit keeps the sample mean exactly, AIC picks the
  generating family, the plain MLE's mean gap is reported;
* :mod:`sim.calibrate.survival`: Kaplan-Meier equals scipy's censored ECDF, the exponential censored MLE
  is the closed form, censored MLE recovers a lognormal's parameters under heavy censoring (where the
  naive mean of the events alone is far off), quantiles the curve never reaches are None;
* :mod:`sim.calibrate.arrivals`: closed hours are exactly 0, weekdays with different shapes are separate
  types, volumes per weekday, partial coverage, and the method-of-moments ``day_cv``.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from scipy import stats

from sim.calibrate.arrivals import fit_arrivals
from sim.calibrate.fitting import fit_durations, mean_constrained, mle
from sim.calibrate.survival import censored_mle, fit_censored, kaplan_meier


def test_mean_constrained_fits_keep_the_sample_mean():
    x = np.random.default_rng(1).lognormal(4.5, 1.1, 4000)
    for fam in ("exponential", "lognormal", "gamma", "weibull"):
        fit = mean_constrained(fam, x)
        assert fit.mean == pytest.approx(x.mean(), rel=1e-9), fam
        assert fit.loglik <= mle(fam, x).loglik + 1e-6, fam  # a constrained maximum is never higher
    rep = fit_durations(x)
    assert rep.chosen.family == "lognormal"
    d = rep.as_dict()
    assert d["mean"] == pytest.approx(d["sample_mean"], rel=1e-9) and abs(d["mean_gap"]) < 1e-9
    assert d["mle_mean"] == pytest.approx(rep.plain["lognormal"].mean) and d["n"] == 4000


def test_aic_picks_the_generating_family_and_drops_nonpositive_values():
    rng = np.random.default_rng(2)
    g = rng.gamma(0.6, 300.0, 5000)
    rep = fit_durations(np.concatenate([g, [0.0, -1.0, np.nan]]))
    assert rep.chosen.family == "gamma" and rep.excluded_nonpositive == 2 and rep.n == 5000
    w = stats.weibull_min(c=2.5, scale=100.0).rvs(5000, random_state=3)
    assert fit_durations(w).chosen.family == "weibull"
    assert fit_durations(np.array([5.0])) is None


def test_kaplan_meier_matches_scipy_censored_ecdf():
    rng = np.random.default_rng(4)
    t = np.round(rng.exponential(100.0, 500))  # ties on purpose
    c = np.round(rng.exponential(150.0, 500))
    obs, event = np.minimum(t, c), t <= c
    km = kaplan_meier(obs, event)
    ref = stats.ecdf(stats.CensoredData(uncensored=obs[event], right=obs[~event])).sf
    grid = np.linspace(0, obs.max(), 200)
    assert np.allclose(km.at(grid), ref.evaluate(grid), atol=1e-12)
    assert km.n_events == int(event.sum()) and km.n_censored == int((~event).sum())
    assert km.quantile(0.5) == pytest.approx(float(np.min(km.times[km.survival <= 0.5])))


def test_censored_mle_recovers_patience_the_events_alone_would_not():
    rng = np.random.default_rng(5)
    patience = rng.lognormal(5.0, 1.0, 6000)
    wait = rng.exponential(60.0, 6000)  # most callers are answered before their patience runs out
    obs, event = np.minimum(patience, wait), patience <= wait
    assert event.mean() < 0.3 and obs[event].mean() < 0.5 * math.exp(5.5)  # the naive estimate is far off
    rep = fit_censored(obs, event)
    assert rep.chosen.family == "lognormal"
    assert rep.chosen.params["mu"] == pytest.approx(5.0, abs=0.15)
    assert rep.chosen.params["sigma"] == pytest.approx(1.0, abs=0.1)
    expo = censored_mle("exponential", obs, event)
    assert expo.params["mean"] == pytest.approx(obs.sum() / event.sum())  # total time on test / events
    assert rep.km.quantile(0.5) == pytest.approx(math.exp(5.0), rel=0.1)
    assert rep.as_dict()["n_events"] == int(event.sum()) and rep.as_dict()["km_median"] == rep.km.quantile(0.5)
    short = np.minimum(wait, 20.0)  # nobody waits longer than 20 s: the curve cannot reach 0.5
    rep2 = fit_censored(np.minimum(patience, short), patience <= short)
    assert rep2.km.quantile(0.5) is None and rep2.as_dict()["km_median"] is None
    assert rep2.as_dict()["km_min_survival"] > 0.5


def _times(rng, day_counts, profile, start=dt.date(2024, 1, 1)):
    """Arrival seconds for days with the given counts and a 24-hour profile (hours without weight stay empty)."""
    out = []
    p = np.asarray(profile, float) / np.sum(profile)
    for d, n in enumerate(day_counts):
        hours = rng.choice(24, size=n, p=p)
        out.append(d * 86400.0 + hours * 3600.0 + rng.random(n) * 3600.0)
    return np.concatenate(out)


def test_closed_hours_are_zero_and_weekday_types_separate():
    rng = np.random.default_rng(6)
    day = [0] * 7 + [5] * 12 + [2] * 5
    friday = [0] * 7 + [5] * 6 + [0] * 11  # closes at 13:00
    times = []
    for d in range(28):
        prof = friday if (d % 7) == 4 else day
        times.append(_times(rng, [800], prof) + d * 86400.0)
    fit = fit_arrivals(np.concatenate(times), np.zeros(800 * 28, dtype=int), dt.date(2024, 1, 1))
    assert len(fit.hourly_profile) == 168 and len(fit.types) == 2 and [4] in fit.types
    week = np.asarray(fit.hourly_profile).reshape(7, 24)
    assert np.all(week[:, :7] == 0.0) and np.all(week[4, 13:] == 0.0)  # closed: exactly zero, not small
    assert np.allclose(week.sum(axis=1), 1.0)
    assert fit.per_day == pytest.approx(800.0, rel=1e-9) and fit.day_cv == 0.0  # same count every day
    assert fit.full_days == 27 and fit.type_names()[1] == "Fri"  # the first day is covered from 7:00 only


def test_day_cv_estimate_and_partial_coverage():
    rng = np.random.default_rng(7)
    cv = 0.25
    g = rng.gamma(1 / cv**2, cv**2, 140)
    counts = rng.poisson(500 * g)
    arr = _times(rng, counts, [1] * 24)
    fit = fit_arrivals(arr, np.zeros(len(arr), dtype=int), dt.date(2024, 1, 1))
    assert fit.day_cv == pytest.approx(cv, abs=0.06)
    # half a day only: the hours before the first arrival are not covered, the rate counts covered hours
    half = arr[(arr >= 12 * 3600.0) & (arr < 86400.0)]
    part = fit_arrivals(half, np.zeros(len(half), dtype=int), dt.date(2024, 1, 1))
    assert part.per_weekday["Mon"] == pytest.approx(len(half), rel=1e-9)
    assert any("never covered" in n for n in part.notes) and any("not in the log" in n for n in part.notes)


def test_a_family_is_kept_only_inside_the_kaplan_meier_band_else_the_curve_itself():
    from sim.calibrate.survival import empirical_values

    rng = np.random.default_rng(4)
    life = rng.exponential(300.0, 5000)
    censor = rng.exponential(600.0, 5000)
    rep = fit_censored(np.minimum(life, censor), life <= censor)
    assert "exponential" in rep.passing and not rep.empirical and rep.chosen.family in rep.passing
    # a mixture of the impatient and the patient: no family follows the curve within its band
    mix = np.where(rng.random(20000) < 0.5, rng.exponential(20.0, 20000), rng.exponential(900.0, 20000))
    cens = rng.exponential(2000.0, 20000)
    rep = fit_censored(np.minimum(mix, cens), mix <= cens)
    assert rep.passing == () and rep.empirical and rep.as_dict()["empirical"] is True
    v = empirical_values(rep, n=200)
    assert len(v) == 200 and np.all(np.diff(v) >= 0)
    for q in (0.25, 0.5, 0.75):  # the values follow the curve where it rests on enough callers
        assert abs(np.quantile(v, q) - rep.km.quantile(q)) <= 0.05 * rep.km.quantile(q) + 1.0
    assert v.max() <= 2 * rep.km.last_time + 0.05, "the tail beyond the curve stops at twice the longest duration seen"


def test_quantile_interval_of_kaplan_meier_covers_the_truth():
    rng = np.random.default_rng(5)
    hits = 0
    for _ in range(40):
        life, censor = rng.exponential(100.0, 400), rng.exponential(300.0, 400)
        km = kaplan_meier(np.minimum(life, censor), life <= censor)
        lo, hi = km.quantile_ci(0.5)
        assert lo is not None and hi is not None and lo <= km.quantile(0.5) <= hi
        hits += lo <= 100.0 * math.log(2) <= hi
    assert hits >= 34, f"a 95% interval should cover the true median in most of 40 samples, covered {hits}"
    km = kaplan_meier(np.array([1.0, 2.0, 3.0]), np.array([True, False, False]))
    assert km.quantile_ci(0.9) == (None, None), "a quantile the curve never reaches has no interval"
