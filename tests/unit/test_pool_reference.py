"""The operator pool against a straightforward reference, on random small instances.

:class:`sim.core.engine.Pool` keeps one FIFO lane per (class, route), lazy
abandonment, overflow timers and a free list per group, and picks the next item
from lane heads only.  The reference below re-states the rules of the module's
docstring in the plainest way - a list of waiting items scanned in full at every
decision, an event list with every renege and every overflow moment - and both
are run on the same random instances (groups, routes with overflow delays,
priority classes, a blended class with a reservation, priority aging, finite and
infinite patience).  Every start (time, item, group) and every renege must agree.

Pools whose routes have one group each and no overflow, without aging, serve through
the short paths of :mod:`sim.core.shortpaths`; they are run on such instances against
the reference and against the pool's general path on the same instance.
"""

from __future__ import annotations

import heapq
import math
import random

import pytest
import simpy
from simpy.core import NORMAL

from sim.core.engine import NEW, Pool, Tick

INF = math.inf


class Item:
    """A pool item (the attributes the pool reads) with an id."""

    def __init__(self, ident, cls, route, service_s, patience_s):
        self.id, self.cls, self.route = ident, cls, route
        self.service_s, self.patience_s = service_s, patience_s
        self.state, self.attempt = NEW, 0


def _instance(seed):
    """A random instance: groups and operators, routes, classes, reservation, aging and the items' arrivals."""
    rng = random.Random(seed)
    n_groups = rng.randint(1, 3)
    operators = [rng.randint(1, 3) for _ in range(n_groups)]
    routes = [tuple((g, 0.0) for g in range(n_groups))]  # every group at once
    for _ in range(rng.randint(0, 3)):
        order = rng.sample(range(n_groups), rng.randint(1, n_groups))
        step = rng.choice([0.0, 3.0, 11.0])
        routes.append(tuple((g, k * step) for k, g in enumerate(order)))
    n_classes = rng.randint(1, 4)
    blended = [n_classes - 1] if n_classes > 1 and rng.random() < 0.7 else []
    reserve = rng.choice([0, 0, 1, 2])
    escalate = None
    if n_classes > 1 and rng.random() < 0.5:
        escalate = [(c - 1, rng.choice([5.0, 20.0])) if c > 0 and rng.random() < 0.6 else (-1, INF)
                    for c in range(n_classes)]
    t, items = 0.0, []
    for i in range(rng.randint(40, 160)):
        t += rng.expovariate(1.0 / 3.0)
        patience = rng.expovariate(1.0 / 15.0) if rng.random() < 0.6 else INF
        items.append((t, Item(i, rng.randrange(n_classes), rng.randrange(len(routes)),
                              rng.expovariate(1.0 / (4.0 * sum(operators))), patience)))
    return dict(operators=operators, routes=routes, n_classes=n_classes, blended=blended, reserve=reserve,
                escalate=escalate, items=items)


def _short_instance(seed):
    """A random instance the short paths serve: each route one group, no overflow, no aging."""
    inst = _instance(seed)
    rng = random.Random(10_000 + seed)
    n_groups = len(inst["operators"])
    items = [(t, Item(it.id, it.cls, rng.randrange(n_groups), it.service_s, it.patience_s)) for t, it in inst["items"]]
    return {**inst, "routes": [((g, 0.0),) for g in range(n_groups)], "escalate": None, "items": items}


def _fast(inst, general=False):
    """The pool's log of the instance (``general``: through the general path even where a short one is bound)."""
    env, log = simpy.Environment(), []
    pool = Pool(env, inst["n_classes"], lambda it, now: log.append((now, "start", it.id, it.group)),
                lambda it, now: None, lambda it, now: log.append((now, "renege", it.id, -1)),
                groups=[f"g{i}" for i in range(len(inst["operators"]))], routes=inst["routes"],
                blended=inst["blended"], escalate=inst["escalate"])
    pool.set_reserve(inst["reserve"])
    if general:
        for name in ("offer", "_next"):
            vars(pool).pop(name, None)

    orig_start = pool._start

    def start(item, op, now):  # record the group of the operator who takes the item
        item.group = op.grp.index
        orig_start(item, op, now)
    pool._start = start
    for g, n in enumerate(inst["operators"]):
        pool.add(n, group=g)
    for t, item in inst["items"]:
        env.schedule(Tick(lambda ev: pool.offer(ev.item), item), NORMAL, t)
    env.run()
    return log


def _reference(inst):
    """The same rules, stated plainly: full scans of the waiting list at every decision."""
    routes, blended, reserve = inst["routes"], set(inst["blended"]), inst["reserve"]
    esc = inst["escalate"] or [(-1, INF)] * inst["n_classes"]
    free = list(inst["operators"])
    waiting = []  # items waiting, with the time they joined
    events, seq, log = [], 0, []

    def push(t, kind, data):
        nonlocal seq
        seq += 1
        heapq.heappush(events, (t, seq, kind, data))

    def rank(c, waited):
        while esc[c][0] >= 0 and waited >= esc[c][1]:
            waited -= esc[c][1]
            c = esc[c][0]
        return c

    def admissible(item, g, others_idle):
        return item.cls not in blended or others_idle >= reserve

    def start(t, item, g):
        waiting.remove(item)
        log.append((t, "start", item.id, g))
        push(t + item.service_s, "end", g)

    for t, item in inst["items"]:
        push(t, "arrive", item)
    while events:
        t, _, kind, data = heapq.heappop(events)
        if kind == "arrive":
            item = data
            item.t_q = t
            waiting.append(item)
            for g, d in routes[item.route]:
                if d == 0.0 and free[g] and admissible(item, g, free[g] - 1):
                    free[g] -= 1
                    start(t, item, g)
                    break
            else:
                if item.patience_s != INF:
                    push(t + item.patience_s, "renege", item)
                for g, d in routes[item.route]:
                    if d > 0.0:
                        push(t + d, "eligible", (item, g))
        elif kind == "renege":
            if data in waiting:
                waiting.remove(data)
                log.append((t, "renege", data.id, -1))
        elif kind == "eligible":
            item, g = data
            if item in waiting and free[g] and admissible(item, g, free[g] - 1):
                free[g] -= 1
                start(t, item, g)
        else:  # an operator of group `data` becomes free
            g = data
            best = None
            for item in waiting:
                delay = next((d for h, d in routes[item.route] if h == g), None)
                if delay is None or item.t_q + delay > t or not admissible(item, g, free[g]):
                    continue
                key = (rank(item.cls, t - item.t_q), item.t_q)
                if best is None or key < best[0]:
                    best = (key, item)
            if best is None:
                free[g] += 1
            else:
                start(t, best[1], g)
    return log


@pytest.mark.parametrize("seed", range(60))
def test_pool_takes_the_same_decisions_as_the_reference(seed):
    """Same starts (time, item, group) and reneges as the reference, on a random instance."""
    inst = _instance(seed)
    fast = _fast(inst)
    ref = _reference(_instance(seed))  # fresh items: the pool changed the state of the first ones
    assert len(fast) == len(ref) and all(a[1:] == b[1:] and a[0] == pytest.approx(b[0]) for a, b in zip(fast, ref)), (
        f"instance {seed}: {len(inst['operators'])} groups {inst['operators']}, routes {inst['routes']}, "
        f"blended {inst['blended']} reserve {inst['reserve']}, escalate {inst['escalate']}\n"
        f"first difference: {next(((a, b) for a, b in zip(fast, ref) if a[1:] != b[1:]), (len(fast), len(ref)))}")


@pytest.mark.parametrize("seed", range(40))
def test_short_paths_take_the_same_decisions(seed):
    """Routes of one group each, no overflow, no aging: the short paths are bound, and give the reference's starts
    and reneges and the general path's, in the same order."""
    env = simpy.Environment()
    inst = _short_instance(seed)
    pool = Pool(env, inst["n_classes"], lambda it, now: None, lambda it, now: None, lambda it, now: None,
                groups=[f"g{i}" for i in range(len(inst["operators"]))], routes=inst["routes"],
                blended=inst["blended"])
    assert {"offer", "_next"} <= set(vars(pool)), "the short paths are not bound for this pool"
    short, general, ref = _fast(inst), _fast(_short_instance(seed), general=True), _reference(_short_instance(seed))
    assert short == general, f"instance {seed}: the short paths and the general path differ"
    assert len(short) == len(ref) and all(a[1:] == b[1:] and a[0] == pytest.approx(b[0]) for a, b in zip(short, ref))


def test_short_paths_are_not_bound_where_they_do_not_apply():
    """Overflow, two lanes of a class for a group, or aging: the general ``_next``; overflow or two groups at once on
    a route: the general ``offer``."""
    env = simpy.Environment()
    none = (lambda it, now: None,) * 3
    cases = {"overflow": (dict(groups=["a", "b"], routes=[((0, 0.0), (1, 5.0))]), False, False),
             "two groups at once": (dict(groups=["a", "b"], routes=[((0, 0.0), (1, 0.0))]), True, False),
             "two lanes": (dict(routes=[((0, 0.0),), ((0, 0.0),)]), False, True),
             "aging": (dict(escalate=[(-1, INF), (0, 10.0)]), False, True),
             "default": (dict(), True, True)}
    for name, (kw, short_next, short_offer) in cases.items():
        pool = Pool(env, 2, *none, **kw)
        assert ("_next" in vars(pool), "offer" in vars(pool)) == (short_next, short_offer), name
