"""A minimal hand-written SimPy M/M/c+M call centre: the speed reference.

This is the idiom of SimPy's own examples (``bank_renege.py``): one generator
process per caller, reneging as ``yield request | env.timeout(patience)``, a
``simpy.Resource`` for the operators.  It has none of hotline-sim's features
(no profiles, shifts, priorities, redials, online work, interval records), and
is used by ``bench_single_queue.py`` to measure how much faster hotline-sim's
fast core is with all of them.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

import simpy


@dataclass
class MinimalResult:
    """Counts and timing of one run of the minimal model."""

    calls: int
    answered: int
    abandoned: int
    wait_sum_s: float
    busy_s: float
    wall_s: float

    @property
    def calls_per_s(self) -> float:
        return self.calls / self.wall_s


def run_minimal(lam: float, mean_handle_s: float, mean_patience_s: float, servers: int,
                horizon_s: float, seed: int) -> MinimalResult:
    """Simulate the M/M/c+M model for ``horizon_s`` seconds and time ``env.run``."""
    rng = random.Random(seed)  # Python's generator, as in SimPy's examples (faster per draw than NumPy's)
    env = simpy.Environment()
    operators = simpy.Resource(env, capacity=servers)
    stats = {"calls": 0, "answered": 0, "abandoned": 0, "wait": 0.0, "busy": 0.0}

    def caller(env: simpy.Environment):  # type: ignore[no-untyped-def]
        arrived = env.now
        patience = rng.expovariate(1.0 / mean_patience_s)
        with operators.request() as req:
            result = yield req | env.timeout(patience)
            if req in result:
                stats["answered"] += 1
                stats["wait"] += env.now - arrived
                handle = rng.expovariate(1.0 / mean_handle_s)
                stats["busy"] += handle
                yield env.timeout(handle)
            else:
                stats["abandoned"] += 1
                stats["wait"] += env.now - arrived

    def source(env: simpy.Environment):  # type: ignore[no-untyped-def]
        while True:
            yield env.timeout(rng.expovariate(lam))
            stats["calls"] += 1
            env.process(caller(env))

    env.process(source(env))
    t0 = time.perf_counter()
    env.run(until=horizon_s)
    wall = time.perf_counter() - t0
    return MinimalResult(int(stats["calls"]), int(stats["answered"]), int(stats["abandoned"]), stats["wait"],
                         stats["busy"], wall)
