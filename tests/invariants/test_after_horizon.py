"""What happens after the horizon is measured where it happens.

* A redial during the drain arrived in no reporting interval: it is counted in the recorder's slot
  after the horizon (``ReplicationResult.after_horizon``, ``summary.json`` -> ``after_horizon``), never in
  the last interval; the whole run still balances (attempts = answered + abandoned + waiting, over
  the intervals and that slot).
* ``feedback_occupancy`` covers the drain: with constant call times and a constant team, it equals
  (attempts x call time) / (team x (horizon + drain)), computed by hand from the counts - while
  every return visit of a short run falls in the drain, where a horizon-only measure sees none.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.analysis.kpis import accounting
from sim.experiments.runner import run_experiment
from sim.report.outputs import after_horizon_table

# 1 h of calls, every abandoning caller redials exactly once; 2 h of drain
REDIALS = ["experiment.horizon_h=1", "experiment.warmup_h=0", "experiment.drain_h=2", "experiment.replications=2",
           "staffing.operators=100", "calls.retrial.probability=1", "calls.retrial.max_retrials=1",
           "report.request_log=true"]


def _run(compose, overrides):
    return run_experiment(compose("single_queue", overrides))


def _logged_redials(res) -> int:
    return int(np.sum(np.asarray(res.request_log.contacts["attempts"]) - 1))


@pytest.fixture(scope="module")
def all_in_drain():
    from sim.api import compose_config

    return _run(compose_config, [*REDIALS, "calls.retrial.delay_s={dist:constant,value:3700,mean:null}"])


def test_redials_in_the_drain_stay_out_of_the_intervals(all_in_drain):
    """Every redial comes 3700 s after its abandonment, so after the 1 h horizon: no interval counts one."""
    for r in all_in_drain.replications:
        after = r.after_horizon
        assert r.intervals["retrials"].sum() == 0, (
            f"replication {r.replication}: redials of the drain counted in intervals "
            f"{np.flatnonzero(r.intervals['retrials']).tolist()}")
        assert after["retrials"] == _logged_redials(r) > 0, (after["retrials"], _logged_redials(r))
        last = len(r.intervals["calls_offered"]) - 1
        attempts = r.intervals["calls_offered"][last] + r.intervals["retrials"][last]
        assert attempts == r.intervals["calls_offered"][last], "the last interval counts attempts after the horizon"
    table = after_horizon_table(all_in_drain)
    assert table["retrials"]["per_replication"] == [_logged_redials(r) for r in all_in_drain.replications]


def test_whole_run_balances_with_the_slot_after_the_horizon(all_in_drain):
    """attempts = answered + abandoned + still waiting, summed over the intervals and the slot after them."""
    for r in all_in_drain.replications:
        iv, after = r.intervals, r.after_horizon
        attempts = iv["calls_offered"].sum() + iv["retrials"].sum() + after["retrials"]
        outcomes = (iv["calls_answered"].sum() + iv["calls_abandoned"].sum() + after["calls_answered"]
                    + after["calls_abandoned"] + accounting(r, window_only=False)["open:waiting_operator"])
        assert attempts == outcomes, (attempts, outcomes, after)


def test_redials_split_at_the_horizon(compose):
    """Redials 10 min after abandoning: those before the horizon in the intervals, the others after it."""
    exp = _run(compose, [*REDIALS, "calls.retrial.delay_s={dist:constant,value:600,mean:null}"])
    for r in exp.replications:
        inside, after = r.intervals["retrials"].sum(), r.after_horizon["retrials"]
        assert inside > 0 and after > 0 and inside + after == _logged_redials(r), (inside, after)


def test_feedback_occupancy_covers_the_drain(compose):
    """A 12-hour run: every return visit (1-3 days after a close-out) falls in the drain.  With 4 team
    members on duty around the clock and every call 100 s, occupancy = 100 x attempts / (4 x run length)."""
    cfg = compose("beijing_baseline", [
        "scale=0.02", "experiment.horizon_h=12", "experiment.drain_h=480", "experiment.replications=1",
        "experiment.jobs=1", "feedback.staffing.operators=200", "feedback.staffing.shrinkage=0",
        "feedback.calendar=always", "feedback.talk_s={dist:constant,value:100,mean:null,cv:null}",
        "feedback.no_answer_s={dist:constant,value:100}"])
    exp = run_experiment(cfg)
    r = exp.replications[0]
    assert accounting(r, window_only=False)["open:on_return_visit"] == 0, "a visit in progress at the end"
    attempts = r.backoffice.visit_attempts
    run_s = (12 + 480) * 3600.0
    assert attempts > 0 and r.intervals["feedback_busy_s"].sum() == 0, "visits expected only after the horizon"
    assert exp.per_replication[0]["feedback_occupancy"] == pytest.approx(100.0 * attempts / (4 * run_s), rel=1e-9)
