"""The erlang plan's occupancy cap holds in every interval when a day is busier than average.

A single queue (120 Erlang, exponential 4-minute calls, no online work) whose daily volume has a
gamma day multiplier of CV 0.15 (``arrivals.phone.day_cv``): each replication's day is busier or
quieter as a whole, so the occupancy pooled over the run's 4 replications moves with the mean of
4 multipliers (standard deviation 7.5%) in every interval at once.  With
``staffing.target.max_occupancy=0.85`` the erlang plan must keep the measured occupancy at or below
0.85 in every interval; the seed (7) draws busy days: a rule that counts only the Poisson noise of
each interval's arrivals (as it did) staffs for about 0.85 less 6% and is above the cap in 23 of the
44 half-hours after the warm-up, up to 0.89.
"""

from __future__ import annotations

import numpy as np

from sim.analysis.staffing_kpis import pooled_intervals
from sim.api import compose_config, run

CAP = 0.85
WARMUP = 4  # half-hours of experiment.warmup_h=2


def _occupancy(day_cv: float) -> tuple[np.ndarray, float]:
    cfg = compose_config("single_queue", ["staffing.policy=erlang", f"staffing.target.max_occupancy={CAP}",
                                          f"arrivals.phone.day_cv={day_cv}", "experiment.replications=4",
                                          "experiment.seed=7", "experiment.progress=false"])
    exp = run(cfg)
    return pooled_intervals(exp.replications)["occupancy"][WARMUP:], exp.summary["operator_hours"]["mean"]


def test_the_occupancy_cap_holds_in_every_interval_on_busy_days():
    occ, hours = _occupancy(0.15)
    assert not np.any(np.isnan(occ)) and occ.size == 44
    assert np.all(occ <= CAP), f"above {CAP} in {int(np.sum(occ > CAP))} intervals, up to {np.max(occ):.4f}"
    steady, steady_hours = _occupancy(0.0)
    assert np.all(steady <= CAP)
    # The busier days cost operators: without a day multiplier the plan is smaller (3,366 against 3,960 h).
    assert steady_hours < 0.9 * hours, (steady_hours, hours)
