"""Invariants of the work-order pipeline on small ``beijing_baseline`` runs, and directions of effects.

**Accounting.**  Every contact ends in one terminal state or is open when the
run stops, counted by the arrival interval of its first attempt; with the back
office this covers five more open states and two more terminal ones.  Checked
exactly on every replication of several variants: a warm-up with and without a
drain, no drain at all, heavy misrouting, return visits made by the front-line
operators, and units on an office calendar starting on a Friday.  The
back-office counters must agree with the accounting table: final ratings with
``closed_rated``, given-up visits with ``closed_not_reached``, work orders with
the work-order states, orders received with the orders that left dispatch; the
daily table (by event time) with the whole run.  Every per-unit, per-type and
per-class rate is a share.

**Directions.**  With common random numbers (same seed and replications, so the
same residents with the same attributes), one input is changed in large steps
and the ordering is asserted in every replication: fewer case workers for the
utility companies -> longer time to close for their category and lower
satisfaction and close-out on time (everything else unchanged); more misrouting
-> more bounces; lower reach probability -> fewer visits reaching residents;
longer dispatch delays -> fewer orders dispatched on time.

Configurations are composed once (scale 0.05, one or two days of contacts) and
varied as typed dataclasses, re-validated with :func:`sim.model.checks.validate`.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from sim.analysis.kpis import accounting, replication_kpis
from sim.analysis.kpis_backoffice import unit_rows
from sim.config.schema import DistConfig, StaffingConfig
from sim.model.checks import validate
from sim.model.replication import run_replication

SMALL = ["scale=0.05", "experiment.horizon_h=24", "experiment.drain_h=168", "experiment.replications=2",
         "experiment.jobs=1", "experiment.seed=2024"]
REPS = 2
BACK_STATES = ("in_dispatch", "queued_at_unit", "in_progress", "awaiting_return_visit", "on_return_visit")


@pytest.fixture(scope="module")
def base():
    """beijing_baseline at scale 0.05: one day of contacts, a week of drain."""
    from sim.api import compose_config

    return compose_config("beijing_baseline", SMALL)


def variant(cfg, changes):
    """A validated deep copy of ``cfg`` with ``{"dotted.key": value}`` set (mapping entries too)."""
    new = copy.deepcopy(cfg)
    for key, value in changes.items():
        *path, last = key.split(".")
        node = new
        for part in path:
            node = node[part] if isinstance(node, dict) else getattr(node, part)
        if isinstance(node, dict):
            node[last] = value
        else:
            assert hasattr(node, last), f"unknown key {key}"
            setattr(node, last, value)
    validate(new)
    return new


#: Variants of the small baseline for the accounting invariants.
VARIANTS = {
    "warmup_no_drain": {"experiment.horizon_h": 48.0, "experiment.warmup_h": 12.0, "experiment.drain_h": 0.0},
    "warmup_drain": {"experiment.horizon_h": 48.0, "experiment.warmup_h": 12.0, "experiment.drain_h": 120.0},
    "no_drain": {"experiment.horizon_h": 48.0, "experiment.drain_h": 0.0},
    "misroute_half": {"workorders.misroute_probability": 0.5, "experiment.drain_h": 48.0},
    # the team's plan is unused with mode=operators (an error unless reset to the default)
    "feedback_operators": {"feedback.mode": "operators", "feedback.staffing": StaffingConfig(),
                           "experiment.drain_h": 96.0},
    "office_units": {"units.district.calendar": "office", "units.municipal.calendar": "office",
                     "experiment.start_weekday": 4, "experiment.drain_h": 72.0},
}


@pytest.fixture(scope="module")
def runs(base):
    """``runs(name)`` -> (cfg, [ReplicationResult] * REPS) of a variant, cached."""
    cache = {}

    def get(name):
        if name not in cache:
            cfg = variant(base, VARIANTS[name])
            cache[name] = (cfg, [run_replication(cfg, r) for r in range(REPS)])
        return cache[name]

    return get


def where(name, r):
    return f"variant {name!r}, replication {r.replication}"


@pytest.mark.parametrize("name", list(VARIANTS))
def test_accounting_balances_window_whole_run_and_intervals(runs, name):
    """Terminal + open states = contacts_offered over the window, = contacts created over the whole run, and
    = calls_offered + online_offered in every arrival interval; no state negative; the back office is in use."""
    cfg, reps = runs(name)
    for r in reps:
        acc = accounting(r)
        offered = replication_kpis(r)["contacts_offered"]
        assert sum(acc.values()) == offered, f"{where(name, r)}: window states {acc} sum != {offered}"
        whole = accounting(r, window_only=False)
        assert sum(whole.values()) == r.contacts_created, f"{where(name, r)}: whole run {whole}"
        assert all(v >= 0 for v in whole.values()), f"{where(name, r)}: negative state {whole}"
        states = r.terminal.sum(axis=0) + r.open.sum(axis=0)
        iv_offered = r.intervals["calls_offered"] + r.intervals["online_offered"]
        bad = np.flatnonzero(states != iv_offered)
        assert bad.size == 0, f"{where(name, r)}: intervals {bad.tolist()} unbalanced"
        assert whole["ended:closed_rated"] > 0, f"{where(name, r)}: no rated order"
        if cfg.experiment.warmup_h > 0:
            assert r.warmup_intervals == int(cfg.experiment.warmup_h * 2) and sum(acc.values()) < sum(whole.values())
        if cfg.experiment.drain_h == 0:
            assert sum(whole[f"open:{s}"] for s in BACK_STATES) > 0, f"{where(name, r)}: nothing open without drain"


@pytest.mark.parametrize("name", list(VARIANTS))
def test_backoffice_counters_agree_with_accounting(runs, name):
    """Window cohort: work_orders = closed_rated + closed_not_reached + orders in back-office states; final ratings
    = closed_rated; given-up visits = closed_not_reached; orders received = work orders - those still in
    dispatch.  Whole run (event time): orders created per day add up to every work order."""
    cfg, reps = runs(name)
    for r in reps:
        bo = r.backoffice
        u = bo.unit
        acc = accounting(r)
        back = sum(acc[f"open:{s}"] for s in BACK_STATES)
        closed = acc["ended:closed_rated"] + acc["ended:closed_not_reached"]
        assert bo.work_orders == closed + back, (
            f"{where(name, r)}: work_orders {bo.work_orders} != closed {closed} + open back-office {back}")
        assert u["rated"].sum() == acc["ended:closed_rated"], f"{where(name, r)}: rated {u['rated'].sum()}"
        assert u["not_reached"].sum() == acc["ended:closed_not_reached"], f"{where(name, r)}: not reached"
        assert u["orders_received"].sum() == bo.work_orders - acc["open:in_dispatch"], (
            f"{where(name, r)}: orders_received {u['orders_received'].sum()} != work_orders "
            f"{bo.work_orders} - in_dispatch {acc['open:in_dispatch']}")
        assert bo.urgency["dispatched"].sum() == bo.work_orders
        whole = accounting(r, window_only=False)
        all_orders = sum(whole[f"open:{s}"] for s in BACK_STATES) + whole["ended:closed_rated"] + \
            whole["ended:closed_not_reached"]
        assert bo.daily["work_orders_created"].sum() == all_orders, (
            f"{where(name, r)}: daily work orders {bo.daily['work_orders_created'].sum()} != {all_orders}")
        if cfg.experiment.warmup_h == 0:
            assert bo.daily["closeouts"].sum() == u["closeouts"].sum(), f"{where(name, r)}: daily close-outs"
            assert bo.daily["ratings"].sum() == u["rated"].sum(), f"{where(name, r)}: daily ratings"
        assert u["visits_reached"].sum() + u["not_reached"].sum() <= bo.visit_attempts
        for ok, due in (("response_on_time", "response_due"), ("closeouts_on_time", "closeouts_due"),
                        ("closeouts", "closeouts_due"), ("rated_satisfied", "rated"), ("rated_resolved", "rated")):
            assert (u[ok] <= u[due]).all(), f"{where(name, r)}: {ok} > {due} for some unit"


@pytest.mark.parametrize("name", list(VARIANTS))
def test_unit_type_and_class_rates_are_shares(runs, name):
    """Every per-unit rate (units.csv), per-type and per-class breakdown and headline rate is in [0, 1] or undefined
    (NaN when its denominator is 0); counts are non-negative."""
    _, reps = runs(name)
    for r in reps:
        for i, row in enumerate(unit_rows(r.backoffice)):
            for k, v in row.items():
                ok = (np.isnan(v) or 0.0 <= v <= 1.0) if k.endswith("_rate") else v >= 0
                assert ok, f"{where(name, r)}: unit {i} {k}={v}"
        for k, v in replication_kpis(r).items():
            base = k.split(".", 1)[0]
            if base.endswith("_rate") and base != "bounce_back_rate" or base.endswith("occupancy"):
                assert np.isnan(v) or 0.0 <= v <= 1.0, f"{where(name, r)}: {k}={v}"
            elif base == "bounce_back_rate":
                assert v >= 0, f"{where(name, r)}: {k}={v}"


def test_office_calendar_units_sign_only_at_work(base):
    """Districts on office hours (Mon-Fri 9-18), time 0 a Friday, request log on: every order of a district was
    signed, responded to and closed at an open time of that calendar, never before it reached the unit."""
    from sim.core.calendar import WorkCalendar

    cfg = variant(base, {**VARIANTS["office_units"], "report.request_log": True})
    res = run_replication(cfg, 0)
    log = res.request_log.contacts
    meta = res.backoffice.meta
    district = meta.type_names.index("district")
    cal = WorkCalendar([0, 1, 2, 3, 4], 9.0, 18.0, 4)
    checked = 0
    for i in range(len(log["id"])):
        if log["unit"][i] < 0 or meta.type_of[log["unit"][i]] != district or np.isnan(log["t_closed"][i]):
            continue
        for f in ("t_signed", "t_response", "t_closed"):
            assert cal.is_open(log[f][i]), f"contact {log['id'][i]}: {f}={log[f][i] / 3600:.3f} h outside office hours"
        assert log["t_signed"][i] >= log["t_unit"][i] or log["round"][i] > 1
        checked += 1
    assert checked > 50, f"only {checked} district orders closed"


# --------------------------------------------------------------------------- directions of effects
def _kpis(cfg, reps=REPS):
    return [replication_kpis(run_replication(cfg, r)) for r in range(reps)]


def _monotone(rows, key, increasing, settings, what):
    """Assert ``key`` strictly increases (or decreases) along the settings in every replication."""
    values = np.array([[row[key] for row in reps] for reps in rows])
    steps = np.diff(values, axis=0)
    ok = steps > 0 if increasing else steps < 0
    assert ok.all(), (f"{key} should {'increase' if increasing else 'decrease'} with {what} {settings}; "
                      f"per replication (rows = settings):\n{np.array2string(values, precision=5)}")


def test_fewer_case_workers_slow_their_categories_and_lower_their_rates(base):
    """Utility companies' case workers 20 -> 4 -> 2 (capacity 20 -> 4 -> 2 per company at scale 0.05), reach 1 and
    no reopening so every rating is the deterministic function of the resident's uniforms and the lateness:
    time to close of public_utilities (mean and p90) rises, satisfaction and close-out on time of the utility
    type fall, in every replication; other types' time to close and close-out on time are unchanged."""
    settings = [20, 4, 2]
    common = {"feedback.reach_probability": 1.0, "feedback.reopen_probability": 0.0, "experiment.drain_h": 500.0}
    rows = [_kpis(variant(base, {**common, "units.utility.case_workers": n})) for n in settings]
    what = "fewer utility case workers"
    _monotone(rows, "time_to_close_mean_h.public_utilities", True, settings, what)
    _monotone(rows, "time_to_close_p90_h.public_utilities", True, settings, what)
    _monotone(rows, "satisfaction_rate.utility", False, settings, what)
    _monotone(rows, "closeout_on_time_rate.utility", False, settings, what)
    for key in ("time_to_close_mean_h.housing_property", "time_to_close_mean_h.other", "closeout_on_time_rate.street",
                "closeout_on_time_rate.district", "orders_received.utility"):
        values = [[row[key] for row in reps] for reps in rows]
        assert values[0] == values[1] == values[2], f"{key} should not change with {what}: {values}"


def test_more_misrouting_more_bounces(base):
    """misroute_probability 0 -> 0.1 -> 0.3: bounce_back_rate 0, then strictly higher at each step."""
    settings = [0.0, 0.1, 0.3]
    rows = [_kpis(variant(base, {"workorders.misroute_probability": p})) for p in settings]
    assert all(row["bounce_back_rate"] == 0.0 for row in rows[0]), "bounces without misrouting"
    _monotone(rows, "bounce_back_rate", True, settings, "misroute_probability")


def test_lower_reach_probability_fewer_visits_reach(base):
    """reach_probability 0.9 -> 0.5 -> 0.2: return_visit_reach_rate strictly lower at each step."""
    settings = [0.9, 0.5, 0.2]
    rows = [_kpis(variant(base, {"feedback.reach_probability": p})) for p in settings]
    _monotone(rows, "return_visit_reach_rate", False, settings, "lower reach_probability")


def test_longer_dispatch_delays_fewer_on_time(base):
    """General and complex dispatch delays x1, x20, x60 (lognormal medians 0.08/0.15 h scaled; limit 24 h): by
    inversion every order's delay grows, so dispatch_on_time_rate (overall and general) falls strictly;
    emergencies keep their delay and rate."""
    settings = [1, 20, 60]
    rows = []
    for m in settings:
        delays = dict(base.workorders.dispatch_delay_h)
        delays["general"] = DistConfig("lognormal", median=0.08 * m, p90=0.5 * m)
        delays["complex"] = DistConfig("lognormal", median=0.15 * m, p90=2.0 * m)
        rows.append(_kpis(variant(base, {"workorders.dispatch_delay_h": delays})))
    _monotone(rows, "dispatch_on_time_rate", False, settings, "dispatch delay multiplier")
    _monotone(rows, "dispatch_on_time_rate.general", False, settings, "dispatch delay multiplier")
    emergency = [[row["dispatch_on_time_rate.emergency"] for row in reps] for reps in rows]
    assert emergency[0] == emergency[1] == emergency[2], f"emergency dispatch changed: {emergency}"


def test_bounce_back_rate_confidence_interval_contains_its_mean(base):
    """misroute_probability 0.6: orders bounce 1.4 times on average. bounce_back_rate (orders bounced at
    least once) stays a share in [0, 1]; bounces_per_order exceeds 1 and its summary is not clipped to
    [0, 1], so both satisfy ci_low <= mean <= ci_high."""
    from sim.analysis.kpis import summarise

    rows = _kpis(variant(base, {"workorders.misroute_probability": 0.6, "experiment.drain_h": 48.0}))
    assert all(0.0 <= row["bounce_back_rate"] <= 1.0 for row in rows), [row["bounce_back_rate"] for row in rows]
    assert all(row["bounces_per_order"] > 1.0 for row in rows), [row["bounces_per_order"] for row in rows]
    assert all(row["bounces_per_order"] >= row["bounce_back_rate"] for row in rows), rows
    for name in ("bounce_back_rate", "bounces_per_order"):
        ci = summarise(rows, 0.95, [name])[name]
        assert ci["ci_low"] <= ci["mean"] <= ci["ci_high"], f"{name} summary {ci}"
