"""Speed and memory of the whole pipeline: one replication of the Beijing baseline at scale 1.

Each measurement runs in a fresh subprocess (so peak memory is that run's own)
and reports contacts per second - contacts offered over the CPU time and the
wall time of the replication - and the process's peak resident memory.  Run it
for several horizons to see that memory does not grow with the horizon (the
request log off: nothing is kept per finished contact).

The yardstick, measured in the same run: each round also runs the minimal
hand-written SimPy M/M/c+M model of :mod:`minimal_simpy` (the ``single_queue``
parameters: 0.5 calls/s, mean handle 240 s, mean patience 90 s, 130 operators,
24 simulated hours) in a fresh subprocess, the two alternating round by round.
The ratio printed is hotline-sim's contacts per CPU second of the replication
over the minimal model's calls per CPU second of ``env.run`` (median over
median): how close the whole pipeline - arrivals, front line, back office,
return visits, records - comes to a bare SimPy model that has none of them.
It does not move with the speed of the machine, which a shared machine's
contacts per second do.

Usage::

    python benchmarks/bench_pipeline.py [--days 7 30] [--drain-h 0] [--rounds 3] [--request-log]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
from sim.api import compose_config
from sim.model.replication import run_replication
from sim.analysis.kpis import replication_kpis
cfg = compose_config("beijing_baseline", {overrides!r})
t_wall, t_cpu = time.perf_counter(), time.process_time()
res = run_replication(cfg, {rep})
wall, cpu = time.perf_counter() - t_wall, time.process_time() - t_cpu
k = replication_kpis(res)
print(json.dumps({{"contacts": k["contacts_offered"], "cpu_s": cpu, "wall_s": wall,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "service_level": k["service_level"], "satisfaction_rate": k.get("satisfaction_rate")}}))
"""

MINIMAL = r"""
import json, sys, time
sys.path.insert(0, {bench!r})
from minimal_simpy import run_minimal
t_cpu = time.process_time()
m = run_minimal(0.5, 240.0, 90.0, 130, 24 * 3600.0, {seed})
print(json.dumps({{"calls": m.calls, "wall_s": m.wall_s, "cpu_s": time.process_time() - t_cpu}}))
"""


def _child(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(days: float, drain_h: float, rep: int, request_log: bool) -> dict:
    """One replication in a fresh interpreter; returns its timings and peak memory."""
    overrides = ["scale=1", f"experiment.horizon_h={days * 24:g}", f"experiment.drain_h={drain_h:g}",
                 "experiment.warmup_h=0", f"report.request_log={str(request_log).lower()}"]
    return _child(CHILD.format(root=str(ROOT), overrides=overrides, rep=rep))


def measure_minimal(seed: int) -> dict:
    """One run of the minimal SimPy model in a fresh interpreter; its calls and CPU seconds."""
    return _child(MINIMAL.format(bench=str(Path(__file__).resolve().parent), seed=seed))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--days", type=float, nargs="+", default=[7.0])
    ap.add_argument("--drain-h", type=float, default=0.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--request-log", action="store_true")
    args = ap.parse_args()
    print(f"Beijing baseline, scale 1, drain {args.drain_h:g} h, request log "
          f"{'on' if args.request_log else 'off'}, {args.rounds} round(s) per horizon, each followed by the "
          "minimal SimPy model")
    for days in args.days:
        runs, minimal = [], []
        for r in range(args.rounds):
            runs.append(measure(days, args.drain_h, r, args.request_log))
            minimal.append(measure_minimal(7 + r))
        cps_cpu = [r["contacts"] / r["cpu_s"] for r in runs]
        cps_wall = [r["contacts"] / r["wall_s"] for r in runs]
        min_cpu = [m["calls"] / m["cpu_s"] for m in minimal]
        rss = [r["peak_rss_mb"] for r in runs]
        for i, r in enumerate(runs):
            print(f"  {days:g} days, round {i + 1}: {r['contacts']:,.0f} contacts, cpu {r['cpu_s']:.1f} s, "
                  f"wall {r['wall_s']:.1f} s, {cps_cpu[i]:,.0f} contacts/s (cpu), peak {rss[i]:,.0f} MB; "
                  f"minimal SimPy {min_cpu[i]:,.0f} calls/s (cpu), ratio {cps_cpu[i] / min_cpu[i]:.2f}")
        mo, mm = statistics.median(cps_cpu), statistics.median(min_cpu)
        print(f"{days:g} days: median {mo:,.0f} contacts/s per CPU second "
              f"({statistics.median(cps_wall):,.0f} per wall second), peak memory {max(rss):,.0f} MB; "
              f"minimal SimPy {mm:,.0f} calls/s; ratio to hand-written SimPy {mo / mm:.2f}")


if __name__ == "__main__":
    main()
