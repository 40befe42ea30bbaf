"""Little's law on the records of ``single_queue`` runs: queue areas against summed waits, busy time
against answered contacts.

Sample-path identities (exact up to floating point), with ``A`` = integral of the
call-queue length (``queue_calls_s``) and ``S`` = summed waits of answered and
abandoned attempts (``wait_answered_s + wait_abandoned_s``):

* whole run from the empty start: ``A - S`` is the time waited up to the
  horizon by the calls still waiting then, so ``0 <= A - S <= sum over those
  calls of (horizon - arrival interval start)``;
* measurement window: ``A_window >= S_window`` (every wait of an attempt arriving in
  the window lies in it), and the difference, waits crossing the window's two
  edges, is about ``2 E[W] / T`` of ``A`` (< 0.3 % here), so
  ``mean_calls_waiting = (attempts / T) x mean_wait_s`` within 1 %;
* online queue: expired items waited exactly ``online.expire_h``;
* constant handle time ``h``: busy time = ``h`` x contacts taken, less the
  unfinished part of the contacts with an operator at the horizon; over the
  window the two edges move it by at most ``h`` x operators each.

With random handle times, busy time over the window is ``answered x E[h]`` up to
the sampling error of the handle times (``cv / sqrt(n)``) and the edges.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.analysis.kpis import replication_kpis
from sim.records.intervals import OPEN_STATES

CONSTANT_HANDLE = [
    "calls.handle_s.dist=constant", "calls.handle_s.value=240", "calls.handle_s.mean=null",
    "online.handle_s.dist=constant", "online.handle_s.value=240", "online.handle_s.mean=null",
    "online.handle_s.cv=null",
]
H_CONST = 240.0
LITTLE_CONFIGS = {
    "default": "default",
    "redials_lognormal": "redials_lognormal",
    "online_expiring": "online_expiring",
    "tight_staffing": "tight_staffing",
    "shifts": "shifts",
    "half_hourly_mixed": "half_hourly_mixed",
    "constant_handle_redials_online": CONSTANT_HANDLE + [
        "calls.retrial.probability=0.5", "arrivals.online.per_day=5000", "online.expire_h=0.5",
        "online.deadline_h=0.5",
        "staffing.operators=100"],
}
WINDOW_REL_TOL = 0.01


def _where(name, r) -> str:
    return f"config {name!r}, replication {r.replication}, seed {r.seed}"


def _horizon_s(r) -> float:
    return len(r.intervals["busy_s"]) * r.interval_s


def _age_bound(r, waiting_by_interval: np.ndarray) -> float:
    """Upper bound of the time waited so far by items still waiting at the horizon."""
    starts = np.arange(len(waiting_by_interval)) * r.interval_s
    return float(np.dot(waiting_by_interval, _horizon_s(r) - starts))


@pytest.mark.parametrize("name", list(LITTLE_CONFIGS))
def test_call_queue_area_equals_summed_waits_whole_run(sq, name):
    """0 <= integral of the call queue - summed waits <= age bound of the calls still waiting."""
    _, reps = sq.run(LITTLE_CONFIGS[name])
    for r in reps:
        iv = r.intervals
        area = iv["queue_calls_s"].sum()
        waits = iv["wait_answered_s"].sum() + iv["wait_abandoned_s"].sum()
        bound = _age_bound(r, sq.phone_waiting(r))
        eps = 1e-9 * max(area, 1.0)
        assert -eps <= area - waits <= bound + eps, (
            f"{_where(name, r)}: queue area {area:.6f} call-s, summed waits {waits:.6f} s, "
            f"difference {area - waits:.6f} not in [0, {bound:.1f}]")


@pytest.mark.parametrize("name", list(LITTLE_CONFIGS))
def test_littles_law_over_measurement_window(sq, name):
    """mean_calls_waiting = attempt rate in the window x mean_wait_s (within 1 %); A_window >= S_window."""
    _, reps = sq.run(LITTLE_CONFIGS[name])
    for r in reps:
        iv, w = r.intervals, r.warmup_intervals
        k = replication_kpis(r)
        window_s = (len(iv["busy_s"]) - w) * r.interval_s
        area = iv["queue_calls_s"][w:].sum()
        waits = iv["wait_answered_s"][w:].sum() + iv["wait_abandoned_s"][w:].sum()
        assert area >= waits - 1e-9 * max(area, 1.0), (
            f"{_where(name, r)}: window queue area {area:.3f} < summed waits {waits:.3f} of window attempts")
        rate = (iv["calls_offered"][w:].sum() + iv["retrials"][w:].sum()) / window_s
        lq, lw = k["mean_calls_waiting"], rate * k["mean_wait_s"]
        assert lq > 0, f"{_where(name, r)}: nobody waited; the check would be empty"
        assert lw == pytest.approx(lq, rel=WINDOW_REL_TOL), (
            f"{_where(name, r)}: L = mean_calls_waiting = {lq:.6f}, lambda x W = {rate:.6f}/s x "
            f"{k['mean_wait_s']:.4f} s = {lw:.6f} (relative difference {(lw - lq) / lq:+.2e})")


@pytest.mark.parametrize("name", ["online_expiring", "half_hourly_mixed", "constant_handle_redials_online"])
def test_online_queue_area_equals_waits(sq, name):
    """Online queue: area = accepted waits + expired x expire time + age of the items still waiting."""
    cfg, reps = sq.run(LITTLE_CONFIGS[name])
    expire_s = cfg.online.expire_h * 3600.0
    for r in reps:
        iv = r.intervals
        area = iv["queue_online_s"].sum()
        waits = iv["wait_online_s"].sum() + iv["online_expired"].sum() * expire_s
        still = iv["online_offered"] - iv["online_accepted"] - iv["online_expired"]
        bound = _age_bound(r, still)
        eps = 1e-9 * max(area, 1.0)
        assert area > 0, f"{_where(name, r)}: no online item ever waited"
        assert -eps <= area - waits <= bound + eps, (
            f"{_where(name, r)}: online queue area {area:.3f}, accepted waits + expiries {waits:.3f}, "
            f"difference {area - waits:.3f} not in [0, {bound:.1f}]")


def test_busy_time_with_constant_handle_is_exact(sq):
    """Constant handle h: 0 <= h x taken - busy <= h x with_operator at the horizon (whole run), and over
    the window |busy - h x taken| <= h x operators (the work straddling the window's start and end)."""
    name = "constant_handle_redials_online"
    cfg, reps = sq.run(LITTLE_CONFIGS[name])
    c = cfg.staffing.operators
    for r in reps:
        iv, w = r.intervals, r.warmup_intervals
        taken = iv["calls_answered"] + iv["online_accepted"]
        busy = iv["busy_s"].sum()
        in_service = r.open[OPEN_STATES.index("with_operator")].sum()
        gap = H_CONST * taken.sum() - busy
        eps = 1e-9 * busy
        assert -eps <= gap <= H_CONST * in_service + eps, (
            f"{_where(name, r)}: h x taken = {H_CONST * taken.sum():.1f}, busy = {busy:.1f}, "
            f"difference {gap:.1f} not in [0, h x {in_service} in service]")
        gap_w = H_CONST * taken[w:].sum() - iv["busy_s"][w:].sum()
        assert abs(gap_w) <= H_CONST * c + eps, (
            f"{_where(name, r)}: window busy {iv['busy_s'][w:].sum():.1f} vs h x taken "
            f"{H_CONST * taken[w:].sum():.1f}: difference {gap_w:.1f} beyond h x c = {H_CONST * c:.0f}")


@pytest.mark.parametrize("name", ["default", "redials_lognormal", "tight_staffing", "shifts"])
def test_occupancy_times_operators_is_answer_rate_times_handle(sq, name):
    """occupancy x mean_operators (busy operators) = answered per second x mean handle time.

    Tolerance: 5 standard errors of the mean handle time of n answered calls
    (cv / sqrt(n)) plus the edge term operators x AHT / busy time.
    """
    cfg, reps = sq.run(LITTLE_CONFIGS[name])
    from sim.core.distributions import make_distribution

    handle = make_distribution(cfg.calls.handle_s, "calls.handle_s")
    for r in reps:
        iv, w = r.intervals, r.warmup_intervals
        k = replication_kpis(r)
        window_s = (len(iv["busy_s"]) - w) * r.interval_s
        busy_ops = k["occupancy"] * k["mean_operators"]
        assert busy_ops == pytest.approx(iv["busy_s"][w:].sum() / window_s, rel=1e-12)
        n = iv["calls_answered"][w:].sum()
        offered_work = n / window_s * handle.mean
        peak = iv["scheduled_operators"].max()
        tol = 5 * handle.cv / math.sqrt(n) + peak * handle.mean / iv["busy_s"][w:].sum()
        assert offered_work == pytest.approx(busy_ops, rel=tol), (
            f"{_where(name, r)}: occupancy x mean_operators = {busy_ops:.4f} but answered rate x AHT = "
            f"{n:.0f}/{window_s:.0f}s x {handle.mean:.1f}s = {offered_work:.4f} (tolerance {tol:.2%})")
