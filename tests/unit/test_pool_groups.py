"""Deterministic timelines of the pool's groups: reservation, aging, closed classes, staffing and areas per group.

The random comparison with a reference is ``test_pool_reference.py``; these pin
the moments by hand: a reservation that falls (free operators take the blended
work at once), blended work that ages out of the reservation (taken at the moment
it ages, directly, after an overflow wait, or when its closed class opens), an
operator coming on duty beside held work, a class that opens with several groups
free, staffing changes that concern one group only, and each group's busy and
on-duty areas.
"""

from __future__ import annotations

import math

import pytest
import simpy
from simpy.core import NORMAL

from sim.core.engine import NEW, Pool, Tick

ONLINE = 2  # the blended class of these pools


class Item:
    def __init__(self, name, cls=0, route=0, service_s=10.0, patience_s=math.inf):
        self.name, self.cls, self.route = name, cls, route
        self.service_s, self.patience_s = service_s, patience_s
        self.state, self.attempt = NEW, 0


def _pool(groups=("a",), routes=(((0, 0.0),),), reserve=0, escalate=None, n_classes=3, blended=(ONLINE,)):
    env, log = simpy.Environment(), []

    def start(item, now):
        log.append((now, item.name))

    pool = Pool(env, n_classes, start, lambda i, t: None, lambda i, t: log.append((t, "renege " + i.name)),
                groups=groups, routes=routes, blended=blended, escalate=escalate)
    pool.set_reserve(reserve)
    return env, pool, log


def _at(env, t, fn):
    env.schedule(Tick(lambda ev: fn()), NORMAL, t - env.now)


def test_blended_work_waits_while_the_reservation_would_be_broken():
    """3 operators, reserve 1: online X at 1 and Y at 2 start (one other operator stays idle); Z at 3 waits (it
    would leave none idle); a call at 4 takes the idle operator; when it frees at 14 nobody else is idle, so it
    stays free; X's operator frees at 101 with one other idle and takes Z."""
    env, pool, log = _pool(reserve=1)
    _at(env, 0, lambda: pool.add(3))
    _at(env, 1, lambda: pool.offer(Item("X", ONLINE, service_s=100)))
    _at(env, 2, lambda: pool.offer(Item("Y", ONLINE, service_s=100)))
    _at(env, 3, lambda: pool.offer(Item("Z", ONLINE, service_s=100)))
    _at(env, 4, lambda: pool.offer(Item("call", 0, service_s=10)))
    env.run(until=150)
    assert log == [(1, "X"), (2, "Y"), (4, "call"), (101, "Z")], log


def test_falling_reservation_lets_free_operators_take_blended_work_at_once():
    """2 operators free, reserve 2: online work waits; at 5 the reserve falls to 1 and one operator takes it."""
    env, pool, log = _pool(reserve=2)
    _at(env, 0, lambda: pool.add(2))
    _at(env, 1, lambda: pool.offer(Item("W", ONLINE)))
    _at(env, 5, lambda: pool.set_reserve(1))
    env.run(until=50)
    assert log == [(5, "W")], log


def test_opening_a_class_wakes_free_operators_of_every_group():
    """Groups a and b (one operator each), class 2 closed: two items of route 'every group' wait; when the class
    opens at 4 both start at once, one per group."""
    env, pool, log = _pool(groups=("a", "b"), routes=(((0, 0.0), (1, 0.0)),))
    _at(env, 0, lambda: (pool.add(1, group=0), pool.add(1, group=1), pool.set_class_open(ONLINE, False)))
    _at(env, 1, lambda: pool.offer(Item("P", ONLINE)))
    _at(env, 2, lambda: pool.offer(Item("Q", ONLINE)))
    _at(env, 4, lambda: pool.set_class_open(ONLINE, True))
    env.run(until=50)
    assert log == [(4, "P"), (4, "Q")], log
    assert [g.busy for g in pool.groups] == [0, 0] and [len(g.free) for g in pool.groups] == [1, 1]


def test_staffing_changes_and_areas_are_per_group():
    """Group a: 2 operators, group b: 1; remove(1, group=1) at 10 leaves a untouched.  Item on route [b] only at 1
    (10 s): b busy 1..11, so its operator leaves at 11; areas: a on duty 2 x 20, b on duty 11, b busy 10."""
    env, pool, log = _pool(groups=("a", "b"), routes=(((0, 0.0), (1, 0.0)), ((1, 0.0),)))
    _at(env, 0, lambda: (pool.add(2, group=0), pool.add(1, group=1)))
    _at(env, 1, lambda: pool.offer(Item("B", 0, route=1)))
    _at(env, 10, lambda: pool.remove(1, group=1))
    env.run(until=20)
    busy, duty, _ = pool.flush(20.0)
    assert log == [(1, "B")], log
    assert [g.on_duty for g in pool.groups] == [2, 0] and pool.on_duty == 2
    assert pool.group_areas == [(0.0, 40.0), (10.0, 11.0)], pool.group_areas
    assert (busy, duty) == (10.0, 51.0)


def test_an_item_overflows_to_its_next_group_after_the_delay():
    """Route [a, then b after 5 s]: a's operator is busy until 20; an item at 2 goes to b's free operator at 7."""
    env, pool, log = _pool(groups=("a", "b"), routes=(((0, 0.0), (1, 5.0)),))
    _at(env, 0, lambda: (pool.add(1, group=0), pool.add(1, group=1)))
    _at(env, 0, lambda: pool.offer(Item("A", 0, service_s=20)))
    _at(env, 2, lambda: pool.offer(Item("O", 0)))
    env.run(until=50)
    assert log == [(0, "A"), (7, "O")], log


# --------------------------------------------------------------------------- aging out of the reservation
#: Online work (class 2, blended) joins the calls (class 1) after waiting 60 s.
ONLINE_TO_CALLS = [(-1, math.inf), (-1, math.inf), (1, 60.0)]


def test_blended_work_aged_into_the_calls_is_taken_when_it_ages_although_every_operator_is_reserved():
    """The reported case in small: 3 operators, all 3 reserved for calls, online work aged into the call
    class after 60 s.  Online items at 1 and 2 wait with every operator idle and are taken at 61 and 62,
    the moments they become calls (before, none was ever taken)."""
    env, pool, log = _pool(reserve=3, escalate=ONLINE_TO_CALLS)
    _at(env, 0, lambda: pool.add(3))
    _at(env, 1, lambda: pool.offer(Item("W1", ONLINE)))
    _at(env, 2, lambda: pool.offer(Item("W2", ONLINE)))
    env.run(until=500)
    assert log == [(61, "W1"), (62, "W2")], log


def test_an_aged_item_does_not_wait_beside_a_free_operator_until_a_call_ends():
    """3 operators, reserve 2: a call takes one operator until 1000; an online item at 1 finds 2 free (taking
    one would leave 1 < 2 idle) and waits; it becomes a call at 61 and a free operator takes it then, not
    when the call ends at 1000 (the reported ~825 s wait beside a free operator)."""
    env, pool, log = _pool(reserve=2, escalate=ONLINE_TO_CALLS)
    _at(env, 0, lambda: pool.add(3))
    _at(env, 0.5, lambda: pool.offer(Item("call", 1, service_s=1000)))
    _at(env, 1, lambda: pool.offer(Item("W", ONLINE)))
    env.run(until=2000)
    assert log == [(0.5, "call"), (61, "W")], log


def test_blended_work_aging_into_another_blended_class_stays_held_until_it_leaves_blending():
    """Classes urgent, call, online, outbound; online and outbound blended.  An outbound item (at 1) joins the
    online class after 100 s - still blended, still held by reserve 1 beside the one free operator - and the
    call class 60 s later: taken at 161."""
    esc = [(-1, math.inf), (-1, math.inf), (1, 60.0), (2, 100.0)]
    env, pool, log = _pool(reserve=1, escalate=esc, n_classes=4, blended=(2, 3))
    _at(env, 0, lambda: pool.add(1))
    _at(env, 1, lambda: pool.offer(Item("visit", 3)))
    env.run(until=500)
    assert log == [(161, "visit")], log


def test_an_overflowed_item_held_by_the_reservation_is_taken_when_it_ages():
    """Groups a and b, one operator each, reserve 1; route [a, then b after 5 s].  a is busy until 1000; an
    online item at 1 becomes eligible for b at 6, where the reservation holds it (no other idle operator of b);
    it becomes a call at 61 and b's operator takes it then."""
    env, pool, log = _pool(groups=("a", "b"), routes=(((0, 0.0), (1, 5.0)),), reserve=1, escalate=ONLINE_TO_CALLS)
    _at(env, 0, lambda: (pool.add(1, group=0), pool.add(1, group=1)))
    _at(env, 0, lambda: pool.offer(Item("call", 1, service_s=1000)))
    _at(env, 1, lambda: pool.offer(Item("W", ONLINE)))
    env.run(until=2000)
    assert log == [(0, "call"), (61, "W")], log


def test_an_item_of_a_closed_class_stays_closed_after_it_ages():
    """Closing follows the kind of work: online class closed from 0 to 100; an online item at 1 becomes a
    call at 61 but is taken only when its class opens at 100 (one operator, no reservation)."""
    env, pool, log = _pool(escalate=ONLINE_TO_CALLS)
    _at(env, 0, lambda: (pool.add(1), pool.set_class_open(ONLINE, False)))
    _at(env, 1, lambda: pool.offer(Item("W", ONLINE)))
    _at(env, 100, lambda: pool.set_class_open(ONLINE, True))
    env.run(until=500)
    assert log == [(100, "W")], log


def test_an_operator_coming_on_duty_beside_held_work_lets_it_be_taken():
    """Reserve 1, one operator free: an online item at 1 is held (taking it would leave nobody idle); a second
    operator comes on duty at 10, so one of the two takes it then and the other stays idle for calls."""
    env, pool, log = _pool(reserve=1)
    _at(env, 0, lambda: pool.add(1))
    _at(env, 1, lambda: pool.offer(Item("W", ONLINE)))
    _at(env, 10, lambda: pool.add(1))
    env.run(until=15)
    assert log == [(10, "W")], log
    assert len(pool.groups[0].free) == 1 and pool.groups[0].busy == 1


@pytest.mark.parametrize("escalate,blended", [
    ([(-1, math.inf), (2, 60.0), (-1, math.inf)], (ONLINE,)),  # moves down
    ([(-1, math.inf), (-1, math.inf), (1, 0.0)], (ONLINE,)),  # after no wait
    ([(-1, math.inf), (0, 60.0), (-1, math.inf)], (0,)),  # from a class not blended into a blended one
], ids=["down", "no_wait", "into_blending"])
def test_the_pool_refuses_an_escalation_it_cannot_honour(escalate, blended):
    """An escalation to a less urgent class, after no wait, or into a blended class from one that is not:
    ValueError naming the class (the aged class and the reservation's hold are defined for upward moves)."""
    with pytest.raises(ValueError, match="invalid escalation of class"):
        Pool(simpy.Environment(), 3, lambda i, t: None, lambda i, t: None, lambda i, t: None,
             blended=blended, escalate=escalate)


def test_the_wait_estimate_counts_items_aged_into_the_class_ahead():
    """The callback offer's queue-length estimate (``waiting_ahead``) counts what is ahead of a new call: one
    operator busy until 1000; a call at 1, online items at 2 and 90 (online joins the calls after 60 s).  At
    100 the item of 2 is a call queued before a new one, so 2 are ahead in the call class; the item of 90 is
    still online work; abandoned and served items are not counted."""
    env, pool, log = _pool(escalate=ONLINE_TO_CALLS)
    seen = {}
    _at(env, 0, lambda: (pool.add(1), pool.offer(Item("busy", 1, service_s=1000))))
    _at(env, 1, lambda: pool.offer(Item("A", 1)))
    _at(env, 2, lambda: pool.offer(Item("W", ONLINE)))
    _at(env, 3, lambda: pool.offer(Item("gone", ONLINE, patience_s=70)))  # would have aged at 63, left at 73
    _at(env, 90, lambda: pool.offer(Item("W2", ONLINE)))
    _at(env, 100, lambda: seen.update(calls=pool.waiting_ahead(1, 0), online=pool.waiting_ahead(ONLINE, 0)))
    env.run(until=200)
    assert seen == {"calls": 2, "online": 3}, seen
