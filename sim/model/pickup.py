"""The pickup delay: operators who are not ready the moment a call comes (``calls.pickup_delay_s``).

A call centre's log shows callers who arrive while an agent sits idle and nobody else waits, yet are
answered only after some seconds - the agent is finishing after-call work outside the talk time, or is
back from a break - and some hang up meanwhile.  With ``calls.pickup_delay_s`` a call attempt that
would be taken at once (an operator of its route is free) is offered to the operators only after a
delay drawn from that distribution; if its patience is shorter, the caller hangs up when it runs out.
No operator is held meanwhile, and the waiting caller is counted among the calls waiting
(``mean_calls_waiting``).  A call that finds no operator free queues as before: while callers wait, an
operator who frees up takes the next one within seconds, which the agents available measured from a
log already count (:mod:`sim.calibrate.agents`).  The delay is measured from a log by
:func:`sim.calibrate.calls.pickup_delay`.
"""

from __future__ import annotations

from typing import Any, Callable

import simpy
from simpy.core import NORMAL

from sim.core.distributions import Distribution
from sim.core.engine import GONE, WAITING, Pool
from sim.core.events import Tick
from sim.core.rng import ValueBuffer
from sim.model.callbacks import PENDING
from sim.model.residents import CLS_CALL


class Pickup:
    """The pickup delay of one replication's call attempts.

    Parameters
    ----------
    env : simpy.Environment
        The simulation environment.
    delay : Distribution
        The pickup delay, seconds.
    rng : numpy.random.Generator
        Its named random stream (``pickup``).
    pool : Pool
        The operators.
    hang_up : callable
        Called with ``(contact, now)`` for a caller who hangs up before the pickup (as an abandonment in the
        queue: its wait is its patience).
    """

    def __init__(self, env: simpy.Environment, delay: Distribution, rng: Any, pool: Pool,
                 hang_up: Callable[[Any, float], None]) -> None:
        self.env = env
        self.pool = pool
        self._delay = ValueBuffer(delay.ppf, rng)
        self._hang_up = hang_up
        self._n = 0
        self._area = 0.0
        self._t = 0.0

    def offer(self, c: Any) -> None:
        """Offer call attempt ``c`` to the operators, after its pickup delay if it would be taken at once."""
        # the classes up to CLS_CALL hold the residents' call attempts only (online work and outbound calls
        # have classes of their own); a pending callback is an operator calling back, not a caller
        if c.cls <= CLS_CALL and c.cb != PENDING and self.pool.free_for(c.route, c.cls):
            d = self._delay.next()
            if d > 0.0:
                self._count(1)
                c.state = WAITING
                if d >= c.patience_s:
                    self.env.schedule(Tick(self._gone, c), NORMAL, c.patience_s)  # type: ignore[arg-type]
                else:
                    c.patience_s -= d  # what is left of it in the queue, should all operators be busy by then
                    self.env.schedule(Tick(self._picked_up, c), NORMAL, d)  # type: ignore[arg-type]
                return
        self.pool.offer(c)

    def _picked_up(self, ev: Tick) -> None:
        self._count(-1)
        self.pool.offer(ev.item)

    def _gone(self, ev: Tick) -> None:
        self._count(-1)
        ev.item.state = GONE
        self._hang_up(ev.item, self.env._now)

    def _count(self, k: int) -> None:
        now = self.env._now
        self._area += self._n * (now - self._t)
        self._t = now
        self._n += k

    def flush_area(self) -> float:
        """Caller-seconds spent waiting for a pickup since the last flush."""
        self._count(0)
        area, self._area = self._area, 0.0
        return area
