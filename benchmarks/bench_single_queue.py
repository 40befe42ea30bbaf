"""Speed of hotline-sim's front line against a minimal hand-written SimPy model.

Runs, in one process and alternating round by round, the ``single_queue``
scenario (one replication, all features of the engine active: interval records,
priority classes, redial logic, shift machinery, accounting) and
:mod:`minimal_simpy` with the same parameters and seeds, and prints calls per
second for each, their medians and the ratio of the medians.  Timing of
hotline-sim covers the whole replication (arrival generation, simulation and
records); timing of the minimal model covers ``env.run`` only.

Usage::

    python benchmarks/bench_single_queue.py [--rounds 7] [--horizon-h 24] [overrides ...]
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
    ap.add_argument("overrides", nargs="*", help="extra Hydra overrides for single_queue")
    args = ap.parse_args()
    cfg = compose_config("single_queue", [f"experiment.horizon_h={args.horizon_h:g}", "experiment.warmup_h=0",
                                          *args.overrides])
    sc = compile_config(cfg)
    lam = cfg.arrivals.phone.per_day * cfg.scale / 86400.0
    handle, patience = sc.handle["phone"][0][0].mean, sc.patience.mean
    servers = int(round(cfg.staffing.operators * cfg.scale))
    print(f"M/M/{servers}+M: lambda={lam:g}/s, mean handle {handle:g} s, mean patience {patience:g} s, "
          f"horizon {args.horizon_h:g} h, {args.rounds} rounds")
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
