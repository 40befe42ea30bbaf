"""The operator pool against a straightforward reference, on random small instances.

:class:`sim.core.engine.Pool` keeps one FIFO lane per (class, route), lazy
abandonment, overflow and aging timers and a free list per group, and picks the
next item from lane heads only.  The reference below re-states the rules of the
module's docstring in the plainest way - a list of waiting items scanned in full
at every decision, an event list with every renege, every overflow moment and
every moment an item ages, and after *every* event each group's free operators
take whatever they may - and both are run on the same random instances (groups,
routes with overflow delays, priority classes, a blended class with a
reservation, priority aging, finite and infinite patience, and changes during
the run: the reservation rising and falling, a class closing and reopening,
operators coming on and going off duty).  Every start (time, item, group) and
every renege must agree.

The rule the reference states for the reservation: it holds an item whose class
*at this moment* (after aging) is blended, so an item that ages out of the
blended class is taken by a free operator at that moment.  A second test runs
the pool alone and checks at every instant that no free operator stays idle
beside an item it may take (:func:`support.idle_beside_work`).

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
from support import idle_beside_work, step_watching

from sim.core.engine import NEW, Pool, Tick

INF = math.inf
SEEDS = range(300)


class Item:
    """A pool item (the attributes the pool reads) with an id."""

    def __init__(self, ident, cls, route, service_s, patience_s):
        self.id, self.cls, self.route = ident, cls, route
        self.service_s, self.patience_s = service_s, patience_s
        self.state, self.attempt = NEW, 0


def _instance(seed):
    """A random instance: groups and operators, routes, classes, reservation, aging, the items' arrivals,
    and changes during the run (reservation, a class closed for a while, operators on and off duty)."""
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
    if n_classes > 1 and rng.random() < 0.6:
        escalate = [(c - 1, rng.choice([5.0, 20.0])) if c > 0 and rng.random() < 0.6 else (-1, INF)
                    for c in range(n_classes)]
    t, items = 0.0, []
    for i in range(rng.randint(40, 160)):
        t += rng.expovariate(1.0 / 3.0)
        patience = rng.expovariate(1.0 / 15.0) if rng.random() < 0.6 else INF
        items.append((t, Item(i, rng.randrange(n_classes), rng.randrange(len(routes)),
                              rng.expovariate(1.0 / (4.0 * sum(operators))), patience)))
    changes = []  # (time, kind, argument), drawn last so that the draws above stay those of earlier versions
    for _ in range(rng.randint(0, 8)):
        at, kind = rng.uniform(0.0, t), rng.choice(["reserve", "closed", "add", "remove"])
        if kind == "reserve":
            changes.append((at, "reserve", rng.choice([0, 1, 2, 3])))
        elif kind == "closed":
            c = rng.randrange(n_classes)
            changes += [(at, "close", c), (at + rng.uniform(1.0, 40.0), "open", c)]
        else:
            changes.append((at, kind, (rng.randint(1, 2), rng.randrange(n_groups))))
    return dict(operators=operators, routes=routes, n_classes=n_classes, blended=blended, reserve=reserve,
                escalate=escalate, items=items, changes=sorted(changes, key=lambda c: c[0]))


def _short_instance(seed):
    """A random instance the short paths serve: each route one group, no overflow, no aging."""
    inst = _instance(seed)
    rng = random.Random(10_000 + seed)
    n_groups = len(inst["operators"])
    items = [(t, Item(it.id, it.cls, rng.randrange(n_groups), it.service_s, it.patience_s)) for t, it in inst["items"]]
    return {**inst, "routes": [((g, 0.0),) for g in range(n_groups)], "escalate": None, "items": items}


def _fast(inst, watch=None, general=False):
    """The pool's log of the instance (``watch(pool, now)``, if given, is called at every instant;
    ``general``: through the general path even where a short one is bound)."""
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
    act = {"reserve": pool.set_reserve, "close": lambda c: pool.set_class_open(c, False),
           "open": lambda c: pool.set_class_open(c, True), "add": lambda a: pool.add(a[0], group=a[1]),
           "remove": lambda a: pool.remove(a[0], group=a[1])}
    for t, kind, arg in inst["changes"]:
        env.schedule(Tick(lambda ev: act[ev.item](ev.tag), kind, arg), NORMAL, t)
    if watch is None:
        env.run()
    else:
        step_watching(env, INF, lambda now: watch(pool, now))
    return log


def _reference(inst):
    """The same rules, stated plainly: full scans of the waiting list, and a wake after every event."""
    routes, blended = inst["routes"], set(inst["blended"])
    esc = inst["escalate"] or [(-1, INF)] * inst["n_classes"]
    reserve = inst["reserve"]
    is_open = [True] * inst["n_classes"]
    free, pending = list(inst["operators"]), [0] * len(inst["operators"])
    waiting = []  # items waiting, with the time they joined
    events, seq, log = [], 0, []

    def push(t, kind, data):
        nonlocal seq
        seq += 1
        heapq.heappush(events, (t, seq, kind, data))

    def aged(c, queued, t):
        """The class at ``t`` of an item of class ``c`` queued at ``queued``."""
        total = 0.0
        while esc[c][0] >= 0:
            total += esc[c][1]
            if queued + total > t:
                break
            c = esc[c][0]
        return c

    def may_take(item, g, t, others_idle):
        """Whether an operator of ``g`` may take ``item`` at ``t`` with ``others_idle`` other operators idle."""
        wait = next((d for h, d in routes[item.route] if h == g), None)
        return (wait is not None and item.t_q + wait <= t and is_open[item.cls]
                and (aged(item.cls, item.t_q, t) not in blended or others_idle >= reserve))

    def start(t, item, g):
        waiting.remove(item)
        log.append((t, "start", item.id, g))
        push(t + item.service_s, "end", g)

    def choose(t, g):
        """An operator of ``g`` (not counted in ``free``) takes the most urgent aged class, then the earliest."""
        best = None
        for item in waiting:
            if may_take(item, g, t, free[g]):
                key = (aged(item.cls, item.t_q, t), item.t_q)
                if best is None or key < best[0]:
                    best = (key, item)
        if best is None:
            return False
        start(t, best[1], g)
        return True

    def on_duty(t, g):
        """An operator of ``g`` comes on duty or becomes free: leaves if a departure is pending, else chooses."""
        if pending[g]:
            pending[g] -= 1
        elif not choose(t, g):
            free[g] += 1

    for t, item in inst["items"]:
        push(t, "arrive", item)
    for t, kind, arg in inst["changes"]:
        push(t, kind, arg)
    while events:
        t, _, kind, data = heapq.heappop(events)
        if kind == "arrive":
            item = data
            item.t_q = t
            waiting.append(item)
            for g, d in routes[item.route]:
                if d == 0.0 and free[g] and may_take(item, g, t, free[g] - 1):
                    free[g] -= 1
                    start(t, item, g)
                    break
            else:
                if item.patience_s != INF:
                    push(t + item.patience_s, "renege", item)
                for g, d in routes[item.route]:
                    if d > 0.0:
                        push(t + d, "eligible", (item, g))
                c, total = item.cls, 0.0
                while esc[c][0] >= 0:  # every moment its class moves up
                    total += esc[c][1]
                    push(t + total, "aged", item)
                    c = esc[c][0]
        elif kind == "renege":
            if data in waiting:
                waiting.remove(data)
                log.append((t, "renege", data.id, -1))
        elif kind == "eligible":
            item, g = data
            if item in waiting and free[g] and may_take(item, g, t, free[g] - 1):
                free[g] -= 1
                start(t, item, g)
        elif kind == "end":
            on_duty(t, data)
        elif kind == "reserve":
            reserve = data
        elif kind in ("close", "open"):
            is_open[data] = kind == "open"
        elif kind == "add":
            for _ in range(data[0]):
                on_duty(t, data[1])
        elif kind == "remove":
            n, g = data
            gone = min(n, free[g])  # free operators leave at once, busy ones after their item
            free[g] -= gone
            pending[g] += n - gone
        # after any event ("aged" included): each group's free operators take what they may, in group order
        for g in range(len(free)):
            while free[g]:
                free[g] -= 1
                if not choose(t, g):
                    free[g] += 1
                    break
    return log


def _describe(inst, seed):
    return (f"instance {seed}: {len(inst['operators'])} groups {inst['operators']}, routes {inst['routes']}, "
            f"blended {inst['blended']} reserve {inst['reserve']}, escalate {inst['escalate']}, "
            f"changes {inst['changes']}")


@pytest.mark.parametrize("seed", SEEDS)
def test_pool_takes_the_same_decisions_as_the_reference(seed):
    """Same starts (time, item, group) and reneges as the reference, on a random instance."""
    inst = _instance(seed)
    fast = _fast(inst)
    ref = _reference(_instance(seed))  # fresh items: the pool changed the state of the first ones
    assert len(fast) == len(ref) and all(a[1:] == b[1:] and a[0] == pytest.approx(b[0]) for a, b in zip(fast, ref)), (
        f"{_describe(inst, seed)}\n"
        f"first difference: {next(((a, b) for a, b in zip(fast, ref) if a[1:] != b[1:]), (len(fast), len(ref)))}")


def test_the_instances_exercise_aging_out_of_a_reservation():
    """The random instances include enough where an item ages out of the blended class under a reservation
    (else the comparison above would say little about that rule)."""
    n = sum(1 for s in SEEDS for inst in [_instance(s)]
            if inst["blended"] and inst["escalate"] and inst["escalate"][inst["blended"][0]][0] >= 0
            and (inst["reserve"] or any(k == "reserve" and a for _, k, a in inst["changes"])))
    assert n >= 30, f"only {n} of {len(SEEDS)} instances age a blended class under a reservation"


@pytest.mark.parametrize("seed", SEEDS)
def test_no_free_operator_stays_idle_beside_work_it_may_take(seed):
    """At every instant of the pool's run (after all the events of that instant), no group has a free
    operator while an item it may take waits (aging, reservation, overflow, closed classes, staffing)."""
    inst = _instance(seed)
    seen = []

    def watch(pool, now):
        seen.extend((now, g, item.id) for g, item in idle_beside_work(pool, now))
    _fast(inst, watch)
    assert not seen, f"{_describe(inst, seed)}\nidle beside work (time, group, item): {seen[:5]}"


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
    """Overflow, two lanes of a class for a group, or aging: the general ``_next``; overflow, two groups at once on
    a route, or aging (whose timer the general offer arms): the general ``offer``."""
    env = simpy.Environment()
    none = (lambda it, now: None,) * 3
    cases = {"overflow": (dict(groups=["a", "b"], routes=[((0, 0.0), (1, 5.0))]), False, False),
             "two groups at once": (dict(groups=["a", "b"], routes=[((0, 0.0), (1, 0.0))]), True, False),
             "two lanes": (dict(routes=[((0, 0.0),), ((0, 0.0),)]), False, True),
             "aging": (dict(escalate=[(-1, INF), (0, 10.0)]), False, False),
             "default": (dict(), True, True)}
    for name, (kw, short_next, short_offer) in cases.items():
        pool = Pool(env, 2, *none, **kw)
        assert ("_next" in vars(pool), "offer" in vars(pool)) == (short_next, short_offer), name
