"""Unit tests of :mod:`sim.core.distributions`: moments, quantiles, sampling and parameter errors.

Every family is checked three ways against references that do not share code
with the module under test:

* ``Distribution.mean`` / ``variance`` against closed-form moments (or
  :mod:`scipy.stats`);
* ``ppf`` against ``scipy.stats`` quantile functions on a grid;
* the sample mean and variance of ``ppf(u)`` over a large fixed-seed uniform
  sample against the declared moments, with tolerances of a few standard
  errors (SE of the mean ``sqrt(var / n)``; SE of the sample variance
  ``var * sqrt((kurtosis_excess + 2) / n)``).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats

from sim.config.schema import DistConfig
from sim.core.distributions import FAMILY_PARAMS, Distribution, make_distribution
from sim.core.errors import ConfigError

N_SAMPLE = 400_000
Z_TOL = 5.0  # standard errors allowed (fixed seed: the test is deterministic, 5 SE leaves room)
Z90 = 1.2815515655446004  # standard normal 90 % quantile


def _lognorm_from_mean_cv(mean: float, cv: float):
    s2 = math.log(1 + cv * cv)
    return stats.lognorm(s=math.sqrt(s2), scale=mean * math.exp(-s2 / 2))


# name, config, analytic mean, analytic variance, scipy frozen distribution
CASES = [
    ("exponential", DistConfig("exponential", mean=300.0), 300.0, 300.0 ** 2, stats.expon(scale=300.0)),
    ("lognormal_mean_cv", DistConfig("lognormal", mean=300.0, cv=0.6), 300.0, (0.6 * 300.0) ** 2,
     _lognorm_from_mean_cv(300.0, 0.6)),
    ("lognormal_median_p90", DistConfig("lognormal", median=200.0, p90=500.0),
     200.0 * math.exp((math.log(2.5) / Z90) ** 2 / 2),
     (math.exp((math.log(2.5) / Z90) ** 2) - 1) * (200.0 * math.exp((math.log(2.5) / Z90) ** 2 / 2)) ** 2,
     stats.lognorm(s=math.log(2.5) / Z90, scale=200.0)),
    ("gamma_mean_cv", DistConfig("gamma", mean=120.0, cv=0.5), 120.0, 60.0 ** 2, stats.gamma(a=4.0, scale=30.0)),
    ("gamma_shape_scale", DistConfig("gamma", shape=2.5, scale=40.0), 100.0, 2.5 * 40.0 ** 2,
     stats.gamma(a=2.5, scale=40.0)),
    ("weibull_mean_cv", DistConfig("weibull", mean=200.0, cv=0.4), 200.0, 80.0 ** 2, None),
    ("weibull_shape_scale", DistConfig("weibull", shape=1.5, scale=100.0),
     100.0 * special.gamma(1 + 1 / 1.5),
     100.0 ** 2 * (special.gamma(1 + 2 / 1.5) - special.gamma(1 + 1 / 1.5) ** 2),
     stats.weibull_min(1.5, scale=100.0)),
    ("uniform", DistConfig("uniform", low=10.0, high=50.0), 30.0, 40.0 ** 2 / 12, stats.uniform(10.0, 40.0)),
    ("constant", DistConfig("constant", value=7.0), 7.0, 0.0, None),
    ("empirical", DistConfig("empirical", values=[7.0, 2.0, 1.0, 2.0]), 3.0, 5.5, None),
]
IDS = [c[0] for c in CASES]


def _dist(cfg: DistConfig) -> Distribution:
    return make_distribution(cfg, "test.dist")


@pytest.mark.parametrize("name,cfg,mean,var,ref", CASES, ids=IDS)
def test_declared_moments_equal_analytic(name, cfg, mean, var, ref):
    """``Distribution.mean`` and ``.variance`` equal the closed-form moments of the family."""
    d = _dist(cfg)
    assert d.family == cfg.dist, f"{name}: family {d.family!r} != {cfg.dist!r}"
    assert d.mean == pytest.approx(mean, rel=1e-9), f"{name} {cfg}: mean {d.mean} != {mean}"
    assert d.variance == pytest.approx(var, rel=1e-9, abs=1e-12), f"{name} {cfg}: variance {d.variance} != {var}"
    if ref is not None:
        assert ref.mean() == pytest.approx(mean, rel=1e-9), f"{name}: reference itself is inconsistent"


def test_weibull_mean_cv_solves_for_the_right_shape():
    """weibull mean+cv: the (shape, scale) found reproduce the requested mean and CV in scipy."""
    d = _dist(DistConfig("weibull", mean=200.0, cv=0.4))
    k, lam = d.params
    ref = stats.weibull_min(k, scale=lam)
    assert ref.mean() == pytest.approx(200.0, rel=1e-9), f"weibull(mean=200, cv=0.4) -> k={k}, lam={lam}"
    assert ref.std() / ref.mean() == pytest.approx(0.4, rel=1e-7), f"weibull(mean=200, cv=0.4) -> k={k}"


@pytest.mark.parametrize("name,cfg,mean,var,ref", [c for c in CASES if c[4] is not None],
                         ids=[c[0] for c in CASES if c[4] is not None])
def test_ppf_matches_scipy_quantiles(name, cfg, mean, var, ref):
    """``ppf`` equals the scipy.stats quantile function of the same family on a grid of u."""
    u = np.linspace(0.001, 0.999, 999)
    got = _dist(cfg).ppf(u)
    want = ref.ppf(u)
    np.testing.assert_allclose(got, want, rtol=1e-8, err_msg=f"{name} {cfg}: ppf differs from scipy")


@pytest.mark.parametrize("name,cfg,mean,var,ref", CASES, ids=IDS)
def test_sample_moments_close_to_declared(name, cfg, mean, var, ref):
    """Mean and variance of ``ppf(u)`` over 400k fixed-seed uniforms lie within 5 SE of the declared moments."""
    d = _dist(cfg)
    x = d.ppf(np.random.default_rng(20240501).random(N_SAMPLE))
    m, v = float(x.mean()), float(x.var(ddof=1))
    if var == 0.0:
        assert np.all(x == mean), f"{name} {cfg}: constant draws vary"
        return
    se_mean = math.sqrt(var / N_SAMPLE)
    # SE of the sample variance: sigma^2 * sqrt((excess kurtosis + 2) / n); excess kurtosis from the sample
    kurt = float(stats.kurtosis(x))
    se_var = var * math.sqrt((kurt + 2.0) / N_SAMPLE)
    assert abs(m - mean) < Z_TOL * se_mean, f"{name} {cfg}: sample mean {m} vs {mean} (SE {se_mean:.3g})"
    assert abs(v - var) < Z_TOL * se_var, f"{name} {cfg}: sample variance {v} vs {var} (SE {se_var:.3g})"


def test_sample_uses_ppf_of_generator_uniforms():
    """``sample(rng, n)`` is ``ppf`` of the next n uniforms of ``rng`` (inversion, common random numbers)."""
    d = _dist(DistConfig("gamma", mean=120.0, cv=0.5))
    got = d.sample(np.random.default_rng(5), 1000)
    want = d.ppf(np.random.default_rng(5).random(1000))
    np.testing.assert_array_equal(got, want, err_msg="gamma(mean=120, cv=0.5).sample(seed 5) != ppf(random)")


def test_lognormal_median_p90_reproduce_quantiles():
    """lognormal given median=200, p90=500: ppf(0.5) == 200 and ppf(0.9) == 500."""
    d = _dist(DistConfig("lognormal", median=200.0, p90=500.0))
    q = d.ppf(np.array([0.5, 0.9]))
    assert q[0] == pytest.approx(200.0, rel=1e-12), f"median {q[0]} != 200"
    assert q[1] == pytest.approx(500.0, rel=1e-12), f"p90 {q[1]} != 500"


def test_lognormal_mean_cv_reproduces_cv_property():
    """lognormal mean=300, cv=0.6: the ``cv`` property returns 0.6 and ``scaled`` keeps it."""
    d = _dist(DistConfig("lognormal", mean=300.0, cv=0.6))
    assert d.cv == pytest.approx(0.6, rel=1e-12), f"cv {d.cv} != 0.6"
    s = d.scaled(1 / 60)
    assert s.mean == pytest.approx(5.0) and s.cv == pytest.approx(0.6), f"scaled(1/60): mean {s.mean}, cv {s.cv}"
    u = np.array([0.1, 0.5, 0.9])
    np.testing.assert_allclose(s.ppf(u), d.ppf(u) / 60, rtol=1e-12, err_msg="scaled ppf != ppf / 60")


@pytest.mark.parametrize("name,cfg,mean,var,ref", CASES, ids=IDS)
def test_ppf_monotone_nonnegative_finite(name, cfg, mean, var, ref):
    """On u in [0, 1) ``ppf`` is non-decreasing, finite and never negative."""
    u = np.concatenate([[0.0, 1e-12], np.linspace(1e-6, 1 - 1e-6, 5001), [1 - 2 ** -53]])
    x = _dist(cfg).ppf(u)
    assert np.all(np.isfinite(x)), f"{name} {cfg}: non-finite ppf at u={u[~np.isfinite(x)][:3]}"
    assert np.all(x >= 0), f"{name} {cfg}: negative ppf {x[x < 0][:3]}"
    assert np.all(np.diff(x) >= 0), f"{name} {cfg}: ppf decreases"


@settings(derandomize=True, database=None, max_examples=60, deadline=None)
@given(family=st.sampled_from(["exponential", "lognormal", "gamma", "weibull"]),
       mean=st.floats(0.1, 1e5), cv=st.floats(0.05, 5.0))
def test_ppf_monotone_for_random_parameters(family, mean, cv):
    """For any mean in [0.1, 1e5] and cv in [0.05, 5] (derandomised hypothesis), ppf is monotone, >= 0, mean right."""
    cfg = DistConfig(family, mean=mean) if family == "exponential" else DistConfig(family, mean=mean, cv=cv)
    d = _dist(cfg)
    x = d.ppf(np.linspace(0.0, 0.999, 2000))
    assert np.all(np.isfinite(x)) and np.all(x >= 0), f"{cfg}: negative or non-finite ppf"
    assert np.all(np.diff(x) >= 0), f"{cfg}: ppf not monotone"
    assert d.mean == pytest.approx(mean, rel=1e-7), f"{cfg}: mean {d.mean}"
    if family != "exponential":
        assert d.cv == pytest.approx(cv, rel=1e-6), f"{cfg}: cv {d.cv}"


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("cfg", [DistConfig("lognormal", mean=100.0, cv=0.0),
                                 DistConfig("lognormal", median=100.0, p90=100.0)], ids=["cv0", "p90_eq_median"])
def test_degenerate_lognormal_ppf_at_zero_is_finite(cfg):
    """A zero-variance lognormal (allowed by validation) gives the constant 100 at every u in [0, 1), including 0."""
    x = _dist(cfg).ppf(np.array([0.0, 0.5, 0.99]))
    np.testing.assert_array_equal(x, [100.0, 100.0, 100.0], err_msg=f"{cfg}: ppf([0, .5, .99]) = {x}")


def test_empirical_resamples_given_values_with_equal_weights():
    """empirical [7, 2, 1, 2]: a stratified u grid hits each listed value exactly n/4 times (2 twice as often)."""
    d = _dist(DistConfig("empirical", values=[7.0, 2.0, 1.0, 2.0]))
    n = 4000
    x = d.ppf((np.arange(n) + 0.5) / n)
    vals, counts = np.unique(x, return_counts=True)
    assert vals.tolist() == [1.0, 2.0, 7.0], f"empirical [7,2,1,2] produced values {vals}"
    assert counts.tolist() == [1000, 2000, 1000], f"empirical [7,2,1,2] counts {counts} on a 4000-point grid"
    # edges of [0, 1): u=0 gives the smallest, u just below 1 the largest value
    assert d.ppf(np.array([0.0, 1 - 2 ** -53])).tolist() == [1.0, 7.0], "empirical ppf at u=0 / u->1"


def test_empirical_random_frequencies_are_uniform():
    """empirical of 5 distinct values: frequencies in 100k random draws pass a chi-square test of equal weights."""
    values = [3.0, 10.0, 11.0, 40.0, 100.0]
    d = _dist(DistConfig("empirical", values=values))
    x = d.sample(np.random.default_rng(77), 100_000)
    assert set(np.unique(x)) == set(values), f"empirical {values} drew {np.unique(x)}"
    counts = np.array([(x == v).sum() for v in values])
    chi2 = float(((counts - 20_000) ** 2 / 20_000).sum())
    assert chi2 < stats.chi2.ppf(0.9999, df=4), f"empirical {values}: counts {counts}, chi2 {chi2:.1f}"


def test_family_params_cover_every_family():
    """Every family named in the schema has a parameter table (a family without one cannot be built)."""
    from sim.config.schema import DIST_FAMILIES

    assert set(FAMILY_PARAMS) == set(DIST_FAMILIES), f"{set(FAMILY_PARAMS) ^ set(DIST_FAMILIES)}"


# --------------------------------------------------------------------------- errors
ERROR_CASES = [
    # id, config, expected key suffix, expected value, words in the rule
    ("unknown_family", DistConfig("pareto", mean=3.0), "dist", "pareto", "unknown distribution"),
    ("missing_mean", DistConfig("exponential"), "mean", None, "required"),
    ("missing_cv", DistConfig("lognormal", mean=100.0), "cv", None, "required"),
    ("missing_high", DistConfig("uniform", low=1.0), "high", None, "required"),
    ("missing_value", DistConfig("constant"), "value", None, "required"),
    ("cv_on_exponential", DistConfig("exponential", mean=100.0, cv=0.5), "cv", 0.5, "not a parameter"),
    ("shape_on_lognormal", DistConfig("lognormal", mean=100.0, cv=0.5, shape=2.0), "shape", 2.0, "not a parameter"),
    ("values_on_constant", DistConfig("constant", value=1.0, values=[1.0]), "values", [1.0], "not a parameter"),
    ("lognormal_both_sets", DistConfig("lognormal", mean=100.0, cv=0.5, median=90.0, p90=200.0),
     "median", 90.0, "conflicts"),
    ("gamma_both_sets", DistConfig("gamma", mean=100.0, cv=0.5, shape=4.0, scale=25.0), "shape", 4.0, "conflicts"),
    ("weibull_both_sets", DistConfig("weibull", mean=100.0, cv=0.5, shape=4.0, scale=25.0),
     "shape", 4.0, "conflicts"),
    ("zero_mean", DistConfig("exponential", mean=0.0), "mean", 0.0, "> 0"),
    ("negative_mean", DistConfig("lognormal", mean=-5.0, cv=0.5), "mean", -5.0, "> 0"),
    ("nan_mean", DistConfig("gamma", mean=float("nan"), cv=0.5), "mean", None, "finite number"),
    ("inf_mean", DistConfig("exponential", mean=float("inf")), "mean", float("inf"), "finite number"),
    ("negative_cv", DistConfig("lognormal", mean=5.0, cv=-0.1), "cv", -0.1, ">= 0"),
    ("zero_cv_gamma", DistConfig("gamma", mean=5.0, cv=0.0), "cv", 0.0, "> 0"),
    ("weibull_cv_out_of_range", DistConfig("weibull", mean=5.0, cv=25.0), "cv", 25.0, "[0.01, 20]"),
    ("zero_scale", DistConfig("weibull", shape=2.0, scale=0.0), "scale", 0.0, "> 0"),
    ("p90_below_median", DistConfig("lognormal", median=200.0, p90=150.0), "p90", 150.0, "median"),
    ("high_below_low", DistConfig("uniform", low=10.0, high=5.0), "high", 5.0, "low"),
    ("negative_low", DistConfig("uniform", low=-1.0, high=5.0), "low", -1.0, ">= 0"),
    ("negative_constant", DistConfig("constant", value=-2.0), "value", -2.0, ">= 0"),
    ("empty_empirical", DistConfig("empirical", values=[]), "values", [], "at least one"),
    ("negative_empirical", DistConfig("empirical", values=[1.0, -3.0]), "values[1]", -3.0, ">= 0"),
]


@pytest.mark.parametrize("name,cfg,suffix,value,rule", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_bad_parameters_raise_config_error(name, cfg, suffix, value, rule):
    """A bad distribution raises ConfigError whose .key, .value and .rule name the offending parameter."""
    with pytest.raises(ConfigError) as info:
        make_distribution(cfg, "calls.handle_s")
    err = info.value
    assert err.key == f"calls.handle_s.{suffix}", f"{name} {cfg}: key {err.key!r}"
    if value is not None and not (isinstance(value, float) and math.isnan(value)):
        assert err.value == value, f"{name} {cfg}: value {err.value!r} != {value!r}"
    assert rule in err.rule, f"{name} {cfg}: rule {err.rule!r} lacks {rule!r}"
    assert str(err).startswith(f"calls.handle_s.{suffix}="), f"{name}: message {err}"
    assert isinstance(err, ValueError), "ConfigError must remain a ValueError"


def test_valid_boundaries_are_accepted():
    """Edge values that are legal: uniform low == high, constant 0, lognormal p90 == median, empirical of one value."""
    assert _dist(DistConfig("uniform", low=5.0, high=5.0)).variance == 0.0, "uniform(5, 5)"
    assert _dist(DistConfig("constant", value=0.0)).mean == 0.0, "constant 0"
    assert _dist(DistConfig("lognormal", median=100.0, p90=100.0)).variance == pytest.approx(0.0), "p90 == median"
    assert _dist(DistConfig("empirical", values=[4.0])).ppf(np.array([0.3])).tolist() == [4.0], "empirical [4]"


@pytest.mark.parametrize("cfg,missing", [(DistConfig("gamma", shape=2.0), "scale"),
                                         (DistConfig("lognormal", median=100.0), "p90")],
                         ids=["gamma_shape_only", "lognormal_median_only"])
def test_missing_parameter_names_the_incomplete_set(cfg, missing):
    """When one parameter of a set is given, the error names the other member of that set."""
    with pytest.raises(ConfigError) as info:
        make_distribution(cfg, "calls.handle_s")
    assert info.value.key == f"calls.handle_s.{missing}", f"{cfg}: key {info.value.key!r}"


@pytest.mark.parametrize("cfg, text", [
    (DistConfig(dist="exponential", mean=60.0, cv=0.5), "not a parameter of an exponential distribution"),
    (DistConfig(dist="empirical", values=[1.0], mean=60.0), "not a parameter of an empirical distribution"),
    (DistConfig(dist="uniform", low=1.0), "required: a uniform distribution takes low+high"),
    (DistConfig(dist="gamma", mean=60.0, value=3.0), "not a parameter of a gamma distribution"),
])
def test_a_family_is_named_with_its_article(cfg, text):
    """The message said "a exponential distribution", "a empirical distribution"."""
    with pytest.raises(ConfigError) as info:
        make_distribution(cfg, "calls.handle_s")
    assert text in info.value.rule, info.value.rule
