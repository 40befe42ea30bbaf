"""Limited moments of the distributions, and the offered load of a time-varying queue built on them.

* ``Distribution.limited_moment(x, n) = E[min(S, x)^n]`` of every family against a numerical
  integration that shares no code with it: ``integral_0^x n s^(n-1) P(S > s) ds`` with the survival
  function of :mod:`scipy.stats` (directly for uniform, constant and empirical).
* :mod:`sim.analysis.offered_load`: a constant rate gives ``lambda E[S]`` under every rule; after a
  step of the rate, the modified offered load of exponential handle times is
  ``E[S] (lambda_1 + (lambda_2 - lambda_1)(1 - exp(-t / E[S])))`` (the M_t/M/infinity mean), whose
  interval average is checked against its closed form; the lagged rule is the rate one mean handle
  time earlier; deferrable work spread over its deadline is a moving average of the rate.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from sim.analysis.offered_load import deferred_load, infinite_server_load, interval_load, mean_rate
from sim.config.schema import DistConfig
from sim.core.distributions import make_distribution

Z90 = 1.2815515655446004
# config, scipy reference (None: checked directly)
FAMILIES = {
    "exponential": (DistConfig("exponential", mean=300.0), stats.expon(scale=300.0)),
    "lognormal": (DistConfig("lognormal", median=200.0, p90=500.0), stats.lognorm(s=math.log(2.5) / Z90, scale=200.0)),
    "gamma": (DistConfig("gamma", shape=0.5, scale=40.0), stats.gamma(0.5, scale=40.0)),
    "weibull": (DistConfig("weibull", shape=0.7, scale=100.0), stats.weibull_min(0.7, scale=100.0)),
    "uniform": (DistConfig("uniform", low=10.0, high=50.0), stats.uniform(10.0, 40.0)),
}
XS = [0.0, 1.5, 30.0, 400.0, 5000.0]


@pytest.mark.parametrize("family", list(FAMILIES))
def test_limited_moments_match_numerical_integration(family):
    cfg, ref = FAMILIES[family]
    d = make_distribution(cfg, "x")
    for n in (1, 2):
        got = d.limited_moment(np.array(XS), n)
        kinks = [p for p in (10.0, 50.0) if family == "uniform"]  # where the uniform's survival function bends
        want = [integrate.quad(lambda s: n * s ** (n - 1) * ref.sf(s), 0.0, x, limit=200,
                               points=[p for p in kinks if p < x] or None)[0] for x in XS]
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-9, err_msg=f"{family}, n={n}")
    assert float(d.limited_moment(np.array([1e12]))[0]) == pytest.approx(d.mean, rel=1e-9)
    assert float(d.limited_moment(np.array([-5.0]))[0]) == 0.0, "x <= 0 gives 0"


def test_limited_moments_of_constant_empirical_and_scaled():
    const = make_distribution(DistConfig("constant", value=7.0), "c")
    np.testing.assert_allclose(const.limited_moment(np.array([3.0, 7.0, 9.0]), 2), [9.0, 49.0, 49.0])
    emp = make_distribution(DistConfig("empirical", values=[7.0, 2.0, 1.0, 2.0]), "e")
    np.testing.assert_allclose(emp.limited_moment(np.array([2.0, 5.0]), 1), [(1 + 2 + 2 + 2) / 4, (1 + 2 + 2 + 5) / 4])
    exp = make_distribution(DistConfig("exponential", mean=300.0), "x")
    np.testing.assert_allclose(exp.scaled(2.0).limited_moment(np.array([100.0]), 2),
                               4.0 * exp.limited_moment(np.array([50.0]), 2))
    with pytest.raises(ValueError):
        exp.limited_moment(np.array([1.0]), 3)


EDGES = np.arange(0, 25) * 1800.0


@pytest.mark.parametrize("method", ["sipp", "lagged", "modified"])
def test_constant_rate_gives_lambda_times_mean(method):
    d = make_distribution(DistConfig("lognormal", mean=240.0, cv=0.8), "h")
    starts, ends = np.array([-86400.0]), np.array([86400.0])
    load = interval_load(method, starts, ends, np.array([0.5]), d, EDGES)
    np.testing.assert_allclose(load, 0.5 * 240.0, rtol=1e-9)


def test_modified_load_after_a_step_is_the_infinite_server_mean():
    """lambda 0.1/s until 6 h, then 0.3/s: m(t) = m_S (0.1 + 0.2 (1 - exp(-(t - 6h)/m_S))), averaged exactly."""
    m = 1200.0
    d = make_distribution(DistConfig("exponential", mean=m), "h")
    starts, ends, rates = np.array([-5 * 86400.0, 6 * 3600.0]), np.array([6 * 3600.0, 86400.0]), np.array([0.1, 0.3])
    got = infinite_server_load(starts, ends, rates, d, EDGES)

    def integral(t):  # integral_0^t of m(s) ds for the step at t0 = 6 h
        t0 = 6 * 3600.0
        base = 0.1 * m * t
        extra = 0.0 if t <= t0 else 0.2 * m * ((t - t0) - m * (1 - math.exp(-(t - t0) / m)))
        return base + extra

    want = np.diff([integral(t) for t in EDGES]) / 1800.0
    np.testing.assert_allclose(got, want, rtol=1e-9)
    lagged = interval_load("lagged", starts, ends, rates, d, EDGES)
    np.testing.assert_allclose(lagged, mean_rate(starts, ends, rates, EDGES - m) * m)
    sipp = interval_load("sipp", starts, ends, rates, d, EDGES)
    assert sipp[12] == pytest.approx(0.3 * m) and got[12] < 0.75 * sipp[12], "the modified load lags a rise"


def test_deferred_load_is_the_moving_average_over_the_deadline():
    starts, ends, rates = np.array([0.0, 7200.0]), np.array([7200.0, 14400.0]), np.array([0.2, 0.0])
    edges = np.array([0.0, 3600.0, 7200.0, 10800.0, 14400.0])
    got = deferred_load(starts, ends, rates, 240.0, 7200.0, edges)
    # load(t) = 240/7200 x arrivals in (t - 2 h, t]: 0.2 t for t < 2 h, 1440 - 0.2 (t - 2 h) after
    want = 240.0 / 7200.0 * np.array([0.2 * 1800.0, 0.2 * 5400.0, 1440.0 - 0.2 * 1800.0, 1440.0 - 0.2 * 5400.0])
    np.testing.assert_allclose(got, want, rtol=1e-9)
    with pytest.raises(ValueError, match="unknown offered-load method"):
        interval_load("max", starts, ends, rates, make_distribution(DistConfig("constant", value=1.0), "c"), edges)


def test_the_grid_of_whole_seconds_is_found_or_refused():
    """The largest step of which every time is a multiple; none for a time that is not whole seconds or a span of
    more steps than allowed (a lattice larger than the matrix it replaces)."""
    from sim.analysis.offered_load import grid_step

    hours, halves = np.arange(0.0, 7200.0 * 4, 3600.0), np.arange(0.0, 7200.0 * 4 + 1, 1800.0)
    assert grid_step(hours, hours + 3600.0, halves, most=100) == 1800.0
    assert grid_step(hours + 60.0, hours + 3600.0, halves, most=1000) == 60.0
    assert grid_step(hours + 60.0, hours + 3600.0, halves, most=100) is None
    assert grid_step(hours + 0.5, hours + 3600.0, halves, most=10 ** 9) is None


@pytest.mark.parametrize("family", [*FAMILIES, "empirical", "constant"])
def test_the_load_on_a_grid_is_the_direct_computation_to_the_last_bit(family, monkeypatch):
    """Pieces of a year of hours (random rates, some zero) against its half-hours: the load gathered from H at
    whole numbers of 30-minute steps equals, bit for bit, H computed at every difference of a bound and a piece."""
    import sim.analysis.offered_load as ol

    cfg = {"empirical": DistConfig("empirical", values=[5.0, 60.0, 61.0, 900.0]),
           "constant": DistConfig("constant", value=2 * 86400.0)}.get(family) or FAMILIES[family][0]
    d = make_distribution(cfg, "x")
    rng = np.random.default_rng(5)
    starts = np.arange(-24, 40 * 24) * 3600.0
    rates = np.where(rng.random(starts.size) < 0.2, 0.0, rng.gamma(2.0, 0.01, starts.size))
    edges = np.arange(40 * 48 + 1) * 1800.0
    assert ol.grid_step(starts, starts + 3600.0, edges, most=10 ** 6) == 1800.0
    fast = infinite_server_load(starts, starts + 3600.0, rates, d, edges)
    monkeypatch.setattr(ol, "grid_step", lambda *a, **k: None)
    direct = infinite_server_load(starts, starts + 3600.0, rates, d, edges)
    assert np.array_equal(fast, direct) and fast[-1] > 0
