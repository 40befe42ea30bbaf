"""The operator pool's short paths: the same decisions as its general path, for the pools most runs have.

:class:`sim.core.engine.Pool` serves items from lanes of (priority class, route) with
overflow waits, priority aging and a blending reservation; its general path scans, for a
free operator, every lane of every class its group may serve.  Most pools need less: the
default model has one group, one route and no aging, so each class has one lane, eligible
at once.  For such a pool :class:`ShortPaths` binds, on the instance, a ``_next`` that takes
the head of the most urgent class the group may serve, and an ``offer`` that looks at the
route's one group; they decide exactly what the general path decides (tests/unit/test_pool_reference.py
and tests/unit/test_pool_groups.py run both), with a few dictionary and tuple reads less per
item - the hot path runs once or twice per contact.
"""

from __future__ import annotations

from collections import deque
from heapq import heappush
from typing import Any, Callable

import simpy

from sim.core.operators import Group, Operator

# the item states of sim.core.engine (which imports this module)
WAITING = 1
INF = float("inf")


class ShortPaths:
    """Short paths of :class:`sim.core.engine.Pool` (a base class: the pool has the state they read)."""

    env: simpy.Environment
    groups: list[Group]
    lanes: list[deque]
    waiting: list[int]
    class_open: list[bool]
    blended: list[bool]
    offer: Callable[[Any], None]
    _next: Callable[[Operator, float], bool]
    _immediate: list[tuple[Group, ...]]
    _later: list[tuple[tuple[float, int], ...]]
    _first: list[Group]
    _aging: bool
    _lane_n: list[int]
    _n_wait: int
    _n_routes: int
    _q_area: list[float]
    _t_q: list[float]
    _deadlines: list[tuple[float, int, Any, int]]
    _dseq: int
    _timer_at: float
    _start: Callable[[Any, Operator, float], None]
    _arm: Callable[[float], None]

    def _bind_short_paths(self) -> None:
        """Serve with the shortest path the pool's routes allow (the same decisions as the general one).

        Without priority aging, a group whose every class has one lane, eligible at once (one route per
        class, no overflow wait - the default model), takes the head of the most urgent class it may serve
        (:meth:`_next_one_lane`); routes of one group each and no overflow offer an arrival to that group
        only (:meth:`_offer_one_group`), without aging too.  Bound on the instance, these replace :meth:`_next` and
        :meth:`offer`; any other pool keeps the general ones.
        """
        one_lane = not self._aging and all(len(lanes) == 1 and lanes[0][2] == 0.0
                                           for grp in self.groups for _, lanes in grp.scan)
        if one_lane:
            for grp in self.groups:
                grp.lanes = [(c, lanes[0][0], lanes[0][1]) for c, lanes in grp.scan]
            self._next = self._next_one_lane
        # with aging, the general offer also arms the timer that ends a reservation's hold (sim.core.blending)
        if not self._aging and all(len(g) == 1 for g in self._immediate) and not any(self._later):
            self._first = [g[0] for g in self._immediate]
            self.offer = self._offer_one_group

    def _offer_one_group(self, item: Any) -> None:
        """:meth:`offer` when every route starts with its one group and has no overflow (the same rules)."""
        now = self.env._now
        cls = item.cls
        if self.class_open[cls]:
            grp = self._first[item.route]
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
        lane = cls * self._n_routes + item.route
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

    def _next_one_lane(self, op: Operator, now: float) -> bool:
        """:meth:`_next` for a group with one lane per class, eligible at once, and no aging (the same choice:
        the head of the most urgent class the group may serve now)."""
        grp = op.grp
        if self._n_wait:
            lane_n, is_open, blended = self._lane_n, self.class_open, self.blended
            for c, lane, q in grp.lanes:
                if lane_n[lane] and is_open[c] and not (blended[c] and len(grp.free) < grp.reserve):
                    item, attempt, _ = q.popleft()
                    while item.state != WAITING or item.attempt != attempt:
                        item, attempt, _ = q.popleft()  # stale entries (served, gone or re-queued since)
                    waiting = self.waiting
                    self._q_area[c] += waiting[c] * (now - self._t_q[c])
                    self._t_q[c] = now
                    waiting[c] -= 1
                    self._n_wait -= 1
                    lane_n[lane] -= 1
                    self._start(item, op, now)
                    return True
        op.is_free = True
        grp.free.append(op)
        return False


__all__ = ["ShortPaths"]
