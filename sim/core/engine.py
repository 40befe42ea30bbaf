"""The fast core: the operator pool, on SimPy's event loop.

This module is the per-request hot path; everything else is ordinary SimPy code.
It keeps SimPy's :class:`~simpy.core.Environment` and its event loop, so the hot
path coexists with readable generator processes (staffing changes, interval
boundaries, the daily arrival generator), but replaces the one-generator-per-caller
idiom by cheaper devices: :class:`~sim.core.events.Tick` events with one
callback, one reusable end-of-item event per operator, and lazy abandonment.

:class:`Pool` holds **groups** of operators and the items waiting for them.  An
item has a priority **class** (0 = most urgent) and a **route**: the groups that
may serve it, in order of preference, each with the wait after which it becomes
eligible (0 for the first group; a skill-based routing with overflow, as in
Gans, Koole & Mandelbaum 2003, section 5, and Wallace & Whitt 2005).  Items wait
in one FIFO lane per (class, route).  The rules:

* **Arrival**: the item goes to a free operator of the first group of its route
  that is eligible at once and has one (ties between groups are broken by the
  route's order of preference), else it waits.
* **An operator becomes free**: among the items it may serve now (its group is
  on their route and they have waited long enough for it), it takes the most
  urgent class first, then the earliest queued (FCFS by the time the attempt
  joined the queue); an equal time goes to the route listed first.  No
  preemption.  An item that becomes eligible for a group while an operator of
  that group is free is taken at that moment.
* **Blending with a threshold reservation** (Bhulai & Koole 2003; Gans & Zhou
  2003): an item whose class is *blended* (online work, outbound calls) is taken
  only while at least ``reserve`` other operators of the group stay idle.
  ``reserve`` = 0 is plain priority blending.
* **Priority aging**: with ``escalate`` set, a waiting item's class moves up
  (to a more urgent class) after it has waited a given time in its class; the
  order above *and the reservation* use the aged class: an item aged out of a
  blended class into one that is not blended is no longer held.  When the head
  of a lane held for an idle operator ages out, a timer wakes the pool at that
  moment (:mod:`sim.core.blending`).
* **Closed classes**: a class can be closed for a time (outbound calls at night);
  closing follows the item's own class (the kind of work), not its aged class.
* **No idle operator beside work it may take**: whatever makes a waiting item
  admissible for a free operator (its arrival, overflow wait, aging out of
  blending; a class opening, the reservation falling, an operator coming on
  duty) is acted on at that moment (``tests/unit/test_pool_reference.py``).
* **Abandonment is lazy**: a waiting item's patience deadline goes into the
  pool's own heap and one SimPy timer is armed at the earliest deadline; an item
  that left stays in its lane, to be dropped when it reaches the head.  Each
  queue entry carries the attempt number it was queued under, so a caller who
  abandons and redials is never served through a stale entry.  Overflow
  eligibility works the same way (its own heap and timer).

With one group and one route (the default model) this reduces to one FIFO queue
per class, served most urgent first.  The pool keeps time-weighted areas
(operators on duty and busy, per group; items waiting, per class) that
:meth:`Pool.flush` hands to the interval recorder; it never computes a KPI.
Staffing changes follow two rules: operators of an ending shift finish their
current item and then leave; a falling headcount plan sends free operators home
first and lets busy ones finish.
"""

from __future__ import annotations

from collections import deque
from heapq import heapify, heappop, heappush
from typing import Any, Callable, Optional, Sequence

import simpy
from simpy.core import NORMAL

from sim.core.blending import BlendingSide
from sim.core.events import FarTimer, Tick
from sim.core.operators import Group, Operator
from sim.core.shortpaths import ShortPaths

# Item states shared by every item a pool serves.
NEW, WAITING, IN_SERVICE, GONE, DONE = 0, 1, 2, 3, 4
INF = float("inf")
#: A route: ``(group index, wait in seconds before the group may serve the item)`` in order of preference.
Route = Sequence[tuple[int, float]]

__all__ = ["Pool", "Operator", "Group", "Tick", "FarTimer", "Route", "NEW", "WAITING", "IN_SERVICE", "GONE",
           "DONE", "INF"]


class Pool(ShortPaths, BlendingSide):
    """Operator groups serving items from (class, route) FIFO lanes, non-preemptively.

    An item is any object with the attributes ``state``, ``attempt``, ``cls`` (priority class,
    0 = most urgent), ``route`` (index into ``routes``), ``service_s`` and ``patience_s``
    (``math.inf`` = never leaves the queue).

    Parameters
    ----------
    env : simpy.Environment
        The environment whose loop runs the pool.
    n_classes : int
        Number of priority classes.
    on_start, on_end, on_renege : callable
        ``f(item, now)``: an operator takes the item; finishes it; a waiting item's patience runs out.
        ``on_start`` may change ``item.service_s`` (the pool reads it afterwards).
    name : str
        Label for reports.
    groups : sequence of str
        Names of the operator groups (one group by default).
    routes : sequence of Route
        The routes items may take; default: the single route ``[(0, 0.0)]``.
    blended : sequence of int
        Classes taken only while ``reserve`` other operators of the group stay idle.
    escalate : sequence of (int, float), optional
        Per class, ``(class it moves to, seconds of waiting in this class first)``; ``(-1, inf)`` = never.
        The class moved to is more urgent (a lower number); the wait is positive.
    class_routes : sequence of sequence of int, optional
        Per class, the routes its items may take (default: every route); lanes exist only for these.

    Raises
    ------
    ValueError
        A route names an unknown group, is empty, or its first group is not eligible at once; an
        escalation moves down, after no wait, or from a class that is not blended into a blended one.
    """

    def __init__(self, env: simpy.Environment, n_classes: int,
                 on_start: Callable[[Any, float], None], on_end: Callable[[Any, float], None],
                 on_renege: Callable[[Any, float], None], name: str = "pool",
                 groups: Sequence[str] = ("operators",), routes: Sequence[Route] = (((0, 0.0),),),
                 blended: Sequence[int] = (), escalate: Optional[Sequence[tuple[int, float]]] = None,
                 class_routes: Optional[Sequence[Sequence[int]]] = None) -> None:
        self.env = env
        self.name = name
        self.n_classes = n_classes
        self.groups = [Group(i, g) for i, g in enumerate(groups)]
        self.routes = [tuple((int(g), float(d)) for g, d in r) for r in routes]
        for r in self.routes:
            if not r or r[0][1] != 0.0 or any(not 0 <= g < len(self.groups) or d < 0 for g, d in r):
                raise ValueError(f"invalid route {r!r} for {len(self.groups)} group(s)")
        n_routes = len(self.routes)
        self._n_routes = n_routes
        self.lanes: list[deque] = [deque() for _ in range(n_classes * n_routes)]
        self._lane_n = [0] * (n_classes * n_routes)
        self._immediate = [tuple(self.groups[g] for g, d in r if d == 0.0) for r in self.routes]
        self._later = [tuple((d, g) for g, d in r if 0.0 < d < INF) for r in self.routes]
        used = [set(range(n_routes)) if class_routes is None else set(class_routes[c]) for c in range(n_classes)]
        for grp in self.groups:
            for c in range(n_classes):
                lanes = [(c * n_routes + i, self.lanes[c * n_routes + i], d)
                         for i, r in enumerate(self.routes) if i in used[c] for g, d in r if g == grp.index]
                if lanes:
                    grp.scan.append((c, lanes))
        self.waiting = [0] * n_classes
        self._n_wait = 0
        self.class_open = [True] * n_classes
        self.blended = [c in set(blended) for c in range(n_classes)]
        self._init_aging(list(escalate) if escalate is not None else [(-1, INF)] * n_classes)
        self._on_start = on_start
        self._on_end = on_end
        self._on_renege = on_renege
        # patience and overflow: a private heap each, and one SimPy timer at its earliest live entry
        self._deadlines: list[tuple[float, int, Any, int]] = []
        self._dseq = 0
        self._timer_at = INF
        self._timer_seq = 0
        self._overflow: list[tuple[float, int, Any, int, int, float]] = []  # (at, seq, item, attempt, group, queued)
        self._ovf_at = INF
        self._ovf_seq = 0
        self._ovf_timer = 0
        # time-weighted queue areas since the last flush
        self._t_q = [0.0] * n_classes
        self._q_area = [0.0] * n_classes
        self.group_areas: list[tuple[float, float]] = [(0.0, 0.0)] * len(self.groups)
        self._bind_short_paths()

    # ------------------------------------------------------------------ hot path
    def offer(self, item: Any) -> None:
        """Give ``item`` to a free operator of its route, or queue it in its lane."""
        now = self.env._now
        cls = item.cls
        r = item.route
        if self.class_open[cls]:
            for grp in self._immediate[r]:
                free = grp.free
                if free and (not self.blended[cls] or len(free) > grp.reserve):
                    op = free.pop()
                    op.is_free = False
                    self._start(item, op, now)
                    return
        self._q_area[cls] += self.waiting[cls] * (now - self._t_q[cls])
        self._t_q[cls] = now
        self.waiting[cls] += 1
        self._n_wait += 1
        lane = cls * self._n_routes + r
        self._lane_n[lane] += 1
        item.state = WAITING
        attempt = item.attempt
        self.lanes[lane].append((item, attempt, now))
        patience = item.patience_s
        if patience != INF:
            deadline = now + patience
            self._dseq += 1
            heappush(self._deadlines, (deadline, self._dseq, item, attempt))
            if deadline < self._timer_at:
                self._arm(deadline)
        for d, g in self._later[r]:
            self._ovf_seq += 1
            heappush(self._overflow, (now + d, self._ovf_seq, item, attempt, g, now))
            if now + d < self._ovf_at:
                self._arm_overflow(now + d)
        if self._lift_s[cls] < INF:  # blended work that ages out of blending
            self._held(cls, r, now)

    def _start(self, item: Any, op: Operator, now: float) -> None:
        grp = op.grp
        dt = now - grp.t_ops
        grp.busy_area += grp.busy * dt
        grp.duty_area += grp.on_duty * dt
        grp.t_ops = now
        grp.busy += 1
        item.state = IN_SERVICE
        self._on_start(item, now)
        tick = op.tick
        tick.item = item
        tick.callbacks = op.end_callbacks
        env = self.env
        # inlined env.schedule(tick, NORMAL, service_s): same heap entry, one call less per item
        heappush(env._queue,  # type: ignore[misc]  # a Tick duck-types simpy.Event on SimPy's queue
                 (now + item.service_s, NORMAL, next(env._eid), tick))

    def _end(self, ev: Tick) -> None:
        now = self.env._now
        op = ev.tag
        grp = op.grp
        dt = now - grp.t_ops
        grp.busy_area += grp.busy * dt
        grp.duty_area += grp.on_duty * dt
        grp.t_ops = now
        grp.busy -= 1
        item = ev.item
        ev.item = None
        self._on_end(item, now)
        if op.leaving:
            self._leave(op, now)
        elif grp.pending:
            grp.pending -= 1
            self._leave(op, now)
        else:
            self._next(op, now)

    def _next(self, op: Operator, now: float) -> bool:
        """Give the free operator ``op`` its next item (True), or put it among the free (False).

        The item is the head of a lane the operator's group may serve now: the most urgent (aged) class,
        then the earliest queued.  Stale heads (served, gone or re-queued since) are dropped on the way.
        A head held by the reservation that will age out of blending arms the timer for that moment.
        """
        grp = op.grp
        if self._n_wait:
            lane_n, is_open, blended, aging = self._lane_n, self.class_open, self.blended, self._aging
            best, best_t, best_rank, best_c, best_item = -1, INF, 0, 0, None
            lift = INF
            for c, lanes in grp.scan:
                if best >= 0 and not aging:
                    break  # a candidate in a more urgent class
                if not is_open[c]:
                    continue
                hold = blended[c] and len(grp.free) < grp.reserve
                if hold:
                    lift_s = self._lift_s[c]
                    if lift_s == INF:
                        continue  # held, and never ages out of blending
                for lane, q, d in lanes:
                    if lane_n[lane]:
                        head = q[0]
                        item = head[0]
                        while item.state != WAITING or item.attempt != head[1]:
                            q.popleft()
                            head = q[0]
                            item = head[0]
                        t = head[2]
                        if t + d <= now:
                            if hold and t + lift_s > now:  # still blended: held until it ages out
                                if t + lift_s < lift:
                                    lift = t + lift_s
                                continue
                            rank = self._rank(c, t, now) if aging else c
                            if best < 0 or rank < best_rank or (rank == best_rank and t < best_t):
                                best, best_t, best_rank, best_c, best_item = lane, t, rank, c, item
            if best >= 0:
                self.lanes[best].popleft()
                waiting = self.waiting
                self._q_area[best_c] += waiting[best_c] * (now - self._t_q[best_c])
                self._t_q[best_c] = now
                waiting[best_c] -= 1
                self._n_wait -= 1
                lane_n[best] -= 1
                self._start(best_item, op, now)
                return True
            if lift < self._lift_at:
                self._arm_lift(lift)
        op.is_free = True
        grp.free.append(op)
        return False

    def _unqueue(self, cls: int, lane: int, now: float) -> None:
        """Bookkeeping of an item leaving lane ``lane`` (class ``cls``) at ``now``."""
        self._q_area[cls] += self.waiting[cls] * (now - self._t_q[cls])
        self._t_q[cls] = now
        self.waiting[cls] -= 1
        self._n_wait -= 1
        self._lane_n[lane] -= 1

    def _arm(self, deadline: float) -> None:
        """Schedule the patience timer at ``deadline`` (a timer armed earlier goes stale)."""
        self._timer_at = deadline
        self._timer_seq += 1
        env = self.env
        heappush(env._queue,  # type: ignore[misc]  # a Tick duck-types simpy.Event on SimPy's queue
                 (deadline, NORMAL, next(env._eid), Tick(self._on_timer, None, self._timer_seq)))

    def _on_timer(self, ev: Tick) -> None:
        """The earliest patience of a waiting item runs out: it leaves; re-arm for the next one."""
        if ev.tag != self._timer_seq:
            return  # superseded by an earlier deadline
        now = self.env._now
        dl = self._deadlines
        self._timer_at = INF
        while dl and dl[0][0] <= now:
            _, _, item, attempt = heappop(dl)
            if item.state == WAITING and item.attempt == attempt:
                self._renege(item, now)
        while dl and (dl[0][2].state != WAITING or dl[0][2].attempt != dl[0][3]):
            heappop(dl)  # served or gone since: drop lazily
        if len(dl) > 4 * (self._n_wait + 256):
            self._deadlines = dl = [e for e in dl if e[2].state == WAITING and e[2].attempt == e[3]]
            heapify(dl)
        if dl:
            self._arm(dl[0][0])

    def _renege(self, item: Any, now: float) -> None:
        cls = item.cls
        lane = cls * self._n_routes + item.route
        self._unqueue(cls, lane, now)
        if not self._lane_n[lane]:
            self.lanes[lane].clear()
        item.state = GONE
        self._on_renege(item, now)

    def _arm_overflow(self, at: float) -> None:
        self._ovf_at = at
        self._ovf_timer += 1
        env = self.env
        heappush(env._queue,  # type: ignore[misc]  # a Tick duck-types simpy.Event on SimPy's queue
                 (at, NORMAL, next(env._eid), Tick(self._on_overflow, None, self._ovf_timer)))

    def _on_overflow(self, ev: Tick) -> None:
        """Items become eligible for a later group of their route: a free operator there takes them now."""
        if ev.tag != self._ovf_timer:
            return  # superseded by an earlier one
        now = self.env._now
        heap = self._overflow
        self._ovf_at = INF
        while heap and heap[0][0] <= now:
            _, _, item, attempt, g, t = heappop(heap)
            if item.state != WAITING or item.attempt != attempt:
                continue
            grp, cls = self.groups[g], item.cls
            free = grp.free
            if not free or not self.class_open[cls]:
                continue  # an operator who becomes free, or the class's opening, finds it
            lift = t + self._lift_s[cls]  # inf: never ages out of blending
            if not self.blended[cls] or len(free) > grp.reserve or lift <= now:
                op = free.pop()
                op.is_free = False
                self._unqueue(cls, cls * self._n_routes + item.route, now)  # its lane entry goes stale
                self._start(item, op, now)
            elif lift < self._lift_at:
                self._arm_lift(lift)  # held by the reservation until it ages out of blending
        while heap and (heap[0][2].state != WAITING or heap[0][2].attempt != heap[0][3]):
            heappop(heap)
        if heap:
            self._arm_overflow(heap[0][0])

    # ---------------------------------------------------------- questions
    def waiting_ahead(self, cls: int, group: int) -> int:
        """Items waiting in class ``cls`` or a more urgent one (aged class) that ``group`` may serve (now or later)."""
        grp = self.groups[group]
        n = sum(self._lane_n[lane] for c, lanes in grp.scan if c <= cls for lane, _, _ in lanes)
        return n + self._aged_ahead(cls, grp, self.env._now, WAITING) if self._aging else n

    def free_for(self, route: int, cls: int) -> bool:
        """Whether an item of ``cls`` on ``route`` would be taken at once."""
        if not self.class_open[cls]:
            return False
        return any(grp.free and (not self.blended[cls] or len(grp.free) > grp.reserve)
                   for grp in self._immediate[route])

    @property
    def n_waiting(self) -> int:
        """Items waiting, all classes."""
        return self._n_wait

