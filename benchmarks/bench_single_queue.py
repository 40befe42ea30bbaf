"""Speed of hotline-sim's front line against a minimal hand-written SimPy model.

Runs, in one process and alternating round by round, the ``single_queue``
scenario (one replication, all features of the engine active: interval records,
priority classes, redial logic, shift machinery, accounting) and
:mod:`minimal_simpy` with the same parameters and seeds, and prints calls per
second for each, their medians and the ratio of the medians.  Timing of
hotline-sim covers the whole replication (arrival generation, simulation and
records); timing of the minimal model covers ``env.run`` only.

With ``--groups`` the operators are split into two skill groups of equal size,
each category (two, of equal share) routed to its own group first and to the
other after ``--overflow-s`` seconds: the routing core with overflow on, against
the same minimal model (which pools all operators).

Usage::

    python benchmarks/bench_single_queue.py [--rounds 7] [--horizon-h 24] [--groups] [overrides ...]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from minimal_simpy import run_minimal  # noqa: E402

from sim.api import compose_config  # noqa: E402
from sim.model.compile import compile_config  # noqa: E402
from sim.model.replication import run_replication  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--horizon-h", type=float, default=24.0)
    ap.add_argument("--groups", action="store_true", help="two skill groups with overflow (routing.groups)")
    ap.add_argument("--overflow-s", type=float, default=10.0, help="routing.overflow_after_s with --groups")
    ap.add_argument("overrides", nargs="*", help="extra Hydra overrides for single_queue")
    args = ap.parse_args()
    groups = ["staffing.operators=0", "+routing.groups.a={operators:65}", "+routing.groups.b={operators:65}",
              "categories.all.share=0.5", "+categories.two={share:0.5}", "+routing.skills.all=[a,b]",
              "+routing.skills.two=[b,a]", f"routing.overflow_after_s={args.overflow_s:g}"] if args.groups else []
    cfg = compose_config("single_queue", [f"experiment.horizon_h={args.horizon_h:g}", "experiment.warmup_h=0",
                                          *groups, *args.overrides])
    sc = compile_config(cfg)
    lam = cfg.arrivals.phone.per_day * cfg.scale / 86400.0
    handle, patience = sc.handle["phone"][0][0].mean, sc.patience.mean
    plans = [g.operators for g in cfg.routing.groups.values()] or [cfg.staffing.operators]
    servers = int(round(sum(plans) * cfg.scale))
    routing = (f", two groups of {plans[0]} with overflow after {args.overflow_s:g} s (the minimal model pools them)"
               if args.groups else "")
    print(f"M/M/{servers}+M: lambda={lam:g}/s, mean handle {handle:g} s, mean patience {patience:g} s, "
          f"horizon {args.horizon_h:g} h, {args.rounds} rounds{routing}")
    ours, minimal = [], []
    for r in range(args.rounds):
        seed = cfg.experiment.seed + r
        t0 = time.perf_counter()
        res = run_replication(cfg, r, compiled=sc)
        wall = time.perf_counter() - t0
        n = res.intervals["calls_offered"].sum() + res.intervals["retrials"].sum()
        ours.append(n / wall)
        m = run_minimal(lam, handle, patience, servers, args.horizon_h * 3600.0, seed)
        minimal.append(m.calls_per_s)
        print(f"round {r + 1}: hotline-sim {ours[-1]:>10,.0f} calls/s   minimal SimPy {minimal[-1]:>10,.0f} calls/s"
              f"   ratio {ours[-1] / minimal[-1]:.2f}")
    mo, mm = statistics.median(ours), statistics.median(minimal)
    print(f"median: hotline-sim {mo:,.0f} calls/s, minimal SimPy {mm:,.0f} calls/s, ratio {mo / mm:.2f}")


if __name__ == "__main__":
    main()
