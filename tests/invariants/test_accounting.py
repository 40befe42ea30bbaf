"""Conservation of contacts: every offered contact ends in one terminal state or is open at the horizon.

Terminal and open states are counted by the arrival interval of the contact's
first attempt, like ``calls_offered`` and ``online_offered``, so the books must
balance interval by interval, over the measurement window and over the whole
run.  For call *attempts* (first calls and redials): each one is answered,
abandoned, or still waiting at the horizon; the calls still waiting are the
contacts open in ``waiting_operator`` minus the online items still waiting.
All identities are exact (integers), checked on every replication of several
configurations: defaults, redials, expiring online items, tight staffing,
shifts with an unstaffed half-day, a see-saw half-hourly plan, and two operator
groups with overflow, a blending reservation and priority aging.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.analysis.kpis import accounting, replication_kpis
from sim.records.intervals import OPEN_STATES, TERMINAL_STATES

NAMES = ["default", "redials_lognormal", "online_expiring", "tight_staffing", "shifts", "half_hourly_mixed",
         "groups_overflow"]
NO_REDIALS = ["default", "online_expiring", "tight_staffing", "shifts", "groups_overflow"]


def _where(name, r) -> str:
    return f"config {name!r}, replication {r.replication}, seed {r.seed}"


@pytest.mark.parametrize("name", NAMES)
def test_window_accounting_matches_contacts_offered(sq, name):
    """Terminal + open states over the measurement window sum to the KPI contacts_offered."""
    _, reps = sq.run(name)
    for r in reps:
        acc = accounting(r)
        offered = replication_kpis(r)["contacts_offered"]
        assert sum(acc.values()) == offered, (
            f"{_where(name, r)}: states {acc} sum to {sum(acc.values())}, contacts_offered={offered}")


@pytest.mark.parametrize("name", NAMES)
def test_every_interval_balances(sq, name):
    """Per arrival interval: terminal + open contacts = calls_offered + online_offered (whole horizon)."""
    _, reps = sq.run(name)
    for r in reps:
        states = r.terminal.sum(axis=0) + r.open.sum(axis=0)
        offered = r.intervals["calls_offered"] + r.intervals["online_offered"]
        bad = np.flatnonzero(states != offered)
        assert bad.size == 0, (f"{_where(name, r)}: intervals {bad.tolist()} have states "
                               f"{states[bad].tolist()} != offered {offered[bad].tolist()}")


@pytest.mark.parametrize("name", NAMES)
def test_whole_run_accounting_matches_contacts_created(sq, name):
    """Over the whole run (window_only=False) the states sum to every contact created."""
    _, reps = sq.run(name)
    for r in reps:
        acc = accounting(r, window_only=False)
        created = r.contacts_created
        offered = r.intervals["calls_offered"].sum() + r.intervals["online_offered"].sum()
        assert sum(acc.values()) == created == offered, (
            f"{_where(name, r)}: states sum {sum(acc.values())} ({acc}), contacts_created={created}, "
            f"calls_offered+online_offered={offered}")
        assert all(v >= 0 for v in acc.values()), f"{_where(name, r)}: negative count in {acc}"


@pytest.mark.parametrize("name", NAMES)
def test_call_attempts_answered_abandoned_or_waiting(sq, name):
    """Whole run: attempts (calls_offered + retrials) = answered + abandoned + calls still waiting.

    Equivalently ``open:waiting_operator`` = attempts without outcome + online
    items neither accepted nor withdrawn; the phone part can never be negative.
    """
    _, reps = sq.run(name)
    for r in reps:
        iv = r.intervals
        attempts = iv["calls_offered"].sum() + iv["retrials"].sum()
        waiting_calls = sq.phone_waiting(r)
        assert (waiting_calls >= 0).all(), (
            f"{_where(name, r)}: more online items waiting than open:waiting_operator in intervals "
            f"{np.flatnonzero(waiting_calls < 0).tolist()}")
        outcome = iv["calls_answered"].sum() + iv["calls_abandoned"].sum() + waiting_calls.sum()
        assert attempts == outcome, (
            f"{_where(name, r)}: attempts {attempts} (offered {iv['calls_offered'].sum()} + retrials "
            f"{iv['retrials'].sum()}) != answered {iv['calls_answered'].sum()} + abandoned "
            f"{iv['calls_abandoned'].sum()} + still waiting {waiting_calls.sum()}")


@pytest.mark.parametrize("name", NO_REDIALS)
def test_call_attempts_balance_per_interval_without_redials(sq, name):
    """Without redials an attempt's interval is its contact's: the attempt identity holds per interval,
    hence over the measurement window too; and terminal 'abandoned' equals calls_abandoned per interval."""
    cfg, reps = sq.run(name)
    assert cfg.calls.retrial.probability == 0
    ab = TERMINAL_STATES.index("abandoned")
    for r in reps:
        iv = r.intervals
        assert iv["retrials"].sum() == 0, f"{_where(name, r)}: redials without calls.retrial.probability"
        lhs = iv["calls_offered"]
        rhs = iv["calls_answered"] + iv["calls_abandoned"] + sq.phone_waiting(r)
        bad = np.flatnonzero(lhs != rhs)
        assert bad.size == 0, (f"{_where(name, r)}: intervals {bad.tolist()}: calls_offered "
                               f"{lhs[bad].tolist()} != answered+abandoned+waiting {rhs[bad].tolist()}")
        assert np.array_equal(r.terminal[ab], iv["calls_abandoned"]), (
            f"{_where(name, r)}: terminal 'abandoned' {r.terminal[ab].sum()} != calls_abandoned "
            f"{iv['calls_abandoned'].sum()} (by interval)")


@pytest.mark.parametrize("name", NAMES)
def test_abandonments_end_or_redial(sq, name):
    """Whole run: every abandoned attempt ends the contact, was redialled, or awaits its redial."""
    _, reps = sq.run(name)
    for r in reps:
        acc = accounting(r, window_only=False)
        iv = r.intervals
        rhs = acc["ended:abandoned"] + iv["retrials"].sum() + acc["open:awaiting_redial"]
        assert iv["calls_abandoned"].sum() == rhs, (
            f"{_where(name, r)}: calls_abandoned {iv['calls_abandoned'].sum()} != ended:abandoned "
            f"{acc['ended:abandoned']} + retrials {iv['retrials'].sum()} + awaiting_redial "
            f"{acc['open:awaiting_redial']}")


@pytest.mark.parametrize("name", NAMES)
def test_each_contact_answered_at_most_once(sq, name):
    """Whole run: answered calls + accepted online items = contacts that reached an operator
    (all contacts except those abandoned, withdrawn, still waiting or awaiting a redial)."""
    _, reps = sq.run(name)
    for r in reps:
        acc = accounting(r, window_only=False)
        iv = r.intervals
        never = (acc["ended:abandoned"] + acc["ended:online_expired"] + acc["open:waiting_operator"]
                 + acc["open:awaiting_redial"])
        reached = r.contacts_created - never
        answered = iv["calls_answered"].sum() + iv["online_accepted"].sum()
        assert answered == reached, (
            f"{_where(name, r)}: calls_answered+online_accepted={answered} but {reached} contacts reached "
            f"an operator ({acc})")


@pytest.mark.parametrize("name", ["online_expiring", "half_hourly_mixed"])
def test_online_items_accounted(sq, name):
    """Online items: the terminal 'online_expired' equals the online_expired counter per interval, and
    offered = accepted + expired + still waiting (>= 0) per interval; some expire in these configs."""
    _, reps = sq.run(name)
    ex = TERMINAL_STATES.index("online_expired")
    for r in reps:
        iv = r.intervals
        assert iv["online_offered"].sum() > 0, f"{_where(name, r)}: no online items"
        assert np.array_equal(r.terminal[ex], iv["online_expired"]), (
            f"{_where(name, r)}: terminal online_expired {r.terminal[ex].sum()} != counter "
            f"{iv['online_expired'].sum()} (by interval)")
        waiting = iv["online_offered"] - iv["online_accepted"] - iv["online_expired"]
        assert (waiting >= 0).all(), f"{_where(name, r)}: accepted + expired > offered in some interval"
    if name == "half_hourly_mixed":
        assert sum(r.intervals["online_expired"].sum() for r in reps) > 0, (
            f"config {name!r}: expected some online items to expire (online.expire_h=0.25)")


@pytest.mark.parametrize("name", NAMES)
def test_open_with_operator_bounded_by_headcount(sq, name):
    """Contacts with an operator at the horizon never exceed the operators on duty in the last interval
    (operators finishing a contact after their shift are still counted on duty)."""
    _, reps = sq.run(name)
    w = OPEN_STATES.index("with_operator")
    for r in reps:
        last_on_duty = r.intervals["staffed_s"][-1] / r.interval_s
        peak = int(np.ceil(max(r.intervals["scheduled_operators"].max(), last_on_duty)))
        assert r.open[w].sum() <= peak, (
            f"{_where(name, r)}: {r.open[w].sum()} contacts with an operator, at most {peak} operators")


def test_shift_override_syntax_composes(sq):
    """The shifts override of this module gives the intended timetable (0-5 h: 120, 4-12 h: 130, then 0)."""
    cfg, reps = sq.run("shifts")
    assert cfg.staffing.operators == 0
    assert [(s.start_h, s.length_h, s.count) for s in cfg.staffing.shifts] == [(0, 5, 120), (4, 8, 130)]
    sched = reps[0].intervals["scheduled_operators"]
    expected = np.array([120] * 8 + [250] * 2 + [130] * 14 + [0] * 24, dtype=float)
    assert np.allclose(sched, expected), f"scheduled operators per half hour {sched.tolist()}"


@pytest.mark.parametrize("name", NAMES)
def test_operator_time_follows_the_plan(sq, name):
    """Operator time per interval: busy <= on duty; on duty >= scheduled (nobody leaves early or starts
    late); on duty - scheduled <= busy (overtime is only spent finishing a contact); equality for a
    constant headcount."""
    cfg, reps = sq.run(name)
    for r in reps:
        iv = r.intervals
        busy, staffed = iv["busy_s"], iv["staffed_s"]
        sched = iv["scheduled_operators"] * r.interval_s
        eps = 1e-9 * r.interval_s * max(1.0, float(iv["scheduled_operators"].max()))
        bad = np.flatnonzero(busy > staffed + eps)
        assert bad.size == 0, f"{_where(name, r)}: busy > on duty in intervals {bad.tolist()}"
        bad = np.flatnonzero(staffed < sched - eps)
        assert bad.size == 0, (f"{_where(name, r)}: on duty {(staffed[bad] / r.interval_s).tolist()} below the "
                               f"plan {iv['scheduled_operators'][bad].tolist()} in intervals {bad.tolist()}")
        bad = np.flatnonzero(staffed - sched > busy + eps)
        assert bad.size == 0, (f"{_where(name, r)}: overtime exceeds busy time in intervals {bad.tolist()} "
                               f"(on duty {(staffed[bad] / r.interval_s).tolist()}, plan "
                               f"{iv['scheduled_operators'][bad].tolist()})")
        if not cfg.routing.groups and not cfg.staffing.shifts and not cfg.staffing.half_hourly:
            assert np.allclose(staffed, cfg.staffing.operators * r.interval_s, rtol=1e-12), (
                f"{_where(name, r)}: constant headcount {cfg.staffing.operators} but on duty "
                f"{(staffed / r.interval_s).tolist()}")


@pytest.mark.parametrize("name", NAMES)
def test_outcomes_counted_in_the_attempts_interval(sq, name):
    """Per interval of the *attempt* (first call or redial): answered + abandoned <= attempts, the rest
    being calls still waiting at the horizon.  With exponential patience of mean <= 2 min nobody waits
    2 h, so every interval ending 2 h or more before the horizon balances exactly."""
    cfg, reps = sq.run(name)
    exp_patience = cfg.calls.patience_s.dist == "exponential" and cfg.calls.patience_s.mean <= 120
    for r in reps:
        iv = r.intervals
        pending = iv["calls_offered"] + iv["retrials"] - iv["calls_answered"] - iv["calls_abandoned"]
        bad = np.flatnonzero(pending < 0)
        assert bad.size == 0, (f"{_where(name, r)}: more outcomes than attempts in intervals {bad.tolist()}: "
                               f"{pending[bad].tolist()}")
        assert pending.sum() == sq.phone_waiting(r).sum(), (
            f"{_where(name, r)}: attempts without outcome {pending.sum()} != calls waiting "
            f"{sq.phone_waiting(r).sum()}")
        if exp_patience:
            n_old = len(pending) - int(round(2 * 3600 / r.interval_s))
            assert (pending[:n_old] == 0).all(), (
                f"{_where(name, r)}: attempts older than 2 h without outcome in intervals "
                f"{np.flatnonzero(pending[:n_old]).tolist()}")
