"""Paired comparisons with common random numbers: KPIs move the right way when one input changes.

Each comparison runs the same seed and replication numbers under neighbouring
settings of one input, so the same residents arrive in both runs and the
difference is the effect of the input, not noise.  The steps are large enough
(10 operators, 10 % of volume, doubling patience) that the ordering holds in
every replication, which is asserted, as well as for the means.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.analysis.kpis import replication_kpis

REPS = 2
COMMON = ["experiment.horizon_h=8", "experiment.warmup_h=1", "experiment.seed=9090"]


@pytest.fixture(scope="module")
def kpis(sq):
    """``kpis(changes)``: per-replication KPIs of ``single_queue`` + COMMON with dotted-key ``changes``."""
    from sim.model.replication import run_replication

    base = sq.compose(COMMON)

    def run(changes):
        cfg = sq.variant(base, changes)
        return [replication_kpis(run_replication(cfg, r)) for r in range(REPS)]

    return run


def _series(rows_by_setting, kpi):
    """Array (settings x replications) of one KPI."""
    return np.array([[row[kpi] for row in rows] for rows in rows_by_setting])


def _assert_monotone(values, settings, kpi, increasing, context):
    steps = np.diff(values, axis=0)
    ok = (steps > 0) if increasing else (steps < 0)
    assert ok.all(), (
        f"{kpi} should {'increase' if increasing else 'decrease'} along {settings} ({context}); "
        f"per replication (rows = settings):\n{np.array2string(values, precision=5)}")
    means = values.mean(axis=1)
    assert (np.diff(means) > 0).all() if increasing else (np.diff(means) < 0).all(), (
        f"mean {kpi} not monotone along {settings}: {means}")


@pytest.fixture(scope="module")
def by_operators(kpis):
    settings = [110, 120, 130, 140]
    return settings, [kpis({"staffing.operators": c}) for c in settings]


@pytest.mark.parametrize("kpi,increasing", [
    ("mean_wait_s", False), ("asa_s", False), ("abandon_rate", False), ("mean_calls_waiting", False),
    ("occupancy", False), ("service_level", True), ("answer_rate", True),
])
def test_more_operators_better_service(by_operators, kpi, increasing):
    """More operators (110, 120, 130, 140; lambda=0.5/s, AHT 240 s, patience 90 s): shorter waits, fewer
    abandons, higher service level, lower occupancy, replication by replication (same seed 9090, 2 x 8 h)."""
    settings, rows = by_operators
    _assert_monotone(_series(rows, kpi), settings, kpi, increasing, "staffing.operators, seed 9090")


def test_more_operators_same_demand(by_operators):
    """CRN sanity: the offered calls are identical across headcounts (same seed)."""
    settings, rows = by_operators
    offered = _series(rows, "calls_offered")
    assert (offered == offered[0]).all(), f"calls_offered differ across operators {settings}: {offered}"


def test_higher_arrival_rate_higher_occupancy_and_waits(kpis):
    """More calls per day (38880, 43200, 47520 at 130 operators): higher occupancy, longer waits, more
    abandons, lower service level."""
    settings = [38880, 43200, 47520]
    rows = [kpis({"arrivals.phone.per_day": n}) for n in settings]
    ctx = "arrivals.phone.per_day, 130 operators, seed 9090"
    _assert_monotone(_series(rows, "occupancy"), settings, "occupancy", True, ctx)
    _assert_monotone(_series(rows, "mean_wait_s"), settings, "mean_wait_s", True, ctx)
    _assert_monotone(_series(rows, "abandon_rate"), settings, "abandon_rate", True, ctx)
    _assert_monotone(_series(rows, "service_level"), settings, "service_level", False, ctx)


def test_longer_patience_fewer_abandons(kpis):
    """Longer mean patience (45, 90, 180, 360 s at 115 operators): lower abandonment rate, longer mean
    wait of those who stay (ASA) and a longer queue."""
    settings = [45, 90, 180, 360]
    rows = [kpis({"staffing.operators": 115, "calls.patience_s.mean": p}) for p in settings]
    ctx = "calls.patience_s.mean, 115 operators, seed 9090"
    _assert_monotone(_series(rows, "abandon_rate"), settings, "abandon_rate", False, ctx)
    _assert_monotone(_series(rows, "asa_s"), settings, "asa_s", True, ctx)
    _assert_monotone(_series(rows, "mean_calls_waiting"), settings, "mean_calls_waiting", True, ctx)


def test_more_redials_more_attempts(kpis):
    """A higher redial probability (0, 0.3, 0.6, 0.9 at 110 operators) gives strictly more redials,
    and none at probability 0."""
    settings = [0.0, 0.3, 0.6, 0.9]
    rows = [kpis({"staffing.operators": 110, "calls.retrial.probability": p}) for p in settings]
    retrials = _series(rows, "retrials")
    assert (retrials[0] == 0).all(), f"redials without calls.retrial.probability: {retrials[0]}"
    _assert_monotone(retrials, settings, "retrials", True, "calls.retrial.probability, 110 operators")


def test_threshold_changes_only_the_service_level(kpis):
    """The answer threshold only changes what counts as on time: with the same seed, service level is
    non-decreasing in the threshold and every other KPI is identical."""
    settings = [0, 5, 10, 20, 40, 1e6]
    rows = [kpis({"staffing.operators": 120, "kpi.answer_threshold_s": t}) for t in settings]
    sl = _series(rows, "service_level")
    assert (np.diff(sl, axis=0) >= 0).all(), f"service level not monotone in the threshold {settings}: {sl}"
    assert (np.diff(sl, axis=0).sum(axis=0) > 0).all(), "service level never changed with the threshold"
    np.testing.assert_array_equal(sl[-1], _series(rows, "answer_rate")[-1],
                                  err_msg="with an infinite threshold service level must equal answer rate")
    for kpi in rows[0][0]:
        if kpi == "service_level":
            continue
        v = _series(rows, kpi)
        assert np.array_equal(v, np.broadcast_to(v[0], v.shape)) or np.isnan(v).all(), (
            f"{kpi} changed with kpi.answer_threshold_s {settings}: {v}")
