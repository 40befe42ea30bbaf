"""Blending and priority aging in the operator pool: which class an item is in now, and the reservation.

The part of :class:`sim.core.engine.Pool` that judges an item by its class *at
this moment*.  With priority aging an item's class moves up after it has waited
a given time (``escalate``: per class, the class it moves to and the wait in
its class first), and the item is then ranked by its aged class.  The
threshold reservation of blended work (Bhulai & Koole 2003, "A queueing model
for call blending in call centers", IEEE TAC 48(8); Gans & Zhou 2003) holds an
item only while its aged class is blended: an online item that has aged into
the call class is a call for the reservation too.  Classes age upwards only, and
a class that is not blended never ages into a blended one, so an item is held
exactly until a fixed wait (:attr:`BlendingSide._lift_s`), from the moment it
was queued.

The state a rule reads can change without any event - an item ages while
nothing happens - so the pool keeps one timer for it: whenever a free operator
is left idle beside an item the reservation holds, the timer is armed for the
moment the earliest such item ages out of blending, and it wakes the free
operators then (:meth:`BlendingSide._on_lift`).  Closing a class (outbound calls
at night) follows the kind of work, not the aged class: the pool checks it on
the item's own class.  The callback offer's estimate of the calls ahead counts
items by their aged class too (:meth:`BlendingSide._aged_ahead`).
"""

from __future__ import annotations

from heapq import heappush
from typing import Sequence

from simpy.core import NORMAL

from sim.core.events import Tick
from sim.core.operators import Group, OperatorSide

INF = float("inf")


def aging_steps(esc: Sequence[tuple[int, float]],
                blended: Sequence[bool]) -> tuple[list[list[tuple[float, int]]], list[float]]:
    """Each class's aging as a list of steps, and when a blended class's items stop being blended.

    Parameters
    ----------
    esc : sequence of (int, float)
        Per class, ``(class it moves to, seconds of waiting in this class first)``; ``(-1, inf)`` = never.
    blended : sequence of bool
        Per class, whether it is blended.

    Returns
    -------
    steps : list of list of (float, int)
        Per class, ``(seconds since queued, class reached)`` for each move, in order.
    lift_s : list of float
        Per class, the seconds since queued after which an item is in a class that is not blended
        (``inf``: never, or the class is not blended).

    Raises
    ------
    ValueError
        An escalation to a class that is not more urgent, after a wait that is not positive, or from a
        class that is not blended into a blended one.
    """
    for c, (target, after) in enumerate(esc):
        if target >= 0 and after < INF and not (target < c and after > 0 and (blended[c] or not blended[target])):
            raise ValueError(f"invalid escalation of class {c}: to class {target} after {after} s")
    steps: list[list[tuple[float, int]]] = []
    lift_s = [INF] * len(esc)
    for c in range(len(esc)):
        chain: list[tuple[float, int]] = []
        k, total = c, 0.0
        while esc[k][0] >= 0 and esc[k][1] < INF:
            total += esc[k][1]
            k = esc[k][0]
            chain.append((total, k))
            if blended[c] and not blended[k] and lift_s[c] == INF:
                lift_s[c] = total
        steps.append(chain)
    return steps, lift_s


class BlendingSide(OperatorSide):
    """Aged classes and the timer that ends a reservation's hold (a base of :class:`sim.core.engine.Pool`)."""

    _immediate: list[tuple[Group, ...]]
    escalate: list[tuple[int, float]]
    _aging: bool
    _steps: list[list[tuple[float, int]]]
    _lift_s: list[float]
    _lift_at: float
    _lift_seq: int

    def _init_aging(self, esc: list[tuple[int, float]]) -> None:
        """Set up aging from ``esc`` (per class, as :func:`aging_steps` takes it); ``blended`` is set."""
        self.escalate = esc  # as given (read by checks of the pool's decisions)
        self._aging = any(t >= 0 for t, _ in esc)
        self._steps, self._lift_s = aging_steps(esc, self.blended)
        self._lift_at = INF  # the moment the aging-out timer is armed for
        self._lift_seq = 0

    def _rank(self, c: int, t: float, now: float) -> int:
        """The class at ``now`` of an item of class ``c`` queued at ``t``."""
        for total, target in self._steps[c]:
            if t + total > now:
                break
            c = target
        return c

    def _aged_ahead(self, cls: int, grp: Group, now: float, waiting: int) -> int:
        """Items in lanes of classes less urgent than ``cls`` that ``grp`` serves, aged into ``cls`` or a
        more urgent class by ``now`` (item state ``waiting``: still waiting under that entry's attempt)."""
        n = 0
        for c, lanes in grp.scan:
            reach = next((total for total, k in self._steps[c] if k <= cls), INF) if c > cls else INF
            if reach == INF:
                continue
            for _, q, _ in lanes:
                for item, attempt, t in q:  # the oldest first: the aged ones are a prefix of the lane
                    if t + reach > now:
                        break
                    n += item.state == waiting and item.attempt == attempt
        return n

    def _held(self, cls: int, route: int, now: float) -> None:
        """An item of blended class ``cls`` was queued at ``now`` on ``route``: if the reservation kept it
        from a free operator, wake the pool when it ages out of blending."""
        if not self.class_open[cls]:
            return  # the class's opening wakes the pool
        lift = now + self._lift_s[cls]
        if lift < self._lift_at and any(g.free and len(g.free) <= g.reserve for g in self._immediate[route]):
            self._arm_lift(lift)

    def _arm_lift(self, at: float) -> None:
        """Arm the aging-out timer for ``at`` (a timer armed for later goes stale; the wake re-arms it)."""
        self._lift_at = at
        self._lift_seq += 1
        env = self.env
        heappush(env._queue,  # type: ignore[misc]  # a Tick duck-types simpy.Event on SimPy's queue
                 (at, NORMAL, next(env._eid), Tick(self._on_lift, None, self._lift_seq)))

    def _on_lift(self, ev: Tick) -> None:
        """A held item ages out of blending: free operators take what they now may (and re-arm the timer)."""
        if ev.tag != self._lift_seq:
            return  # superseded by an earlier one
        self._lift_at = INF
        self._wake(self.env._now)


__all__ = ["BlendingSide", "aging_steps"]
