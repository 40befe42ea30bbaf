"""One-key what-ifs: ``arrivals.demand_factor`` and ``calls.handle_factor`` (sim/config/whatif.py, sim/model/derive.py).

* Every distribution family, in every parameter set it accepts, keeps its shape when scaled: the mean is
  ``f`` times, the CV is kept, and the quantile of every uniform number is ``f`` times (so common random
  numbers hold: the same resident's handle time is ``f`` times).
* Every shipped scenario, compiled: each constant-rate piece of every day's arrival process, per category,
  surges included, is ``f`` times the scenario's (the pieces themselves unchanged); every call handle time
  ``f`` times with its CV, online operator time unchanged; the staffing requirement's call rate, mean handle
  time and offered load follow.
* The residents drawn with the same seed have the same arrival times and categories, and each handle time is
  ``f`` times, for every family; a run measures the mean handle time and the calls offered within sampling
  error of the multiplied values.
* A factor of 1 leaves every value untouched; bad values are one line naming the key (the command line's
  one line is checked by tests/unit/test_config_errors.py).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sim.config.schema import CHANNELS, DistConfig
from sim.config.whatif import scaled_dist
from sim.core.distributions import FAMILY_PARAMS, make_distribution
from sim.core.errors import ConfigError
from sim.core.rng import Streams
from sim.model import derive
from sim.model.checks import expected_contacts
from sim.model.compile import compile_config
from sim.model.residents import COL_CATEGORY, COL_SERVICE, COL_T, day_rows

ROOT = Path(__file__).resolve().parents[2]
#: Every shipped scenario (a scenario added later is covered too).
SCENARIOS = sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))
SMALL = ["scale=0.1", "experiment.replications=1"]
#: An example of each parameter set of sim.core.distributions.FAMILY_PARAMS.
EXAMPLES = {
    ("mean",): {"mean": 180.0},
    ("mean", "cv"): {"mean": 180.0, "cv": 0.8},
    ("median", "p90"): {"median": 120.0, "p90": 400.0},
    ("shape", "scale"): {"shape": 2.5, "scale": 90.0},
    ("low", "high"): {"low": 30.0, "high": 300.0},
    ("value",): {"value": 60.0},
    ("values",): {"values": [30.0, 60.0, 200.0, 45.0]},
}
PARAMETER_SETS = [(family, option) for family, options in FAMILY_PARAMS.items() for option in options]
U = np.linspace(0.0005, 0.9995, 81)


def _dist(family: str, option: tuple) -> DistConfig:
    return DistConfig(dist=family, **EXAMPLES[option])


def test_every_parameter_set_has_an_example():
    """A family or parameter set added to sim.core.distributions must be tried below."""
    missing = [f"{family}: {'+'.join(option)}" for family, option in PARAMETER_SETS if option not in EXAMPLES]
    assert not missing, f"no example for {missing}"


@pytest.mark.parametrize("family, option", PARAMETER_SETS, ids=[f"{f}-{'+'.join(o)}" for f, o in PARAMETER_SETS])
@pytest.mark.parametrize("factor", [0.6, 1.2, 7.0])
def test_scaled_distribution_keeps_its_shape(family, option, factor):
    """The scaled distribution is that of ``f x X``: mean x f, the same CV, every quantile x f, same family."""
    given = _dist(family, option)
    before = dict(vars(given))
    base = make_distribution(given, "calls.handle_s")
    scaled = make_distribution(scaled_dist(given, factor), "calls.handle_s")
    assert vars(given) == before, "the setting itself was changed"
    assert scaled.family == base.family == family
    assert scaled.mean == pytest.approx(factor * base.mean, rel=1e-12), (scaled.mean, base.mean)
    assert scaled.cv == pytest.approx(base.cv, rel=1e-9, abs=1e-12), (scaled.cv, base.cv)
    np.testing.assert_allclose(scaled.ppf(U), factor * base.ppf(U), rtol=1e-9, atol=0.0,
                               err_msg=f"{family} {option}: the quantiles are not x {factor}")


def test_factor_one_leaves_every_value_untouched(compose_once):
    """A factor of 1 returns the very setting, and the demand's multiplier is the scale itself (so a run with
    both factors at 1 is the run without them, value for value)."""
    d = DistConfig("lognormal", mean=180.0, cv=0.8)
    assert scaled_dist(d, 1.0) is d
    cfg = compose_once("beijing_baseline", ["scale=0.37", "experiment.replications=1"])
    assert derive.demand_volume(cfg) == 0.37


def _compiled(compose_once, scenario, extra):
    return compile_config(compose_once(scenario, [*SMALL, *extra]))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_demand_factor_multiplies_every_arrival_rate(compose_once, scenario):
    """Every piece of every day (a week and a day: weekday factors, the 168-hour profile, surges), every
    category: the rate x 1.2, the pieces unchanged; the expected contacts x 1.2; handle times unchanged."""
    base = compose_once(scenario, SMALL)
    more = compose_once(scenario, [*SMALL, "arrivals.demand_factor=1.2"])
    a, b = compile_config(base), compile_config(more)
    seen = 0.0
    for ch in CHANNELS:
        for day in range(8):
            s0, e0, r0 = a.channels[ch].pieces(day)
            s1, e1, r1 = b.channels[ch].pieces(day)
            np.testing.assert_array_equal(s1, s0)
            np.testing.assert_array_equal(e1, e0)
            np.testing.assert_allclose(r1, 1.2 * r0, rtol=1e-12, atol=0.0, err_msg=f"{scenario} {ch} day {day}")
            seen += float(r0.sum())
    assert seen > 0, f"{scenario}: no demand to multiply"
    for ch, n in expected_contacts(base).items():
        assert expected_contacts(more)[ch] == pytest.approx(1.2 * n, rel=1e-12), ch
    for x, y in zip(sum(a.handle["phone"], []), sum(b.handle["phone"], []), strict=True):
        assert (x.mean, x.variance) == (y.mean, y.variance)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_handle_factor_multiplies_every_call_handle_time(compose_once, scenario):
    """Every call handle time (direct and work order, each category's, the transfer) x 1.1 with its CV and
    quantiles; online operator time, patience and the demand unchanged; the callback's wait estimate uses
    the multiplied mean."""
    a = _compiled(compose_once, scenario, [])
    b = _compiled(compose_once, scenario, ["calls.handle_factor=1.1"])
    calls = list(zip(sum(a.handle["phone"], []), sum(b.handle["phone"], []), strict=True)) + [(a.transfer, b.transfer)]
    for x, y in calls:
        assert y.mean == pytest.approx(1.1 * x.mean, rel=1e-12)
        assert y.cv == pytest.approx(x.cv, rel=1e-9, abs=1e-12)
        np.testing.assert_allclose(y.ppf(U), 1.1 * x.ppf(U), rtol=1e-9, atol=0.0)
    for x, y in list(zip(sum(a.handle["online"], []), sum(b.handle["online"], []), strict=True)) + [
            (a.patience, b.patience)]:
        assert (y.mean, y.variance, y.params) == (x.mean, x.variance, x.params)
    for ch in CHANNELS:
        np.testing.assert_array_equal(b.channels[ch].pieces(0)[2], a.channels[ch].pieces(0)[2])
    if a.callback is not None:
        assert b.callback is not None and b.callback.mean_handle_s == pytest.approx(1.1 * a.callback.mean_handle_s)


def test_category_handle_time_is_multiplied_where_it_replaces_the_default(compose_once):
    """skills_and_callbacks gives one category its own handle time (300 s): that one, and the default of the
    others (the scenario's 180 s), are both x 1.25."""
    cfg = compose_once("skills_and_callbacks", SMALL)
    own = [i for i, c in enumerate(cfg.categories.values()) if c.handle_s is not None]
    assert own, "skills_and_callbacks has no category with its own handle time any more"
    a = compile_config(cfg)
    b = _compiled(compose_once, "skills_and_callbacks", ["calls.handle_factor=1.25"])
    means_a = [d.mean for d in a.handle["phone"][derive.DIRECT]]
    means_b = [d.mean for d in b.handle["phone"][derive.DIRECT]]
    assert len(set(means_a)) > 1, means_a
    np.testing.assert_allclose(means_b, 1.25 * np.array(means_a), rtol=1e-12)


def test_staffing_requirement_reads_the_multiplied_load(compose_once):
    """The load the staffing policies plan for: call rate x 1.2, mean handle time x 1.1, offered load x 1.32
    (SIPP: rate x mean handle time); the online load x 1.2 with the demand factor alone (online operator time
    is not a call's, but an online emergency's transfer is: the handle factor adds a little)."""
    from sim.planning.requirement import requirement

    extra = [*SMALL, "staffing.policy=erlang", "staffing.offered_load=sipp"]
    r0 = requirement(compose_once("beijing_baseline", extra), agents=False)
    r1 = requirement(compose_once("beijing_baseline", [*extra, "arrivals.demand_factor=1.2",
                                                       "calls.handle_factor=1.1"]), agents=False)
    demand = requirement(compose_once("beijing_baseline", [*extra, "arrivals.demand_factor=1.2"]), agents=False)
    assert r0.call_load.max() > 0 and r0.online_load.max() > 0
    np.testing.assert_allclose(r1.call_rate, 1.2 * r0.call_rate, rtol=1e-9)
    np.testing.assert_allclose(r1.mean_handle_s, 1.1 * r0.mean_handle_s, rtol=1e-9)
    np.testing.assert_allclose(r1.call_load, 1.32 * r0.call_load, rtol=1e-9)
    np.testing.assert_allclose(demand.online_load, 1.2 * r0.online_load, rtol=1e-9)
    assert np.all(r1.online_load > demand.online_load) and np.all(r1.online_load < 1.1 * demand.online_load)


@pytest.mark.parametrize("family, option", PARAMETER_SETS, ids=[f"{f}-{'+'.join(o)}" for f, o in PARAMETER_SETS])
def test_same_residents_with_handle_times_multiplied(compose_once, family, option):
    """Common random numbers: with the same seed the residents arrive as before, in the same categories,
    and each one's handle time is x 1.3."""
    shown = ",".join(f"{k}:{v}" if not isinstance(v, list) else f"{k}:[{','.join(map(str, v))}]"
                     for k, v in EXAMPLES[option].items())
    handle = [f"calls.handle_s={{dist:{family},{shown}}}"]
    a = _compiled(compose_once, "single_queue", handle)
    b = _compiled(compose_once, "single_queue", [*handle, "calls.handle_factor=1.3"])
    ra, rb = (np.array(day_rows(sc, Streams(7, 0), 0)) for sc in (a, b))
    assert len(ra) > 3000 and ra.shape == rb.shape
    np.testing.assert_array_equal(rb[:, COL_T], ra[:, COL_T])
    np.testing.assert_array_equal(rb[:, COL_CATEGORY], ra[:, COL_CATEGORY])
    np.testing.assert_allclose(rb[:, COL_SERVICE], 1.3 * ra[:, COL_SERVICE], rtol=1e-9, atol=0.0)


def test_a_run_measures_the_multiplied_demand_and_handle_time(compose_once):
    """single_queue with demand x 1.2 (0.6 calls/s) and handle time x 1.2 (exponential, mean 288 s), 200
    operators and 4 hours: the calls offered and the mean and CV of the handle times the request log records
    are within sampling error of 8,640, 288 s and 1 (the unmultiplied 7,200 and 240 s are far outside)."""
    from sim.model.replication import run_replication

    cfg = compose_once("single_queue", ["arrivals.demand_factor=1.2", "calls.handle_factor=1.2",
                                        "staffing.operators=200", "experiment.horizon_h=4", "experiment.warmup_h=0",
                                        "experiment.replications=1", "report.request_log=true"])
    res = run_replication(cfg, 0)
    assert res.request_log is not None
    log = res.request_log.contacts
    offered = float(res.intervals["calls_offered"].sum())
    expected = 0.6 * 4 * 3600
    assert abs(offered - expected) < 4 * math.sqrt(expected), f"{offered} calls offered, expected {expected}"
    answered = np.isfinite(log["t_answered"]) & np.isfinite(log["t_handled"])
    handle = (log["t_handled"] - log["t_answered"])[answered]
    n = len(handle)
    assert n > 0.9 * expected, n
    mean, cv = float(handle.mean()), float(handle.std(ddof=1) / handle.mean())
    se = 288.0 / math.sqrt(n)
    assert abs(mean - 288.0) < 4 * se, f"mean handle time {mean:.1f} s over {n} calls, expected 288 s (se {se:.1f})"
    assert abs(cv - 1.0) < 0.06, f"CV {cv:.3f}, expected 1 (exponential)"


@pytest.mark.parametrize("override, key, rule", [
    ("arrivals.demand_factor=0", "arrivals.demand_factor", "(0, 100]"),
    ("arrivals.demand_factor=-0.5", "arrivals.demand_factor", "(0, 100]"),
    ("arrivals.demand_factor=100.5", "arrivals.demand_factor", "(0, 100]"),
    ("arrivals.demand_factor=inf", "arrivals.demand_factor", "finite"),
    ("arrivals.demand_factor=nan", "arrivals.demand_factor", "finite"),
    ("calls.handle_factor=0", "calls.handle_factor", "(0, 100]"),
    ("calls.handle_factor=1000", "calls.handle_factor", "(0, 100]"),
    ("calls.handle_factor=-inf", "calls.handle_factor", "finite"),
    # within its own range, but the handle time it makes is longer than a century
    ("calls.handle_factor=2 calls.handle_s.mean=2e9", "calls.handle_factor",
     "makes calls.handle_s.mean=4000000000.0, which must be <= 3,155,760,000"),
    # the run it makes is over the size limit: the demand factor drives it, not the per_day it multiplies
    ("arrivals.demand_factor=50 experiment.horizon_h=168", "arrivals.demand_factor", "contacts per replication"),
    # online demand only, no emergency transferred: no call handle time to multiply
    ("arrivals.phone.per_day=0 arrivals.online.per_day=500 calls.handle_s={dist:lognormal,mean:180,cv:0.8} "
     "calls.patience_s={dist:exponential,mean:120} calls.priority_classes=[emergency] kpi.answer_threshold_s=15 "
     "calls.handle_factor=1.1", "calls.handle_factor", "used only when operators handle calls"),
])
def test_bad_factor_is_refused_naming_it(compose_once, override, key, rule):
    with pytest.raises(ConfigError) as info:
        compose_once("single_queue", ["experiment.replications=1", *override.split()])
    assert info.value.key == key, str(info.value)
    assert rule in info.value.rule, str(info.value)


def test_handle_factor_applies_to_online_transfers(compose_once):
    """Without calls, an online emergency transferred to 110/119/120 still takes calls.handle_transfer_s of
    operator time: the factor is accepted and multiplies it."""
    online = ["arrivals.phone.per_day=0", "arrivals.online.per_day=500",
              "calls.handle_s={dist:lognormal,mean:180,cv:0.8}",
              "calls.patience_s={dist:exponential,mean:120}", "calls.priority_classes=[emergency]",
              "kpi.answer_threshold_s=15", "categories.all.urgency={emergency:0.1,general:0.9}",
              "categories.all.emergency_transfer_share=1"]
    a = _compiled(compose_once, "single_queue", online)
    b = _compiled(compose_once, "single_queue", [*online, "calls.handle_factor=1.5"])
    assert b.transfer.mean == pytest.approx(1.5 * a.transfer.mean)


def test_every_demand_volume_takes_the_demand_factor():
    """In sim/model/derive.py the scale is read by :func:`derive.demand_volume` (scale x demand factor) and by the
    units' capacity only: an arrival process built from ``cfg.scale`` alone (a new form of demand, such as arrivals
    per date from a file) would leave ``arrivals.demand_factor`` out."""
    import ast

    tree = ast.parse((ROOT / "sim" / "model" / "derive.py").read_text(encoding="utf-8"))
    readers = {fn.name for fn in ast.walk(tree) if isinstance(fn, ast.FunctionDef)
               for node in ast.walk(fn) if isinstance(node, ast.Attribute) and node.attr == "scale"
               and isinstance(node.value, ast.Name) and node.value.id == "cfg"}
    assert readers == {"demand_volume", "unit_directory"}, (
        f"cfg.scale read by {sorted(readers)}: multiply a demand volume by derive.demand_volume(cfg)")
