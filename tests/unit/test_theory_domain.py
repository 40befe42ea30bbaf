"""Every input in the domain of :mod:`sim.analysis.theory` gives the right value or a clear ``ValueError``.

The examples that used to exhaust memory or hang (an overloaded queue with a very
long patience, a billion agents, no demand) and property tests over wide ranges.
The property tests are memory- and time-safe by design: the theory holds at most
``MAX_STATES`` states of a chain at once and refuses more with a ``ValueError``, so
no example can exhaust memory; nothing here measures time.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.analysis.theory import (
    QueueMetrics,
    erlang_a_birth_death,
    erlang_a_metrics,
    erlang_b,
    erlang_c,
    erlang_c_metrics,
)
from sim.analysis.theory_staffing import required_agents, square_root_staffing
from sim.analysis.theory_numerics import MAX_AGENTS, harmonic, log_poisson_pmf

MU = 1 / 180


def check_metrics(m: QueueMetrics, ctx: str) -> None:
    """Every field finite; probabilities in [0, 1]; SL between P(no wait) and P(served)."""
    for name, x in vars(m).items():
        assert math.isfinite(x) and x >= 0.0, f"{name}={x} ({ctx})"
    for name in ("p_wait", "p_abandon", "service_level", "occupancy"):
        assert getattr(m, name) <= 1.0, f"{name}={getattr(m, name)} > 1 ({ctx})"
    assert m.service_level <= 1.0 - m.p_abandon + 1e-9, f"SL {m.service_level} > P(served) ({ctx})"
    assert m.service_level >= 1.0 - m.p_wait - 1e-9, f"SL {m.service_level} < P(no wait) ({ctx})"


# --------------------------------------------------------------------------- the named examples
def test_overload_with_very_long_patience_is_the_fluid_limit():
    """lam = 2/s, c mu = 0.56/s, mean patience 1e9 s: the queue sits near (lam - c mu)/theta; P(ab) ~ 1 - c mu/lam."""
    lam, c, theta = 2.0, 100, 1e-9
    m = erlang_a_metrics(lam, MU, theta, c, 20.0)
    check_metrics(m, "overload, theta=1e-9")
    assert m.mean_queue == pytest.approx((lam - c * MU) / theta, rel=1e-3), f"E[Q]={m.mean_queue}"
    assert m.p_abandon == pytest.approx(1.0 - c * MU / lam, rel=1e-6), f"P(ab)={m.p_abandon}"
    assert m.p_abandon == pytest.approx(theta * m.mean_queue / lam, rel=1e-9), "P(ab) = theta E[Q] / lam"
    assert m.occupancy == pytest.approx(1.0, abs=1e-6) and m.service_level < 1e-6, m


def test_overload_with_patience_of_millennia_is_a_clear_error():
    """Mean patience 1e12 s in overload: the queue's law spans tens of millions of lengths: ValueError, no memory."""
    with pytest.raises(ValueError, match="too many for the exact solution"):
        erlang_a_metrics(2.0, MU, 1e-12, 100, 20.0)
    with pytest.raises(ValueError, match="beyond what the exact solution can hold"):
        erlang_a_metrics(2.0, MU, 1e-300, 100, 20.0)


def test_overload_without_abandonment_is_a_clear_error():
    """theta = 0 and lam >= c mu has no steady state: ValueError naming the condition."""
    with pytest.raises(ValueError, match="unstable"):
        erlang_a_metrics(1.0, MU, 0.0, 100, 20.0)
    with pytest.raises(ValueError, match="theta=0 needs lam < c\\*mu"):
        erlang_a_birth_death(1.0, MU, 0.0, 100)
    assert erlang_c(100, 180.0) == 1.0, "Erlang C of an unstable queue: everyone waits"


@pytest.mark.parametrize("theta", [0.0, 1 / 60])
def test_zero_demand_is_an_empty_system(theta):
    """lam = 0: nobody waits or abandons, service level 1, occupancy 0 (Erlang A and C)."""
    m = erlang_a_metrics(0.0, MU, theta, 10, 20.0)
    assert m == QueueMetrics(p_wait=0.0, p_abandon=0.0, service_level=1.0, asa_s=0.0, mean_wait_s=0.0,
                             occupancy=0.0, mean_queue=0.0), f"theta={theta}: {m}"
    assert list(erlang_a_birth_death(0.0, MU, theta, 10)) == [1.0]
    assert erlang_b(10, 0.0) == 0.0 and erlang_c(10, 0.0) == 0.0
    assert required_agents(0.0, MU, theta, 20.0, "service_level", 0.8) == 1


@pytest.mark.parametrize("c", [10**6, 10**9, MAX_AGENTS])
def test_huge_headcount_small_load(c):
    """A huge c with 90 Erlang: nobody waits; occupancy R/c; no array of c states is built."""
    for m in (erlang_a_metrics(0.5, MU, 1 / 60, c, 20.0), erlang_c_metrics(0.5, MU, c, 20.0)):
        check_metrics(m, f"c={c}")
        assert m.p_wait == 0.0 and m.service_level == 1.0 and m.occupancy == pytest.approx(90.0 / c), m


def test_huge_headcount_and_load_matches_halfin_whitt():
    """c = R + beta sqrt(R) at R = 1e10: Erlang B and C agree with their Halfin-Whitt limits."""
    r = 1e10
    assert erlang_b(int(r), r) == pytest.approx(math.sqrt(2.0 / (math.pi * r)), rel=1e-4), "B(R, R) ~ sqrt(2/(pi R))"
    beta = 1.0
    c = int(r + beta * math.sqrt(r))
    hw = 1.0 / (1.0 + beta * 0.8413447460685429 / 0.24197072451914337)
    assert erlang_c(c, r) == pytest.approx(hw, rel=1e-3), "Erlang C at beta=1 vs Halfin-Whitt"
    m = erlang_a_metrics(r * MU, MU, 1 / 60, c, 20.0)
    check_metrics(m, "Erlang A at R=1e10")


def test_out_of_domain_inputs_are_value_errors():
    """Negative, NaN, infinite and too-large inputs name the parameter."""
    bad = [(lambda: erlang_a_metrics(-1.0, MU, 0.1, 5, 20.0), "lam"),
           (lambda: erlang_a_metrics(math.inf, MU, 0.1, 5, 20.0), "lam"),
           (lambda: erlang_a_metrics(1.0, 0.0, 0.1, 5, 20.0), "mu"),
           (lambda: erlang_a_metrics(1.0, MU, math.nan, 5, 20.0), "theta"),
           (lambda: erlang_a_metrics(1.0, MU, 0.1, MAX_AGENTS + 1, 20.0), "c"),
           (lambda: erlang_b(10**15, 5.0), "c"),
           (lambda: erlang_b(10, math.inf), "load"),
           (lambda: square_root_staffing(math.inf, 1.0), "load")]
    for fn, name in bad:
        with pytest.raises(ValueError, match=name):
            fn()


def test_erlang_b_large_path_continues_the_recursion():
    """Above 10,000 agents B comes from closed forms; one recursion step from c = 10,000 agrees."""
    for r in (5_000.0, 9_990.0, 10_000.0, 10_050.0, 12_000.0, 40_000.0):
        b0 = erlang_b(10_000, r)
        want = r * b0 / (10_001 + r * b0)
        assert erlang_b(10_001, r) == pytest.approx(want, rel=1e-10), f"R={r}"


def test_numerics_building_blocks():
    """log Poisson pmf and the harmonic sums match direct evaluation where that is exact."""
    from scipy import special

    for n, mean in ((20, 17.5), (5000, 4800.0), (10**6, 10**6 + 3000.0)):
        direct = n * math.log(mean) - mean - float(special.gammaln(n + 1.0))
        assert log_poisson_pmf(n, mean) == pytest.approx(direct, abs=1e-8 * max(1.0, abs(direct))), (n, mean)
    for a, theta, m in ((0.5, 1e-3, 3 * 2**20), (0.5, 1e-9, 3 * 2**20), (50.0, 2.0, 3 * 2**20)):
        blocks = sum(math.fsum(1.0 / (a + theta * i) for i in range(j, min(j + 2**18, m + 1)))
                     for j in range(1, m + 1, 2**18))
        assert harmonic(a, theta, m) == pytest.approx(blocks, rel=1e-11), (a, theta, m)


# --------------------------------------------------------------------------- properties over wide ranges
LOADS = st.one_of(st.just(0.0), st.floats(1e-6, 1e7))
THETAS = st.one_of(st.just(0.0), st.floats(1e-12, 10.0))
AGENTS = st.one_of(st.integers(1, 2_000), st.integers(1, MAX_AGENTS))


@settings(max_examples=120, deadline=None, derandomize=True)
@given(load=LOADS, mu=st.floats(1e-4, 10.0), theta=THETAS, c=AGENTS, t=st.floats(0.0, 1e6))
def test_erlang_a_metrics_value_or_clear_error(load, mu, theta, c, t):
    """Any (lam, mu, theta, c, t) in range: consistent finite metrics, or a ValueError that says why."""
    lam = load * mu
    ctx = f"lam={lam}, mu={mu}, theta={theta}, c={c}, t={t}"
    try:
        m = erlang_a_metrics(lam, mu, theta, c, t)
    except ValueError as exc:
        text = str(exc)
        assert ("unstable" in text and theta == 0.0) or "exact solution" in text, f"{ctx}: {text}"
        return
    check_metrics(m, ctx)
    if lam > 0:
        assert m.p_abandon == pytest.approx(theta * m.mean_queue / lam, rel=1e-6, abs=1e-12), f"P(ab) ({ctx})"
        assert m.occupancy == pytest.approx(min(lam * (1 - m.p_abandon) / (c * mu), 1.0), rel=1e-9), ctx


@settings(max_examples=120, deadline=None, derandomize=True)
@given(c=AGENTS, load=st.floats(0.0, 1e12))
def test_erlang_b_c_in_unit_interval_and_monotone(c, load):
    """0 <= B <= C <= 1 and B(c + 1) <= B(c) for every c up to MAX_AGENTS and load up to 1e12."""
    b, b_next = erlang_b(c, load), erlang_b(min(c + 1, MAX_AGENTS), load)
    cc = erlang_c(c, load)
    assert 0.0 <= b <= 1.0 and 0.0 <= cc <= 1.0 and b <= cc + 1e-12, f"c={c}, R={load}: B={b}, C={cc}"
    assert b_next <= b * (1 + 1e-9) + 1e-300, f"c={c}, R={load}: B(c+1)={b_next} > B(c)={b}"


@settings(max_examples=40, deadline=None, derandomize=True)
@given(load=st.floats(0.0, 1e5), theta=THETAS, target=st.sampled_from(["p_wait", "p_abandon", "service_level",
                                                                          "asa_s"]),
       value=st.floats(0.0, 1.0))
def test_required_agents_is_smallest_or_clear_error(load, theta, target, value):
    """required_agents returns the smallest c meeting the target, or a ValueError (unreachable / too large)."""
    ctx = f"R={load}, theta={theta}, {target} vs {value}"
    try:
        c = required_agents(load * MU, MU, theta, 20.0, target, value)
    except ValueError as exc:
        assert "not reachable" in str(exc) or "exact solution" in str(exc), f"{ctx}: {exc}"
        return
    at_most = target != "service_level"

    def meets(n: int) -> bool:
        if theta == 0.0 and n * MU <= load * MU:
            return False
        x = getattr(erlang_a_metrics(load * MU, MU, theta, n, 20.0), target)
        return x <= value if at_most else x >= value

    assert meets(c), f"{ctx}: c={c} misses the target"
    assert c == 1 or not meets(c - 1), f"{ctx}: c-1={c - 1} meets it too"
