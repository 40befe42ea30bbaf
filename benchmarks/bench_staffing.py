"""What the staffing policies add to a run: the erlang requirement, and its shift schedule.

For a scenario (default the Beijing baseline at scale 1), times - in this process, CPU and wall,
median of ``--rounds`` rounds, the requirement's cache cleared before each - the planning step a
run performs before it simulates (:func:`sim.planning.check_plan` and :func:`sim.planning.make_plan`):

* ``plan``: the offered loads only (every run computes them for ``staffing.csv``);
* ``erlang``: the offered loads and the fewest agents of every reporting interval of the
  planning week by exact Erlang A (the target: under a second on the Beijing baseline);
* ``erlang+shifts``: the same, covered by the default shift patterns (integer programming).

``optimize`` is a series of simulations, measured by a run itself (its wall time is in the
progress lines and the report); see the README's staffing cookbook.

Usage::

    python benchmarks/bench_staffing.py [--scenario beijing_baseline] [--scale 1] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Dict, List

from sim.api import compose_config
from sim.planning import check_plan, make_plan
from sim.planning.policies import _CACHE

CASES: Dict[str, List[str]] = {
    "plan": [],
    "erlang": ["staffing.policy=erlang"],
    "erlang+shifts": ["staffing.policy=erlang", "staffing.schedule=shifts"],
}


def measure(scenario: str, scale: float, overrides: List[str]) -> Dict[str, float]:
    """One planning step, from a validated configuration; returns CPU and wall seconds."""
    cfg = compose_config(scenario, [f"scale={scale:g}", *overrides])
    _CACHE.clear()
    t_wall, t_cpu = time.perf_counter(), time.process_time()
    check_plan(cfg)
    make_plan(cfg, line=lambda _m: None)
    return {"cpu_s": time.process_time() - t_cpu, "wall_s": time.perf_counter() - t_wall}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="beijing_baseline")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    out = {}
    for name, overrides in CASES.items():
        runs = [measure(args.scenario, args.scale, overrides) for _ in range(args.rounds)]
        out[name] = {k: statistics.median(r[k] for r in runs) for k in ("cpu_s", "wall_s")}
        print(f"{name:14s} cpu {out[name]['cpu_s']:7.3f} s   wall {out[name]['wall_s']:7.3f} s "
              f"(median of {args.rounds})", flush=True)
    print(json.dumps({"scenario": args.scenario, "scale": args.scale, "rounds": args.rounds, "results": out}))


if __name__ == "__main__":
    main()
