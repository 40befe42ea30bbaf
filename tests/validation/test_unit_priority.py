"""The unit planner's queueing theory against simulation: priority waits, and a unit of the model itself.

* :func:`sim.analysis.theory_priority.priority_wait_cdf` - the conditional wait of each class of the
  non-preemptive priority M/M/c queue (Davis 1966) - against an event simulation of that queue written
  here (heap of completions, one FIFO line per class), 300,000 customers: the share waiting is Erlang C
  and every class's ``P(W <= t | W > 0)`` at several ``t`` and its conditional mean (Cobham's) are within
  five standard errors (batch means over 50 batches in arrival order: successive waits are correlated);
* a unit of the simulator (``sim.model.backoffice``: orders signed most urgent class first when a slot
  frees), three classes, one exponential holding time, no response delay: the response rate of each class,
  over 6 independent replications of 500 hours after a warm-up, matches the priority queue's share of
  orders waiting within their class's limit (99% Student-t interval) - and the first-come-first-served
  share of the most urgent class, which the priority order changes, lies outside it.  The planner's
  pooled prediction (``UnitModel.rates``) is the classes' shares weighted by their orders.
"""

from __future__ import annotations

import copy
import heapq
import math
from collections import deque

import numpy as np
import pytest
from scipy import stats

from sim.analysis.theory import erlang_c
from sim.analysis.theory_priority import priority_mean_wait, priority_wait_cdf
from sim.config.schema import (
    URGENCY_CLASSES,
    CategoryConfig,
    DistConfig,
    FeedbackConfig,
    StaffingConfig,
    UnitTypeConfig,
    WorkOrderConfig,
)
from sim.model.checks import validate
from sim.model.compile import compile_config
from sim.model.replication import run_replication
from sim.planning.units_erlang import unit_models

LAMS = (0.6, 1.4, 1.0)  # arrival rates of classes 1..3 (per unit time); mu = 1, c = 4: rho = 0.75
C_SERVERS, MU = 4, 1.0


def simulate_priority(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Waits and classes of ``n`` customers of the non-preemptive priority M/M/c queue (independent code)."""
    rng = np.random.default_rng(seed)
    lam = sum(LAMS)
    arrivals = np.cumsum(rng.exponential(1.0 / lam, n))
    classes = rng.choice(len(LAMS), size=n, p=np.array(LAMS) / lam)
    service = rng.exponential(1.0 / MU, n)
    waits = np.empty(n)
    busy: list = []  # completion times
    lines = [deque() for _ in LAMS]
    i = 0
    while i < n or any(lines):
        t_next = arrivals[i] if i < n else math.inf
        if busy and busy[0] <= t_next:
            t = heapq.heappop(busy)
            for line in lines:
                if line:
                    j = line.popleft()
                    waits[j] = t - arrivals[j]
                    heapq.heappush(busy, t + service[j])
                    break
            continue
        if len(busy) < C_SERVERS:
            waits[i] = 0.0
            heapq.heappush(busy, arrivals[i] + service[i])
        else:
            lines[classes[i]].append(i)
        i += 1
    return waits, classes


@pytest.fixture(scope="module")
def simulated():
    waits, classes = simulate_priority(300_000, 11)
    keep = slice(5_000, None)  # leave out the start from empty
    return waits[keep], classes[keep]


def batch_mean(x: np.ndarray, batches: int = 50) -> tuple[float, float]:
    """Mean of ``x`` (in arrival order) and its standard error from the means of ``batches`` consecutive batches."""
    means = np.array([b.mean() for b in np.array_split(x, batches)])
    return float(x.mean()), float(means.std(ddof=1) / math.sqrt(batches))


def test_share_waiting_is_erlang_c_for_every_class(simulated):
    waits, classes = simulated
    p = erlang_c(C_SERVERS, sum(LAMS) / MU)
    for k in range(len(LAMS)):
        m, se = batch_mean((waits[classes == k] > 0).astype(float))
        assert abs(m - p) < 5 * se, (k, m, se, p)


@pytest.mark.parametrize("k", [0, 1, 2])
def test_conditional_wait_of_each_class_is_davis_law(simulated, k):
    waits, classes = simulated
    w = waits[(classes == k) & (waits > 0)]
    nu, above, through = C_SERVERS * MU, sum(LAMS[:k]), sum(LAMS[:k + 1])
    for t in (0.05, 0.2, 0.5, 1.0, 2.0):
        f = float(priority_wait_cdf(np.array([t]), nu, above, through)[0])
        m, se = batch_mean((w <= t).astype(float))
        assert abs(m - f) < 5 * se, (k, t, m, se, f)
    m, se = batch_mean(w)
    assert abs(m - priority_mean_wait(nu, above, through)) < 5 * se, (k, m, se)


def test_priority_cdf_rejects_an_unstable_class():
    with pytest.raises(ValueError, match="unstable"):
        priority_wait_cdf(np.array([1.0]), 4.0, 1.0, 4.0)


# --------------------------------------------------------------------------- a unit of the simulator
CLASSES = {"utilities": 0.2, "general": 0.5, "complex": 0.3}
LIMITS_H = {"utilities": 0.1, "general": 0.4, "complex": 1.5}
PER_HOUR, MEAN_H, SLOTS = 10.0, 1.0, 12


@pytest.fixture(scope="module")
def unit_run():
    """One unit of 12 slots, Poisson orders 10 an hour of three classes, exponential handling of 1 h, no
    response delay; 6 replications of 500 h after 24 h of warm-up."""
    from sim.api import compose_config

    cfg = copy.deepcopy(compose_config("single_queue", ["experiment.replications=1"]))
    cfg.arrivals.phone.per_day = PER_HOUR * 24
    cfg.calls.handle_s = DistConfig("constant", value=1.0)
    cfg.calls.patience_s = DistConfig("constant", value=1e9)
    cfg.staffing.operators = 50
    cfg.categories = {"repair": CategoryConfig(share=1.0, direct_share=0.0, urgency=dict(CLASSES), unit_type="dept",
                                               resolution_h=DistConfig("exponential", mean=MEAN_H),
                                               resolved_share=1.0)}
    cfg.units = {"dept": UnitTypeConfig(count=1, case_workers=SLOTS, caseload=1)}
    zero = {u: DistConfig("constant", value=0.0) for u in URGENCY_CLASSES}
    cfg.workorders = WorkOrderConfig(dispatch_delay_h=dict(zero), response_delay_h=dict(zero),
                                     response_limit_h={u: LIMITS_H.get(u, 1.0) for u in URGENCY_CLASSES},
                                     closeout_limit_h={u: 1000.0 for u in URGENCY_CLASSES})
    cfg.feedback = FeedbackConfig(mode="team", staffing=StaffingConfig(operators=1), calendar="always",
                                  reopen_probability=0.0)
    cfg.experiment.horizon_h, cfg.experiment.warmup_h, cfg.experiment.drain_h = 524.0, 24.0, 24.0
    cfg.experiment.seed = 5
    validate(cfg)
    sc = compile_config(cfg)
    results = [run_replication(cfg, r, sc) for r in range(6)]
    per_class = np.array([[r.backoffice.urgency["response_on_time"][i] / r.backoffice.urgency["response_due"][i]
                           for i in (1, 2, 3)] for r in results if r.backoffice is not None])
    return cfg, sc, per_class


def _shares(fifo: bool = False) -> list:
    lam, nu = PER_HOUR, SLOTS / MEAN_H
    p = erlang_c(SLOTS, lam * MEAN_H)
    out, done = [], 0.0
    for name in ("utilities", "general", "complex"):
        above, through = (0.0, lam) if fifo else (lam * done, lam * (done + CLASSES[name]))
        f = float(priority_wait_cdf(np.array([LIMITS_H[name]]), nu, above, through)[0])
        out.append(1 - p + p * f)
        done += CLASSES[name]
    return out


def test_a_unit_of_the_model_waits_as_the_priority_queue(unit_run):
    """Each class's response rate over the replications holds the priority queue's share in its 99% interval;
    the most urgent class's first-come-first-served share lies outside it."""
    _, _, per_class = unit_run
    theory, fifo = _shares(), _shares(fifo=True)
    for i, name in enumerate(("utilities", "general", "complex")):
        x = per_class[:, i]
        lo, hi = stats.t.interval(0.99, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
        assert lo <= theory[i] <= hi, (name, x.mean(), (lo, hi), theory[i])
    x = per_class[:, 0]
    lo, hi = stats.t.interval(0.99, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
    assert not lo <= fifo[0] <= hi, ("utilities", (lo, hi), fifo[0])


def test_the_planner_predicts_the_classes_shares_weighted_by_their_orders(unit_run):
    cfg, sc, _ = unit_run
    model = unit_models(cfg, sc, {"response_rate": 0.5, "closeout_on_time_rate": 0.5})[0]
    pooled = sum(CLASSES[n] * s for n, s in zip(("utilities", "general", "complex"), _shares()))
    assert model.rates(SLOTS)["response_rate"] == pytest.approx(pooled, abs=1e-5)
