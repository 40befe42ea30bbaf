"""Unit tests of :mod:`sim.analysis.theory` against published Erlang tables and exact limits."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import linalg, special

from sim.analysis.theory import (
    QueueMetrics,
    _served_wait_cdfs,
    erlang_a_birth_death,
    erlang_a_metrics,
    erlang_b,
    erlang_c,
    erlang_c_metrics,
    offered_load,
)
from sim.analysis.theory_staffing import halfin_whitt_p_wait, required_agents, square_root_staffing

# Erlang C family: 100 calls per half hour, AHT 180 s -> R = 10 Erlang.
LAM_C, MU_C, T_C = 100 / 1800, 1 / 180, 20.0
# Erlang A family: 2 calls/s, AHT 45 s -> R = 90 Erlang, mean patience 120 s.
LAM_A, MU_A, THETA_A = 2.0, 1 / 45, 1 / 120

ERLANG_C_TABLE = [
    # c, P(wait), ASA, SL(20 s), occupancy, Erlang B
    (11, 0.6821, 122.78, 0.3896, 0.9091, 0.1632),
    (12, 0.4494, 40.44, 0.6402, 0.8333, 0.1197),
    (13, 0.2853, 17.12, 0.7956, 0.7692, 0.0843),
    (14, 0.1741, 7.84, 0.8884, 0.7143, 0.0568),
    (15, 0.1020, 3.67, 0.9415, 0.6667, 0.0365),
    (16, 0.0573, 1.72, 0.9706, 0.6250, 0.0223),
]

ERLANG_A_TABLE = [
    # c, P(wait), P(abandon), E[W] all, E[W] served, utilisation
    (80, 0.9686, 0.11286, 13.5436, 14.1130, 0.9980),
    (85, 0.8550, 0.06553, 7.8634, 7.9497, 0.9894),
    (90, 0.6307, 0.03192, 3.8310, 3.7973, 0.9681),
    (95, 0.3767, 0.01323, 1.5877, 1.5603, 0.9348),
    (100, 0.1835, 0.00475, 0.5695, 0.5588, 0.8957),
    (105, 0.0736, 0.00148, 0.1773, 0.1742, 0.8559),
    (110, 0.0244, 0.00040, 0.0476, 0.0469, 0.8179),
]

IDENTITY_CASES = [
    # lam, mu, theta, c
    (LAM_A, MU_A, THETA_A, 80),
    (LAM_A, MU_A, THETA_A, 100),
    (0.5, 0.1, 0.05, 3),
    (1.0, 0.2, 1.0, 2),
    (10.0, 0.01, 0.002, 900),
    (0.05, 1.0, 0.3, 1),
]


def half_unit(x: float) -> float:
    """Half a unit in the last printed decimal of a table value (plus float slack)."""
    decimals = len(repr(x).split(".")[1]) if "." in repr(x) else 0
    return 0.5 * 10.0 ** (-decimals) + 1e-12


def poisson_pmf(n: np.ndarray, mean: float) -> np.ndarray:
    """Poisson pmf in log space (scipy.stats is avoided: it is slow to import)."""
    n = np.asarray(n, dtype=float)
    return np.exp(n * math.log(mean) - mean - special.gammaln(n + 1.0))


def uniformised_cdfs(a: float, theta: float, k_max: int, t: float) -> np.ndarray:
    """Hypoexponential CDFs at t for k = 0..k_max by uniformisation (independent method)."""
    rates = a + theta * np.arange(1, k_max + 2)  # stage rates a + i theta, i = 1..k_max+1
    big = rates.max()
    q = rates / big
    n_max = int(big * t + 12 * math.sqrt(big * t) + 50)
    weights = poisson_pmf(np.arange(n_max + 1), big * t)
    v = np.zeros(k_max + 2)
    v[0] = 1.0  # v[m] = P(absorbed within n jumps | m stages left)
    acc = weights[0] * v
    for n in range(1, n_max + 1):
        v[1:] = q * v[:-1] + (1.0 - q) * v[1:]
        acc = acc + weights[n] * v
    return acc[1:]


def absorbing_chain_sl(lam: float, mu: float, theta: float, c: int, t: float) -> float:
    """P(served and W <= t) from expm of the absorbing chain of a tagged waiting caller."""
    pi = erlang_a_birth_death(lam, mu, theta, c)
    k_max = pi.size - c - 1
    a = c * mu
    size = k_max + 3  # transient j = 0..k_max, then served, abandoned
    served, abandoned = k_max + 1, k_max + 2
    gen = np.zeros((size, size))
    for j in range(k_max + 1):
        gen[j, j - 1 if j > 0 else served] += a + j * theta
        gen[j, abandoned] += theta
        gen[j, j] = -(a + (j + 1) * theta)
    p_served_by_t = linalg.expm(gen * t)[: k_max + 1, served]
    return float(pi[:c].sum() + np.dot(pi[c:], p_served_by_t))


# --------------------------------------------------------------------------- Erlang B / C


@pytest.mark.parametrize("c, p_wait, asa, sl, occ, blocking", ERLANG_C_TABLE)
def test_erlang_c_table(c: int, p_wait: float, asa: float, sl: float, occ: float,
                        blocking: float) -> None:
    """Erlang C metrics for R = 10 Erlang, threshold 20 s reproduce the published table."""
    m = erlang_c_metrics(LAM_C, MU_C, c, T_C)
    ctx = f"lam={LAM_C}, mu={MU_C}, c={c}, t={T_C}"
    assert m.p_wait == pytest.approx(p_wait, abs=half_unit(p_wait)), f"P(wait) {ctx}: {m.p_wait}"
    assert m.asa_s == pytest.approx(asa, abs=half_unit(asa)), f"ASA {ctx}: {m.asa_s}"
    assert m.service_level == pytest.approx(sl, abs=half_unit(sl)), f"SL {ctx}: {m.service_level}"
    assert m.occupancy == pytest.approx(occ, abs=half_unit(occ)), f"occupancy {ctx}: {m.occupancy}"
    b = erlang_b(c, 10.0)
    assert b == pytest.approx(blocking, abs=half_unit(blocking)), f"Erlang B c={c}, R=10: {b}"
    assert m.p_abandon == 0.0 and m.mean_wait_s == m.asa_s, f"no abandonment {ctx}"
    assert m.mean_queue == pytest.approx(LAM_C * m.asa_s, rel=1e-12), f"Little {ctx}"


def test_erlang_c_five_digits() -> None:
    """At c = 14, R = 10: P(wait) = 0.17413 and SL(20 s) = 0.88835 to five digits."""
    m = erlang_c_metrics(LAM_C, MU_C, 14, T_C)
    assert round(m.p_wait, 5) == 0.17413, f"P(wait) c=14 R=10: {m.p_wait}"
    assert round(m.service_level, 5) == 0.88835, f"SL c=14 R=10 t=20: {m.service_level}"
    assert erlang_c(14, 10.0) == pytest.approx(m.p_wait, rel=1e-14), "erlang_c vs metrics c=14 R=10"


def test_erlang_b_c_edge_cases() -> None:
    """Erlang B/C small cases and the unstable / degenerate branches."""
    assert erlang_b(0, 3.0) == 1.0, "B(0, 3) must be 1"
    assert erlang_b(1, 3.0) == pytest.approx(0.75), "B(1, R) = R/(1+R) at R=3"
    assert erlang_b(5, 0.0) == 0.0, "B(5, 0) must be 0"
    assert erlang_c(1, 0.4) == pytest.approx(0.4), "M/M/1: C = rho at rho=0.4"
    assert erlang_c(10, 10.0) == 1.0 and erlang_c(10, 12.0) == 1.0, "C = 1 for R >= c=10"
    assert 0.0 < erlang_b(3000, 2900.0) < 1.0, "B finite for c=3000, R=2900"
    with pytest.raises(ValueError):
        erlang_c_metrics(10 * MU_C, MU_C, 10, T_C)  # R = c = 10: unstable
    with pytest.raises(ValueError):
        erlang_b(-1, 1.0)
    assert offered_load(LAM_A, 45.0) == pytest.approx(90.0), "offered_load(2/s, 45 s)"


# --------------------------------------------------------------------------- Erlang A


@pytest.mark.parametrize("c, p_wait, p_ab, w_all, w_served, occ", ERLANG_A_TABLE)
def test_erlang_a_table(c: int, p_wait: float, p_ab: float, w_all: float, w_served: float,
                        occ: float) -> None:
    """Erlang A metrics for lam=2/s, AHT 45 s, patience 120 s reproduce the table."""
    m = erlang_a_metrics(LAM_A, MU_A, THETA_A, c, 20.0)
    ctx = f"lam={LAM_A}, mu={MU_A}, theta={THETA_A}, c={c}"
    assert m.p_wait == pytest.approx(p_wait, abs=half_unit(p_wait)), f"P(wait) {ctx}: {m.p_wait}"
    assert m.p_abandon == pytest.approx(p_ab, abs=half_unit(p_ab)), f"P(ab) {ctx}: {m.p_abandon}"
    w = m.mean_wait_s
    assert w == pytest.approx(w_all, abs=half_unit(w_all)), f"E[W] all {ctx}: {w}"
    assert m.asa_s == pytest.approx(w_served, abs=half_unit(w_served)), f"ASA {ctx}: {m.asa_s}"
    assert m.occupancy == pytest.approx(occ, abs=half_unit(occ)), f"occupancy {ctx}: {m.occupancy}"


def test_theta_to_zero_is_erlang_c() -> None:
    """theta = 1e-9 gives the Erlang C P(wait), ASA and SL at c = 14, R = 10."""
    c_m = erlang_c_metrics(LAM_C, MU_C, 14, T_C)
    for t in (0.0, 5.0, 20.0, 60.0, 300.0):
        a_m = erlang_a_metrics(LAM_C, MU_C, 1e-9, 14, t)
        c_t = erlang_c_metrics(LAM_C, MU_C, 14, t)
        ctx = f"theta=1e-9, c=14, R=10, t={t}"
        assert a_m.service_level == pytest.approx(c_t.service_level, abs=1e-7), f"SL {ctx}"
    a_m = erlang_a_metrics(LAM_C, MU_C, 1e-9, 14, T_C)
    assert round(a_m.p_wait, 6) == round(c_m.p_wait, 6) == 0.174132, f"P(wait) {a_m.p_wait}"
    assert a_m.asa_s == pytest.approx(c_m.asa_s, rel=1e-6), "ASA theta=1e-9 vs Erlang C"
    assert erlang_a_metrics(LAM_C, MU_C, 0.0, 14, T_C) == c_m, "theta=0 must be Erlang C"
    with pytest.raises(ValueError):
        erlang_a_metrics(10 * MU_C, MU_C, 0.0, 10, T_C)  # theta=0 and R = c
    with pytest.raises(ValueError):
        erlang_a_birth_death(LAM_C, MU_C, 0.0, 9)  # theta=0 and R > c


@pytest.mark.parametrize("c", [1, 60, 85, 90, 120])
def test_theta_equal_mu_is_poisson(c: int) -> None:
    """theta = mu makes N Poisson(R): P(wait) = P(N >= c), P(ab) = theta E[(N-c)+]/lam."""
    r = LAM_A / MU_A
    m = erlang_a_metrics(LAM_A, MU_A, MU_A, c, 20.0)
    n = np.arange(2000)
    pois = poisson_pmf(n, r)
    p_ab = MU_A * np.dot(pois, np.maximum(n - c, 0)) / LAM_A
    ctx = f"lam={LAM_A}, mu=theta={MU_A}, c={c}"
    assert m.p_wait == pytest.approx(special.gammainc(c, r), abs=1e-10), f"P(wait) {ctx}"
    assert m.p_abandon == pytest.approx(p_ab, abs=1e-10), f"P(ab) {ctx}"
    pi = erlang_a_birth_death(LAM_A, MU_A, MU_A, c)
    assert np.allclose(pi, pois[: pi.size], atol=1e-12), f"pi vs Poisson pmf {ctx}"
    if c == 85:
        assert round(m.p_wait, 6) == 0.714994, f"P(wait) {ctx}: {m.p_wait}"
        assert round(m.p_abandon, 6) == 0.075161, f"P(ab) {ctx}: {m.p_abandon}"


def check_identities(lam: float, mu: float, theta: float, c: int, t: float = 20.0) -> QueueMetrics:
    """Assert the internal identities of the Erlang A solution; return its metrics."""
    ctx = f"lam={lam}, mu={mu}, theta={theta}, c={c}, t={t}"
    pi = erlang_a_birth_death(lam, mu, theta, c)
    m = erlang_a_metrics(lam, mu, theta, c, t)
    n = np.arange(pi.size)
    assert pi.sum() == pytest.approx(1.0, abs=1e-12), f"pi sums to {pi.sum()} ({ctx})"
    assert np.all(pi >= 0.0), f"negative pi ({ctx})"
    deaths = np.minimum(n[1:], c) * mu + np.maximum(n[1:] - c, 0) * theta
    assert np.allclose(lam * pi[:-1], deaths * pi[1:], rtol=1e-9, atol=1e-300), f"balance ({ctx})"
    e_q = float(np.dot(pi, np.maximum(n - c, 0)))
    assert m.mean_queue == pytest.approx(e_q, rel=1e-10, abs=1e-300), f"E[Q] ({ctx})"
    # Exact for the infinite chain; truncation at tol=1e-12 leaves O(1e-12) absolute slack.
    assert m.p_abandon == pytest.approx(theta * e_q / lam, rel=1e-8, abs=1e-10), f"P(ab) ({ctx})"
    busy = float(np.dot(pi, np.minimum(n, c))) / c
    assert m.occupancy == pytest.approx(busy, rel=1e-8, abs=1e-10), f"occupancy ({ctx})"
    # PASTA + per-position exits: E[W | k ahead] = (k+1)/(c mu + (k+1) theta), all callers.
    k = np.arange(pi.size - c)
    w_k = (k + 1) / (c * mu + (k + 1) * theta)
    assert m.mean_wait_s == pytest.approx(np.dot(pi[c:], w_k), rel=1e-8, abs=1e-10), f"E[W] ({ctx})"
    for name in ("p_wait", "p_abandon", "service_level", "occupancy"):
        x = getattr(m, name)
        assert 0.0 <= x <= 1.0 + 1e-12, f"{name}={x} outside [0, 1] ({ctx})"
    assert m.service_level <= 1.0 - m.p_abandon + 1e-12, f"SL > P(served) ({ctx})"
    assert m.service_level >= 1.0 - m.p_wait - 1e-12, f"SL < P(no wait) ({ctx})"
    assert m.asa_s >= 0.0 and m.mean_wait_s >= 0.0, f"negative waits ({ctx})"
    return m


@pytest.mark.parametrize("lam, mu, theta, c", IDENTITY_CASES)
def test_identities(lam: float, mu: float, theta: float, c: int) -> None:
    """P(ab) = theta E[Q]/lam, occupancy = E[min(N,c)]/c, pi sums to 1, balance holds."""
    check_identities(lam, mu, theta, c)


@settings(max_examples=80, deadline=None, derandomize=True)
@given(lam=st.floats(0.01, 5.0), mu=st.floats(0.02, 2.0), theta=st.floats(0.005, 3.0),
       c=st.integers(1, 40), t=st.floats(0.0, 600.0))
def test_identities_property(lam: float, mu: float, theta: float, c: int, t: float) -> None:
    """For random small (lam, mu, theta, c) the identities hold and probabilities lie in [0, 1]."""
    check_identities(lam, mu, theta, c, t)


def test_large_system_no_overflow() -> None:
    """c = 700, R = 650, theta = 1/120 and c = 2000, R = 2100 stay finite and satisfy the identities.  (Its speed
    is measured by benchmarks/bench_staffing.py, which times 336 Erlang A searches: no timed unit tests.)"""
    mu = 1 / 180
    m = check_identities(650 * mu, mu, 1 / 120, 700, 20.0)
    assert all(math.isfinite(x) for x in vars(m).values()), f"non-finite metrics c=700: {m}"
    big = check_identities(2100 * mu, mu, 1 / 120, 2000)
    assert 0.0 < big.p_abandon < 1.0, f"P(ab) c=2000 R=2100: {big.p_abandon}"


# --------------------------------------------------------------------------- service level


def test_hypoexponential_cdf_small_k_by_quadrature() -> None:
    """Beta-form hypoexponential CDF equals the integrated density for k = 0..6."""
    a, theta, t = 0.05, 1 / 60, 30.0
    nodes, gl_w = np.polynomial.legendre.leggauss(80)  # Gauss-Legendre on [0, t]
    x, w = 0.5 * t * (nodes + 1.0), 0.5 * t * gl_w
    cdf = _served_wait_cdfs(a, theta, np.arange(1, 8, dtype=float), t)
    for k in range(7):
        rates = a + theta * np.arange(1, k + 2)
        coef = [np.prod([r2 / (r2 - r1) for r2 in rates if r2 != r1]) for r1 in rates]
        dens = sum(cf * r * np.exp(-r * x) for cf, r in zip(coef, rates, strict=True))
        ref = float(np.dot(w, dens))
        assert cdf[k] == pytest.approx(ref, abs=1e-10), f"CDF k={k}, a={a}, theta={theta}, t={t}"


@pytest.mark.parametrize("a, theta, t", [(1.78, 1 / 120, 20.0), (0.1, 0.5, 3.0), (3.9, 1e-4, 40.0)])
def test_hypoexponential_cdf_large_k_by_uniformisation(a: float, theta: float, t: float) -> None:
    """Beta-form CDFs for k up to 1500 match uniformisation (distinct-rates form unusable)."""
    k_max = 1500
    ref = uniformised_cdfs(a, theta, k_max, t)
    got = _served_wait_cdfs(a, theta, np.arange(1, k_max + 2, dtype=float), t)
    err = np.max(np.abs(got - ref))
    assert err < 1e-10, f"max |CDF diff| = {err} for a={a}, theta={theta}, t={t}"


@pytest.mark.parametrize("lam, t", [(0.06, 0.0), (0.06, 15.0), (0.06, 60.0), (0.2, 40.0)])
def test_service_level_matches_absorbing_chain(lam: float, t: float) -> None:
    """Erlang A SL equals expm of the tagged caller's absorbing chain (c = 2)."""
    mu, theta, c = 1 / 40, 1 / 60, 2
    got = erlang_a_metrics(lam, mu, theta, c, t).service_level
    ref = absorbing_chain_sl(lam, mu, theta, c, t)
    ctx = f"lam={lam}, mu={mu}, theta={theta}, c={c}, t={t}"
    assert got == pytest.approx(ref, abs=1e-10), f"SL {ctx}: {got} vs expm {ref}"


def test_service_level_monotone_and_limit() -> None:
    """SL(t) is non-decreasing in t, equals P(no wait) at 0 and tends to P(served)."""
    for c in (80, 95):
        ts = np.linspace(0.0, 3000.0, 61)
        sls = [erlang_a_metrics(LAM_A, MU_A, THETA_A, c, float(t)).service_level for t in ts]
        ctx = f"lam={LAM_A}, mu={MU_A}, theta={THETA_A}, c={c}"
        assert np.all(np.diff(sls) >= -1e-14), f"SL not monotone in t ({ctx})"
        m = erlang_a_metrics(LAM_A, MU_A, THETA_A, c, math.inf)
        assert sls[0] == pytest.approx(1.0 - m.p_wait, abs=1e-12), f"SL(0) ({ctx})"
        assert sls[-1] == pytest.approx(1.0 - m.p_abandon, abs=1e-9), f"SL(3000) ({ctx})"
        assert m.service_level == pytest.approx(1.0 - m.p_abandon, abs=1e-12), f"SL(inf) ({ctx})"


# --------------------------------------------------------------------------- staffing


@pytest.mark.parametrize("target, value, expected", [
    ("p_wait", 0.2, 100), ("p_abandon", 0.01, 97), ("p_abandon", 0.02, 93),
    ("mean_wait_s", 1.0, 98),
])
def test_required_agents_erlang_a(target: str, value: float, expected: int) -> None:
    """Smallest c meeting each target for lam=2/s, AHT 45 s, patience 120 s."""
    c = required_agents(LAM_A, MU_A, THETA_A, 20.0, target, value)
    assert c == expected, f"required_agents({target} vs {value}) = {c}, expected {expected}"
    for cc, meets in ((c, True), (c - 1, False)):
        x = getattr(erlang_a_metrics(LAM_A, MU_A, THETA_A, cc, 20.0), target)
        assert (x <= value) is meets, f"{target}={x} at c={cc}"


def test_required_agents_erlang_c_and_errors() -> None:
    """Erlang C staffing (theta = 0) for R = 10, and unreachable or bad targets raise."""
    assert required_agents(LAM_C, MU_C, 0.0, 20.0, "service_level", 0.8) == 14, "SL>=0.8 R=10"
    assert required_agents(LAM_C, MU_C, 0.0, 20.0, "asa_s", 20.0) == 13, "ASA<=20 R=10"
    assert required_agents(LAM_C, MU_C, 0.0, 20.0, "p_wait", 0.99) == 11, "P(wait)<=0.99 R=10"
    assert required_agents(0.001, 1.0, 0.1, 20.0, "p_wait", 0.5) == 1, "tiny load needs 1 agent"
    with pytest.raises(ValueError):
        required_agents(LAM_A, MU_A, THETA_A, 20.0, "p_abandon", 0.0)  # never exactly 0
    with pytest.raises(ValueError):
        required_agents(LAM_A, MU_A, THETA_A, 20.0, "p_wait", 0.2, c_max=99)
    with pytest.raises(ValueError):
        required_agents(LAM_A, MU_A, THETA_A, 20.0, "occupancy", 0.8)


# --------------------------------------------------------------------------- Halfin-Whitt


@pytest.mark.parametrize("c, hw, exact", [
    (92, 0.7603, 0.7665), (95, 0.4845, 0.4966), (100, 0.2027, 0.2169),
    (105, 0.0712, 0.0818), (110, 0.0204, 0.0262),
])
def test_halfin_whitt_r90(c: int, hw: float, exact: float) -> None:
    """Halfin-Whitt limit and exact Erlang C P(wait) for R = 90."""
    beta = (c - 90) / math.sqrt(90)
    assert halfin_whitt_p_wait(beta) == pytest.approx(hw, abs=half_unit(hw)), f"HW beta={beta:.4f}"
    assert erlang_c(c, 90.0) == pytest.approx(exact, abs=half_unit(exact)), f"Erlang C c={c}, R=90"


def test_halfin_whitt_limit_and_square_root_staffing() -> None:
    """Exact P(wait) converges to the Halfin-Whitt value as R grows at fixed beta."""
    assert halfin_whitt_p_wait(0.0) == 1.0, "HW at beta=0"
    assert 0.0 <= halfin_whitt_p_wait(40.0) < 1e-300, "HW at beta=40 underflows gracefully"
    with pytest.raises(ValueError):
        halfin_whitt_p_wait(-0.5)
    assert square_root_staffing(100.0, 1.0) == 110, "ceil(100 + 1*10)"
    assert square_root_staffing(90.0, 0.5) == 95, "ceil(90 + 0.5*sqrt(90))"
    assert square_root_staffing(90.0, 0.0) == 90, "beta=0 staffs R"
    beta = 0.5
    errs = []
    for r in (100.0, 2500.0, 40000.0):
        c = r + beta * math.sqrt(r)  # integer for these R
        errs.append(abs(erlang_c(int(c), r) - halfin_whitt_p_wait(beta)))
    assert errs[0] > errs[1] > errs[2] and errs[2] < 0.005, f"HW convergence errors {errs}"
