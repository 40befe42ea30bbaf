"""The Erlang C limit (no abandonment) and the theta = mu special case of Erlang A.

With a mean patience of 1e9 s nobody hangs up in a day, so ``single_queue`` is
the M/M/c queue of :func:`sim.analysis.theory.erlang_c_metrics` (stable because c > R).
P(wait) is not a KPI, but service level, ASA (= mean wait), occupancy and the
time-average queue are; P(wait) itself is measured as 1 - service level at a
0 s threshold.

When the patience rate equals the service rate (theta = mu) every caller in the
system, waiting or served, leaves at rate mu, so the number in system N is the
M/M/infinity law Poisson(R) whatever c: busy operators + waiting calls has mean
R exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from sim.analysis.theory import erlang_a_metrics, erlang_c_metrics

NEVER_ABANDON_S = 1e9  # mean patience: P(hang up within 10 min) ~ 6e-7 per caller
KPIS = ("service_level", "asa_s", "mean_wait_s", "occupancy", "mean_calls_waiting")


@dataclass(frozen=True)
class MMc:
    """An M/M/c queue and the run that measures it."""

    name: str
    lam: float
    aht_s: float
    c: int
    threshold_s: float
    reps: int
    horizon_h: float
    warmup_h: float
    seed: int

    def overrides(self, qv, threshold_s: float | None = None) -> list[str]:
        t = self.threshold_s if threshold_s is None else threshold_s
        return qv.overrides(self.lam, self.aht_s, NEVER_ABANDON_S, self.c, t, self.reps, self.horizon_h,
                            self.warmup_h, self.seed)

    def theory(self, threshold_s: float | None = None):
        return erlang_c_metrics(self.lam, 1.0 / self.aht_s, self.c,
                                self.threshold_s if threshold_s is None else threshold_s)

    def label(self) -> str:
        return (f"{self.name}: M/M/c lam={self.lam:.6g}/s, AHT={self.aht_s}s, c={self.c} "
                f"(R={self.lam * self.aht_s:g}, rho={self.lam * self.aht_s / self.c:.3f}), "
                f"threshold={self.threshold_s}s, patience mean {NEVER_ABANDON_S:g}s, {self.reps} reps x "
                f"{self.horizon_h}h (warm-up {self.warmup_h}h), seed={self.seed}")


# The textbook family R = 10 Erlang (100 calls per half hour, AHT 180 s) of tests/unit/test_theory.py.
SMALL_12 = MMc("small_c=12", 100 / 1800, 180.0, 12, 20.0, 20, 48.0, 2.0, 201)
SMALL_14 = MMc("small_c=14", 100 / 1800, 180.0, 14, 20.0, 20, 48.0, 2.0, 202)
# The scenario's own volume without abandonment: rho = 0.923.
LARGE_130 = MMc("large_c=130", 0.5, 240.0, 130, 20.0, 10, 24.0, 2.0, 203)
CASES = [SMALL_12, SMALL_14, LARGE_130]


def _run_and_check(qv, case: MMc, threshold_s: float | None = None, kpis=KPIS) -> None:
    rows = qv.run(case.overrides(qv, threshold_s))
    th = case.theory(threshold_s)
    comps = qv.compare(rows, th, kpis)
    label = case.label() + ("" if threshold_s is None else f" [threshold {threshold_s}s]")
    table = qv.report(label, comps)
    print("\n" + table)
    bad = [c.kpi for c in comps if not c.ok]
    assert not bad, f"Erlang C value outside the {qv.confidence:.0%} CI for {bad}\n{table}"
    worst = max(r["abandon_rate"] for r in rows)
    assert worst < 1e-4, f"abandon_rate {worst} with mean patience {NEVER_ABANDON_S:g}s ({label})"


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_no_abandonment_matches_erlang_c(qv, case):
    """Service level, ASA, mean wait, occupancy and mean queue agree with Erlang C (99 % t CI)."""
    _run_and_check(qv, case)


@pytest.mark.parametrize("case", [SMALL_12, SMALL_14], ids=lambda c: c.name)
def test_probability_of_waiting_matches_erlang_c(qv, case):
    """1 - service level at a 0 s threshold (answered on arrival) agrees with the Erlang C P(wait)."""
    th = case.theory(0.0)
    assert th.service_level == pytest.approx(1.0 - th.p_wait, abs=1e-12), (
        f"theory: SL(0)={th.service_level} != 1 - C={1 - th.p_wait} ({case.label()})")
    _run_and_check(qv, case, threshold_s=0.0, kpis=("service_level",))


def test_theta_equal_mu_number_in_system_is_poisson_mean():
    """Theory self-check: with theta = mu, E[busy] + E[Q] = R for any c (N ~ Poisson(R))."""
    lam, aht = 0.5, 240.0
    for c in (100, 110, 120, 130):
        th = erlang_a_metrics(lam, 1 / aht, 1 / aht, c, 20.0)
        in_system = th.occupancy * c + th.mean_queue
        assert in_system == pytest.approx(lam * aht, rel=1e-9), (
            f"theta=mu=1/{aht}, lam={lam}, c={c}: E[busy]+E[Q]={in_system}, expected R={lam * aht}")


@pytest.mark.parametrize("c", [110, 130])
def test_theta_equal_mu_matches_erlang_a_and_poisson(qv, c):
    """Simulated theta = mu queue (patience mean = AHT = 240 s): Erlang A KPIs and E[N] = R within 99 % CI.

    E[N] is measured per replication as occupancy x mean_operators (busy
    operators) + mean_calls_waiting.
    """
    lam, aht = 0.5, 240.0
    rows = [dict(r, mean_in_system=r["occupancy"] * r["mean_operators"] + r["mean_calls_waiting"])
            for r in qv.run(qv.overrides(lam, aht, aht, c, 20.0, 10, 24.0, 2.0, 300 + c))]
    th = erlang_a_metrics(lam, 1 / aht, 1 / aht, c, 20.0)
    comps = qv.compare(rows, th, ("service_level", "abandon_rate", "asa_s", "mean_wait_s", "occupancy",
                                  "mean_calls_waiting"))
    comps += qv.compare(rows, {"mean_in_system": lam * aht}, ("mean_in_system",))
    table = qv.report(f"theta=mu: lam={lam}/s, AHT=patience={aht}s, c={c}, 10 reps x 24h (warm-up 2h), "
                      f"seed={300 + c}", comps)
    print("\n" + table)
    bad = [x.kpi for x in comps if not x.ok]
    assert not bad, f"theta=mu theory outside the {qv.confidence:.0%} CI for {bad}\n{table}"
