"""The routing and dispatch policies have the effects theory predicts, and every contact is still accounted for.

Each check compares variants on the same residents (common random numbers: the
same seed and replications), so a difference is the policy's, not the noise's:

* callbacks (both modes) lower the abandonment of an overloaded queue; every
  accepted callback ends in exactly one state (completed, not reached, pending)
  in every interval, and the books of contacts and call attempts still balance;
* a higher blending reservation gives inbound calls a better service level and
  online work and return visits a longer wait;
* priority aging bounds the longest wait of online work, which starves behind an
  overloaded call queue without it;
* ``least_loaded`` assignment lowers the spread of unit backlogs against
  ``weights``; ``via_district`` lengthens the dispatch time; halving the misroute
  probability (the triage-accuracy what-if) lowers the bounce-backs.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.analysis.kpis import accounting, difference_ci, replication_kpis
from sim.analysis.kpis_routing import callback_balance

H = 3600.0
#: An overloaded single queue: 10 Erlang offered to 9 operators, impatient callers.
OVERLOADED = ["arrivals.phone.per_day=4800", "staffing.operators=9", "calls.handle_s.mean=180",
              "calls.patience_s.mean=60", "experiment.horizon_h=12", "experiment.warmup_h=1",
              "experiment.seed=515"]
CALLBACKS = ["routing.callback.enabled=true", "routing.callback.offer_when_wait_s=30",
             "routing.callback.accept_probability=0.6", "routing.callback.reach_probability=0.7"]
#: Variants of the configuration composed with CALLBACKS, as {key: value} edits.
CALLBACK_VARIANTS = {
    "off": {"routing.callback.enabled": False, "routing.callback.offer_when_wait_s": 60.0,
            "routing.callback.accept_probability": 0.5, "routing.callback.reach_probability": 0.8},
    "virtual_queue": {},
    "window": {"routing.callback.mode": "window", "routing.callback.window_s": 600.0,
               "routing.escalate_after_s.callback": 900.0},
    "reach_all": {"routing.callback.reach_probability": 1.0},
}


def _variants(sq, cfg, variants, run):
    """``{name: run(validated copy of cfg with the variant's {key: value} set)}`` (no composition per variant)."""
    return {name: run(sq.variant(cfg, changes)) for name, changes in variants.items()}


def _replications(cfg, reps):
    from sim.model.replication import run_replication

    return cfg, [run_replication(cfg, r) for r in range(reps)]


@pytest.fixture(scope="module")
def callbacks(sq):
    """variant -> (cfg, replications) of the overloaded queue, callbacks off and in both modes (5 reps each)."""
    cfg = sq.compose(OVERLOADED + CALLBACKS)
    return _variants(sq, cfg, CALLBACK_VARIANTS, lambda c: _replications(c, 5))


@pytest.mark.parametrize("mode", ["virtual_queue", "window"])
def test_callbacks_lower_abandonment_of_an_overloaded_queue(callbacks, mode):
    """Abandonment falls in every replication and its paired interval lies below 0; callbacks were accepted."""
    off = [replication_kpis(r) for r in callbacks["off"][1]]
    on = [replication_kpis(r) for r in callbacks[mode][1]]
    a, b = [k["abandon_rate"] for k in off], [k["abandon_rate"] for k in on]
    diff = difference_ci(a, b, paired=True, confidence=0.99)
    assert all(k["callbacks_accepted"] > 0 for k in on), [k["callbacks_accepted"] for k in on]
    assert all(y < x for x, y in zip(a, b)) and diff["diff_ci_high"] < 0, (mode, a, b, diff)


@pytest.mark.parametrize("mode", ["virtual_queue", "window"])
def test_every_accepted_callback_ends_in_one_state(callbacks, mode):
    """Per interval, accepted = completed + not reached + pending; the terminal state callback_not_reached
    and the open state awaiting_callback count the same contacts; some callbacks fail and some complete."""
    for r in callbacks[mode][1]:
        cb = r.callbacks
        bad = np.flatnonzero(callback_balance(cb))
        assert bad.size == 0, f"{mode}, replication {r.replication}: intervals {bad.tolist()} do not balance"
        acc = accounting(r, window_only=False)
        assert acc["ended:callback_not_reached"] == cb.not_reached.sum(), (acc, cb.not_reached.sum())
        assert acc["open:awaiting_callback"] == cb.pending.sum(), (acc, cb.pending.sum())
        assert cb.completed.sum() > 0 and cb.not_reached.sum() > 0, {k: v.sum() for k, v in cb.counters().items()}


def test_a_completed_callback_is_an_answered_contact(callbacks):
    """The answer rate counts the callbacks completed: per replication, call attempts x answer_rate = calls
    answered live + callbacks completed, exactly, in the window and in every interval.  With callbacks
    that reach every resident, switching them on does not lower the answer rate of the same residents
    (it used to: an accepted callback counted as an unanswered call)."""
    from sim.analysis.kpis import interval_kpis

    off = [replication_kpis(r) for r in callbacks["off"][1]]
    on = [replication_kpis(r) for r in callbacks["reach_all"][1]]
    for r, k in zip(callbacks["reach_all"][1], on):
        attempts = k["calls_offered"] + k["retrials"]
        assert k["callbacks_completed"] > 0 and k["callbacks_not_reached"] == 0, k
        assert round(k["answer_rate"] * attempts) == k["calls_answered"] + k["callbacks_completed"], k
        per = interval_kpis(r)
        iv = r.intervals
        got = np.nan_to_num(per["answer_rate"]) * (iv["calls_offered"] + iv["retrials"])
        np.testing.assert_allclose(got, iv["calls_answered"] + r.callbacks.completed, atol=1e-6)
    a, b = [k["answer_rate"] for k in off], [k["answer_rate"] for k in on]
    assert all(y >= x for x, y in zip(a, b)), (a, b)


@pytest.mark.parametrize("mode", ["virtual_queue", "window"])
def test_books_balance_with_callbacks(callbacks, mode):
    """Contacts: states sum to contacts offered, per interval.  Call attempts: each is answered, abandoned,
    still waiting, or accepted a callback (whole run, no redials)."""
    for r in callbacks[mode][1]:
        iv = r.intervals
        states = r.terminal.sum(axis=0) + r.open.sum(axis=0)
        assert np.array_equal(states, iv["calls_offered"] + iv["online_offered"]), f"{mode}: contacts"
        acc = accounting(r, window_only=False)
        attempts = iv["calls_offered"].sum() + iv["retrials"].sum()
        outcomes = (iv["calls_answered"].sum() + iv["calls_abandoned"].sum() + acc["open:waiting_operator"]
                    + r.callbacks.accepted.sum())
        assert attempts == outcomes, f"{mode}, replication {r.replication}: {attempts} attempts, {outcomes} outcomes"


def test_window_callbacks_wait_behind_calls_and_some_miss_their_window(callbacks):
    """In window mode callbacks come after inbound calls (until they age into the call class after 15 minutes):
    calls waiting in line are answered sooner than behind virtual callbacks (a higher service level), the
    callbacks wait longer, and with a 10-minute window some miss it."""
    virtual = [replication_kpis(r) for r in callbacks["virtual_queue"][1]]
    window = [replication_kpis(r) for r in callbacks["window"][1]]
    for key in ("service_level", "callback_delay_s"):
        assert np.mean([k[key] for k in window]) > np.mean([k[key] for k in virtual]), key
    assert sum(k["callbacks_missed_window"] for k in window) > 0


# --------------------------------------------------------------------------- reservation
BEIJING_SMALL = ["scale=0.05", "experiment.horizon_h=48", "experiment.drain_h=0", "experiment.replications=3",
                 "feedback.mode=operators", "feedback.staffing.shifts=[]", "feedback.staffing.shrinkage=0",
                 "feedback.delay_h={dist:uniform,low:1,high:4}"]


def _with_visit_waits(cfg, r):
    """Run replication ``r`` recording each return-visit attempt's wait for an operator (falls due -> taken)."""
    from sim.model.compile import compile_config
    from sim.model.replication import Replication

    rp = Replication(compile_config(cfg), r)
    fb, due, waits = rp.back.feedback, {}, []
    inner_due, inner_start = fb._due, rp.front.outbound_start

    def on_due(ev):
        due[ev.item.id] = rp.env.now
        inner_due(ev)

    def on_start(c, now):
        waits.append(now - due[c.id])
        inner_start(c, now)

    fb._cb_due[0] = on_due
    rp.front.outbound_start = on_start
    return rp.run(), waits


@pytest.fixture(scope="module")
def reservation(sq):
    from sim.api import compose_config

    cfg = compose_config("beijing_baseline", BEIJING_SMALL)
    return _variants(sq, cfg, {0: {}, 2: {"routing.reserve_idle": 2}},
                     lambda c: [_with_visit_waits(c, r) for r in range(c.experiment.replications)])


def test_higher_reservation_serves_calls_better_and_blended_work_later(reservation):
    """Reserve 2 idle operators against 0: service level up, online wait up in every replication; return visits
    wait longer for an operator, and fewer are made within the horizon."""
    for (res0, w0), (res2, w2) in zip(reservation[0], reservation[2]):
        k0, k2 = replication_kpis(res0), replication_kpis(res2)
        assert k2["service_level"] > k0["service_level"], (k0["service_level"], k2["service_level"])
        assert k2["online_mean_wait_s"] > k0["online_mean_wait_s"]
        assert np.mean(w2) > np.mean(w0) and len(w2) < len(w0), (np.mean(w0), np.mean(w2), len(w0), len(w2))


# --------------------------------------------------------------------------- priority aging
AGING = ["arrivals.phone.per_day=9600", "staffing.operators=9", "calls.handle_s.mean=180",
         "calls.patience_s.mean=60", "arrivals.online.per_day=480", "experiment.horizon_h=6",
         "experiment.warmup_h=0", "report.request_log=true", "experiment.seed=99"]


def _longest_online_wait(res, horizon_s):
    log = res.request_log.contacts
    on = log["channel"] == 1
    waited = log["t_answered"][on] - log["t_arrive"][on]
    return float(np.max(np.where(np.isnan(waited), horizon_s - log["t_arrive"][on], waited)))


def test_priority_aging_bounds_the_longest_wait_of_the_lowest_class(sq):
    """Overloaded calls (10 Erlang, 9 operators) starve online work for hours; aged into the call class after
    600 s, no online item waits more than 600 s plus a few handle times."""
    runs = _variants(sq, sq.compose(AGING), {"plain": {}, "aged": {"routing.escalate_after_s.online": 600.0}},
                     lambda c: _replications(c, 2)[1])
    plain, aged = runs["plain"], runs["aged"]
    for a, b in zip(plain, aged):
        starve, bounded = _longest_online_wait(a, 6 * H), _longest_online_wait(b, 6 * H)
        assert starve > 2 * H and bounded < 600 + 5 * 180, (starve, bounded)


# --------------------------------------------------------------------------- dispatch
DISPATCH = ["scale=0.05", "experiment.horizon_h=48", "experiment.drain_h=24", "experiment.replications=2",
            "report.request_log=true"]
DISPATCH_VARIANTS = {"weights": {}, "least_loaded": {"workorders.assignment": "least_loaded"},
                     "via_district": {"workorders.dispatch": "via_district"},
                     "half_misroutes": {"workorders.misroute_probability": 0.04}}


def _backlog_spread(cfg, r):
    """Run replication ``r``; return it and the mean over hourly samples of the spread (standard deviation
    across units) of open orders per case slot, per unit type."""
    from sim.model.compile import compile_config
    from sim.model.replication import Replication

    rp = Replication(compile_config(cfg), r)
    types = rp.sc.backoffice.units.type_names
    samples = {t: [] for t in types}

    def sample():
        while True:
            yield rp.env.timeout(H)
            for t, name in enumerate(types):
                units = [u for u in rp.back.units if u.type_index == t and u.capacity > 0]
                samples[name].append(np.std([(len(u.queue) + u.capacity - u.free) / u.capacity for u in units]))
    rp.env.process(sample())
    return rp.run(), {t: float(np.mean(v)) for t, v in samples.items()}


@pytest.fixture(scope="module")
def dispatch(sq):
    from sim.api import compose_config

    cfg = compose_config("beijing_baseline", DISPATCH)
    return _variants(sq, cfg, DISPATCH_VARIANTS,
                     lambda c: [_backlog_spread(c, r) for r in range(c.experiment.replications)])


def test_least_loaded_lowers_the_spread_of_unit_backlogs(dispatch):
    """Same residents: the spread of open orders per case slot across streets, districts and departments is
    lower with least_loaded than with weights, in every replication."""
    for (_, w), (_, ll) in zip(dispatch["weights"], dispatch["least_loaded"]):
        for t in ("street", "district", "municipal"):
            assert ll[t] < w[t], (t, w[t], ll[t])


def test_via_district_lengthens_dispatch_and_catches_misroutes(dispatch):
    """Through the district, orders reach their unit later (request log: handled -> at a unit), fewer within the
    dispatch limit; the district's review catches misroutes, so fewer orders bounce."""
    for (direct, _), (via, _) in zip(dispatch["weights"], dispatch["via_district"]):
        def mean_dispatch_h(res):
            log = res.request_log.contacts
            m = (log["kind"] == 1) & ~np.isnan(log["t_dispatched"])
            return float(np.mean(log["t_dispatched"][m] - log["t_handled"][m])) / H
        kd, kv = replication_kpis(direct), replication_kpis(via)
        assert mean_dispatch_h(via) > mean_dispatch_h(direct) + 0.5, (mean_dispatch_h(direct), mean_dispatch_h(via))
        assert kv["dispatch_on_time_rate"] < kd["dispatch_on_time_rate"]
        assert kv["bounce_back_rate"] < kd["bounce_back_rate"]


def test_halving_misroutes_lowers_bounce_backs(dispatch):
    """The triage-accuracy what-if: workorders.misroute_probability 0.08 -> 0.04 misroutes a subset of the same
    orders, so fewer bounce back and orders close sooner on average."""
    for (base, _), (half, _) in zip(dispatch["weights"], dispatch["half_misroutes"]):
        kb, kh = replication_kpis(base), replication_kpis(half)
        assert kh["bounce_back_rate"] < 0.7 * kb["bounce_back_rate"], (kb["bounce_back_rate"], kh["bounce_back_rate"])
        assert kh["time_to_close_mean_h"] < kb["time_to_close_mean_h"]
