"""Operators of the fast core: groups, staffing changes and the areas they accumulate.

The operator side of :class:`sim.core.engine.Pool`: an :class:`Operator` belongs to a
:class:`Group` (a skill group; the default model has one), which keeps its free
operators, its counts and its time-weighted areas (operators busy and on duty).
:class:`OperatorSide` brings operators on and off duty by the two rules of the
staffing plans - an operator whose shift ends finishes the current item and then
leaves; a falling headcount sends free operators home first and lets busy ones
finish - and hands the areas to the interval recorder (:meth:`OperatorSide.flush`).
The queue side (items, lanes, routing, patience) is in :mod:`sim.core.engine`.
"""

from __future__ import annotations

from collections import deque
from typing import Callable, Optional

import simpy

from sim.core.events import Tick


class Operator:
    """An operator: the group and shift they belong to, whether they leave after the current item, and
    the reusable event that ends their current item (an operator serves one item at a time)."""

    __slots__ = ("grp", "shift", "leaving", "is_free", "tick", "end_callbacks")

    def __init__(self, grp: "Group", shift: Optional[int], on_end: Callable[[Tick], None]) -> None:
        self.grp = grp
        self.shift = shift
        self.leaving = False
        self.is_free = False
        self.tick = Tick(on_end, None, self)
        self.end_callbacks = self.tick.callbacks  # SimPy only iterates the list, so it can be reused


class Group:
    """One operator group: its free operators, counts, time-weighted areas and reservation.

    ``scan`` lists, class by class (most urgent first), the lanes the group may serve as
    ``(lane index, deque, eligibility wait)``; ``lanes``, the same when each class has one lane
    eligible at once, as ``(class, lane index, deque)`` (the pool's shortest path reads it).
    """

    __slots__ = ("index", "name", "free", "on_duty", "busy", "pending", "rosters", "t_ops", "busy_area",
                 "duty_area", "reserve", "scan", "lanes")

    def __init__(self, index: int, name: str) -> None:
        self.index, self.name = index, name
        self.free: list[Operator] = []
        self.on_duty = self.busy = self.pending = 0
        self.rosters: dict[int, list[Operator]] = {}
        self.t_ops = self.busy_area = self.duty_area = 0.0
        self.reserve = 0
        self.scan: list[tuple[int, list[tuple[int, deque, float]]]] = []
        #: ``scan`` when every class has one lane, eligible at once: ``(class, lane index, deque)``
        self.lanes: list[tuple[int, int, deque]] = []

    def account(self, now: float) -> None:
        """Add the areas since the last change of the group's counts."""
        dt = now - self.t_ops
        self.busy_area += self.busy * dt
        self.duty_area += self.on_duty * dt
        self.t_ops = now


class OperatorSide:
    """Staffing and statistics of a pool's operator groups (the base of :class:`sim.core.engine.Pool`)."""

    env: simpy.Environment
    groups: list[Group]
    blended: list[bool]
    class_open: list[bool]
    waiting: list[int]
    group_areas: list[tuple[float, float]]
    _n_wait: int
    _q_area: list[float]
    _t_q: list[float]
    _end: Callable[[Tick], None]

    def _next(self, op: Operator, now: float) -> bool:  # pragma: no cover - the pool defines it
        raise NotImplementedError

    def _leave(self, op: Operator, now: float) -> None:
        grp = op.grp
        grp.account(now)
        grp.on_duty -= 1
        op.tick.tag = None  # break the operator <-> tick cycle
        if op.shift is not None:
            roster = grp.rosters.get(op.shift)
            if roster is not None:
                roster.remove(op)

    def add(self, n: int, shift: Optional[int] = None, group: int = 0) -> None:
        """Bring ``n`` operators of ``group`` on duty (cancelling pending departures first for an anonymous plan)."""
        now = self.env._now
        grp = self.groups[group]
        for _ in range(n):
            if shift is None and grp.pending:
                grp.pending -= 1
                continue
            grp.account(now)
            grp.on_duty += 1
            op = Operator(grp, shift, self._end)
            if shift is not None:
                grp.rosters.setdefault(shift, []).append(op)
            self._next(op, now)

    def remove(self, n: int, group: int = 0) -> None:
        """Take ``n`` operators of ``group`` off duty: free ones at once, then busy ones after their current item."""
        now = self.env._now
        grp = self.groups[group]
        while n > 0 and grp.free:
            op = grp.free.pop()
            op.is_free = False
            self._leave(op, now)
            n -= 1
        grp.pending += n

    def end_shift(self, shift: int, group: int = 0) -> None:
        """End shift ``shift`` of ``group``: its free operators leave now, its busy ones after their current item."""
        now = self.env._now
        grp = self.groups[group]
        roster = grp.rosters.pop(shift, [])
        leaving_free = [op for op in roster if op.is_free]
        if leaving_free:
            gone = set(map(id, leaving_free))
            grp.free = [op for op in grp.free if id(op) not in gone]
        for op in roster:
            op.shift = None
            if op.is_free:
                op.is_free = False
                self._leave(op, now)
            else:
                op.leaving = True

    def _wake(self, now: float) -> None:
        """Free operators take what has become admissible (a class opened, a reservation fell)."""
        for grp in self.groups:
            for _ in range(len(grp.free)):
                op = grp.free.pop()
                op.is_free = False
                if not self._next(op, now):
                    break

    def set_class_open(self, cls: int, is_open: bool) -> None:
        """Allow (or stop) operators to take items of class ``cls``; free operators take them at once."""
        self.class_open[cls] = is_open
        if is_open and self.waiting[cls]:
            self._wake(self.env._now)

    def set_reserve(self, reserve: int) -> None:
        """Set the idle operators each group keeps for its unblended classes (a group that serves none keeps 0)."""
        lower = False
        for grp in self.groups:
            value = int(reserve) if any(not self.blended[c] for c, _ in grp.scan) else 0
            lower = lower or value < grp.reserve
            grp.reserve = value
        if lower and self._n_wait:
            self._wake(self.env._now)

    # ---------------------------------------------------------- statistics
    def flush(self, now: float) -> tuple[float, float, list[float]]:
        """Return and reset the areas (busy, on duty, waiting per class) accumulated since the last flush.

        The busy and on-duty areas of each group are left in :attr:`group_areas`.
        """
        areas = []
        for grp in self.groups:
            grp.account(now)
            areas.append((grp.busy_area, grp.duty_area))
            grp.busy_area = grp.duty_area = 0.0
        self.group_areas = areas
        busy = sum(a for a, _ in areas) if len(areas) > 1 else areas[0][0]
        duty = sum(b for _, b in areas) if len(areas) > 1 else areas[0][1]
        q = [a + w * (now - t) for a, w, t in zip(self._q_area, self.waiting, self._t_q)]
        self._q_area = [0.0] * len(q)
        self._t_q = [now] * len(q)
        return busy, duty, q

    @property
    def on_duty(self) -> int:
        """Operators on duty, all groups."""
        return sum(g.on_duty for g in self.groups)

    @property
    def busy(self) -> int:
        """Operators busy, all groups."""
        return sum(g.busy for g in self.groups)

    @property
    def free(self) -> list[Operator]:
        """Free operators, all groups."""
        return [op for g in self.groups for op in g.free]

    @property
    def pending_departures(self) -> int:
        """Operators who leave after their current item (anonymous plans), all groups."""
        return sum(g.pending for g in self.groups)
