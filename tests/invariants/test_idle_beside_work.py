"""No operator or unit stays idle beside work it may take, in whole runs of the model.

A rule judged on state that changes without an event of its own goes stale: the
blending reservation was judged on an item's class when queued, and nothing woke
a free operator when the item aged into the call class, so online work waited
beside idle operators (the reported run: 3 operators, reserve 2, online work
aged after 60 s; an aged item waited ~825 s with an operator free).  Each run
below steps the model's event loop one event at a time and, every time the
clock is about to move on, checks with a plain statement of the rules
(:func:`support.idle_beside_work`) that no free operator of any group could take
a waiting item, and that no unit with a free case slot and open hours has orders
queued.  The runs exercise every state a rule depends on: an item's aged class,
the reservation per half-hour (``routing.reserve_idle_half_hourly``), an
overflow wait ending (``routing.overflow_after_s``), operators coming on shift,
the outbound class (or the feedback team's pool) opening and closing with
``feedback.calendar``, and units' working hours.
"""

from __future__ import annotations

import pytest
from support import idle_beside_work, layered, step_watching

H = 3600.0
#: The reported run, with a reservation the validation accepts (2 of 3 operators).
REPORTED = ["arrivals.phone.per_day=300", "arrivals.online.per_day=100", "staffing.operators=3",
            "routing.reserve_idle=2", "routing.escalate_after_s.online=60", "experiment.horizon_h=48",
            "experiment.warmup_h=0", "experiment.replications=1"]
SMALL = ["arrivals.phone.per_day=600", "arrivals.online.per_day=300", "experiment.horizon_h=48",
         "experiment.warmup_h=0", "routing.escalate_after_s.online=300"]
RUNS = {
    "reported": ("single_queue", REPORTED),
    # the reservation changes every half-hour between 0 and 3 of 4 operators
    "half_hourly_reservation": ("single_queue", SMALL + [
        "staffing.operators=4", "routing.reserve_idle_half_hourly=[" + ",".join(["0", "3", "1", "3"] * 12) + "]"]),
    # two groups, each category overflowing to the other after 20 s, a reservation of 1 in each
    "overflow_groups": ("single_queue", SMALL + [
        "staffing.operators=0", "+routing.groups.a={operators:2}", "+routing.groups.b={operators:3}",
        "categories.all.share=0.6", "+categories.two={share:0.4}", "+routing.skills.all=[a,b]",
        "+routing.skills.two=[b,a]", "+routing.skills.online=[b,a]", "routing.overflow_after_s=20",
        "routing.reserve_idle=1"]),
    # operators coming on and going off shift while work waits, under a reservation
    "shifts": ("single_queue", SMALL + [
        "staffing.operators=0", "routing.reserve_idle=1",
        "staffing.shifts=[{start_h:0,length_h:8,count:2},{start_h:6,length_h:8,count:3},"
        "{start_h:13,length_h:11,count:2}]"]),
    # return visits by operators: the outbound class opens and closes with feedback.calendar; units' hours
    "outbound_calendar": ("beijing_baseline", [
        "scale=0.01", "experiment.horizon_h=72", "experiment.drain_h=0", "experiment.warmup_h=0",
        "feedback.mode=operators", "feedback.staffing.shifts=[]", "feedback.staffing.shrinkage=0",
        "feedback.delay_h={dist:uniform,low:1,high:4}", "routing.reserve_idle=2",
        "routing.escalate_after_s.online=1800", "routing.escalate_after_s.outbound=3600"]),
    # return visits by the feedback team: its own pool, opened and closed with feedback.calendar
    "team_calendar": ("beijing_baseline", ["scale=0.01", "experiment.horizon_h=72", "experiment.drain_h=0",
                                           "experiment.warmup_h=0", "feedback.delay_h={dist:uniform,low:1,high:4}"]),
}


def _watched_run(scenario, overrides):
    """Run replication 0 of ``scenario`` event by event; return the instants at which a free operator (or a
    unit's free slot in open hours) was idle beside work it may take, and the run's pool."""
    from sim.api import compose_config
    from sim.model.compile import compile_config
    from sim.model.replication import Replication

    cfg = compose_config(scenario, layered(overrides))
    rp = Replication(compile_config(cfg), 0)
    pools = [p for p in (rp.front.pool, rp.team) if p is not None]
    units = rp.back.units if rp.back is not None else []
    idle = []

    def watch(now):
        idle.extend((now, f"{p.name}, group {g}", item.id, item.cls) for p in pools
                    for g, item in idle_beside_work(p, now))
        idle.extend((now, f"unit {u.name}", len(u.queue), u.free) for u in units
                    if u.free > 0 and u.queue and (u.calendar.always or u.calendar.is_open(now)))
    step_watching(rp.env, rp.end_s, watch)
    return idle, rp


@pytest.mark.parametrize("name", list(RUNS))
def test_no_operator_or_unit_stays_idle_beside_work_it_may_take(name):
    """At every instant of the run, no free operator could take a waiting item and no unit with a free slot
    in its open hours has orders queued.  With a reservation, work was held and aged out of it in the run, and
    with a back office return visits were made (so the check had such work to look at)."""
    scenario, overrides = RUNS[name]
    idle, rp = _watched_run(scenario, overrides)
    assert not idle, f"{name}: {len(idle)} instants idle beside work, first: {idle[:3]}"
    if any(o.startswith("routing.reserve_idle") for o in overrides):
        assert rp.front.pool._lift_seq > 0, f"{name}: no item was ever held by the reservation and aged out of it"
    if rp.back is not None:
        assert rp.brec.totals["visit_attempts"] > 0, f"{name}: no return visit was made"
