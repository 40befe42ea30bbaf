"""Deterministic timelines of the pool's groups: reservation, closed classes, staffing and areas per group.

The random comparison with a reference is ``test_pool_reference.py``; these pin the
moments that it does not cover: a reservation that falls (free operators take the
blended work at once), a class that opens with several groups free, staffing
changes that concern one group only, and each group's busy and on-duty areas.
"""

from __future__ import annotations

import math

import simpy
from simpy.core import NORMAL

from sim.core.engine import NEW, Pool, Tick

ONLINE = 2  # the blended class of these pools


class Item:
    def __init__(self, name, cls=0, route=0, service_s=10.0, patience_s=math.inf):
        self.name, self.cls, self.route = name, cls, route
        self.service_s, self.patience_s = service_s, patience_s
        self.state, self.attempt = NEW, 0


def _pool(groups=("a",), routes=(((0, 0.0),),), reserve=0):
    env, log = simpy.Environment(), []

    def start(item, now):
        log.append((now, item.name))

    pool = Pool(env, 3, start, lambda i, t: None, lambda i, t: log.append((t, "renege " + i.name)),
                groups=groups, routes=routes, blended=[ONLINE])
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
