"""The ``single_queue`` scenario against the exact Erlang A (M/M/c+M) formulas.

``single_queue`` is a stationary call centre with Poisson arrivals, exponential
handle times and exponential patience, no redials and no online work: the
M/M/c+M queue whose steady state :func:`sim.analysis.theory.erlang_a_metrics` gives
exactly.  Each case runs ``R`` independent replications with a warm-up, takes
the KPIs of each replication over its measurement window (:func:`sim.analysis.kpis.replication_kpis`)
and asserts that the theoretical value lies in the 99 % Student-t confidence
interval of their mean for service level, abandonment rate, ASA, mean wait,
occupancy and time-average queue length.  The KPI definitions of
:mod:`sim.analysis.kpis` match the theory's: service level is answered within the
threshold over *all* attempts, mean wait is over answered and abandoned
attempts (``E[Q] / lambda``).

Edge effects: attempts still waiting at the horizon count in the denominators
of service level and abandonment but have no outcome; they are about
``E[Q] / (lambda T)`` of the attempts (< 1e-3 here), far below the half-widths.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from sim.analysis.theory import erlang_a_metrics

ALL_KPIS = ("service_level", "abandon_rate", "asa_s", "mean_wait_s", "occupancy", "mean_calls_waiting")


@dataclass(frozen=True)
class Case:
    """An M/M/c+M queue and the run that measures it."""

    name: str
    lam: float          # arrivals per second
    aht_s: float        # mean handle time
    patience_s: float   # mean patience
    c: int              # operators
    threshold_s: float  # service-level threshold
    reps: int
    horizon_h: float
    warmup_h: float
    seed: int

    def overrides(self, qv, **change) -> list[str]:
        p = {**self.__dict__, **change}
        return qv.overrides(p["lam"], p["aht_s"], p["patience_s"], p["c"], p["threshold_s"], p["reps"],
                            p["horizon_h"], p["warmup_h"], p["seed"])

    def theory(self, c: int | None = None, threshold_s: float | None = None):
        return erlang_a_metrics(self.lam, 1.0 / self.aht_s, 1.0 / self.patience_s, self.c if c is None else c,
                                self.threshold_s if threshold_s is None else threshold_s)

    def label(self) -> str:
        return (f"{self.name}: lam={self.lam}/s, AHT={self.aht_s}s, patience={self.patience_s}s, c={self.c} "
                f"(R={self.lam * self.aht_s:g} Erlang), threshold={self.threshold_s}s, {self.reps} reps x "
                f"{self.horizon_h}h (warm-up {self.warmup_h}h), seed={self.seed}")


DEFAULT = Case("a_default", 0.5, 240.0, 90.0, 130, 20.0, 10, 24.0, 2.0, 101)
OVERLOADED = Case("b_overloaded_c<R", 0.5, 240.0, 90.0, 110, 20.0, 10, 24.0, 2.0, 102)
LIGHT = Case("c_light", 0.5, 240.0, 90.0, 140, 20.0, 10, 24.0, 2.0, 103)
SHORT_HANDLE = Case("d_short_handle_high_volume", 2.0, 45.0, 120.0, 95, 20.0, 8, 12.0, 1.0, 104)
# A small centre at critical load (c = R = 10): far from any many-server limit, so it checks the
# exact finite-c formulas; cheap because the volume is small.
SMALL_CRITICAL = Case("e_small_c=R", 100 / 1800, 180.0, 60.0, 10, 20.0, 20, 48.0, 2.0, 105)
# Slow cases: the same families with more data.
SHORT_HANDLE_C100 = Case("d2_short_handle_c=100", 2.0, 45.0, 120.0, 100, 15.0, 16, 12.0, 1.0, 106)
DEFAULT_LONG = Case("a2_default_long", 0.5, 240.0, 90.0, 130, 20.0, 16, 48.0, 2.0, 107)

FAST_CASES = [DEFAULT, OVERLOADED, LIGHT, SHORT_HANDLE, SMALL_CRITICAL]
SLOW_CASES = [SHORT_HANDLE_C100, DEFAULT_LONG]


def _check(qv, case: Case) -> None:
    rows = qv.run(case.overrides(qv))
    comps = qv.compare(rows, case.theory(), ALL_KPIS)
    table = qv.report(case.label(), comps)
    print("\n" + table)
    bad = [c.kpi for c in comps if not c.ok]
    assert not bad, f"Erlang A value outside the {qv.confidence:.0%} CI for {bad}\n{table}"


@pytest.mark.parametrize("case", FAST_CASES, ids=lambda c: c.name)
def test_single_queue_matches_erlang_a(qv, case):
    """Every steady-state KPI of ``single_queue`` agrees with Erlang A (99 % t CI of the replication mean)."""
    _check(qv, case)


@pytest.mark.slow
@pytest.mark.parametrize("case", SLOW_CASES, ids=lambda c: c.name)
def test_single_queue_matches_erlang_a_long(qv, case):
    """Longer runs (tighter intervals) of the Erlang A comparison, incl. the short-handle case at c=100."""
    _check(qv, case)


@pytest.mark.parametrize("case", [DEFAULT, SHORT_HANDLE], ids=lambda c: c.name)
def test_comparison_has_power(qv, case):
    """The intervals are tight enough to matter: the theory of c-2 and of c+2 operators is rejected.

    Without this check a simulator with a huge variance (or too short runs)
    would pass the comparison vacuously.
    """
    rows = qv.run(case.overrides(qv))
    for dc in (-2, 2):
        comps = qv.compare(rows, case.theory(c=case.c + dc), ALL_KPIS)
        assert any(not c.ok for c in comps), (
            f"the data of {case.label()} do not reject Erlang A with c={case.c + dc} operators:\n"
            + qv.report(f"theory at c={case.c + dc}", comps))


@pytest.mark.parametrize("case", [SMALL_CRITICAL, OVERLOADED], ids=lambda c: c.name)
def test_probability_of_waiting_via_zero_threshold(qv, case):
    """With ``kpi.answer_threshold_s=0`` the service level is P(answered at once) = 1 - P(wait).

    P(wait) is not a KPI, but an attempt is answered within 0 s exactly when an
    operator is free at its arrival, so the threshold-0 service level measures
    ``1 - p_wait`` of the theory (Erlang A with threshold 0 gives the same).
    """
    th = case.theory(threshold_s=0.0)
    assert th.service_level == pytest.approx(1.0 - th.p_wait, abs=1e-9), (
        f"theory: SL(0)={th.service_level} != 1-p_wait={1 - th.p_wait} for {case.label()}")
    rows = qv.run(case.overrides(qv, threshold_s=0.0, seed=case.seed + 1000))
    comps = qv.compare(rows, th, ("service_level",))
    table = qv.report(case.label() + " [threshold 0 s: service_level = 1 - P(wait)]", comps)
    print("\n" + table)
    assert comps[0].ok, f"1 - P(wait) = {1 - th.p_wait:.6g} outside the {qv.confidence:.0%} CI\n{table}"
