"""Whole-process time of a run: the command line's start-up, the run and its report, as a user waits for them.

Runs ``python run_sim.py experiment.horizon_h=H experiment.warmup_h=0 experiment.replications=1
report.dir=<a new temporary folder>`` (the Beijing baseline, scale 1) ``--rounds`` times as a whole
process and prints, for each round and as medians, the wall seconds (a monotonic clock around the
child) and the CPU seconds (user + system, the operating system's accounting of the finished child).
A one-hour run (the default, ``--horizon-h 1``) is mostly start-up: imports, the composition of the
configuration, the checks, the report's figures and pages.

``--vs PATH`` runs the same command in another checkout (with its own ``.venv/bin/python`` when it has
one) in turn with this one - A B A B ... - and prints the ratio of the medians and the median of the
round-by-round ratios: on a shared machine whose speed drifts, only such same-run ratios compare.

``--minimal`` also runs, each round, the minimal hand-written SimPy model of
:mod:`minimal_simpy` (``single_queue``'s M/M/130+M for 24 simulated hours, in a fresh process) and
prints the whole pipeline's throughput - the contacts offered in the run over the whole process's
CPU seconds (start-up, arrivals, front line, back office, return visits, the drain, the report) - as
a ratio to the minimal model's calls per CPU second.

Each checkout first runs once unrecorded (a warm-up: the file cache, and the compiled bytecode Python
caches beside the sources), and ``PYTHONDONTWRITEBYTECODE`` is removed from the children's environment:
an installed copy runs from its cached bytecode, and a benchmark that recompiled every module at every
start would time the compiler, not the tool.

Usage::

    python benchmarks/bench_startup.py [--horizon-h 1] [--rounds 7] [--vs ../other-checkout] [--minimal]
                                       [overrides ...]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Optional

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent

MINIMAL = (f"import json, sys, time\nsys.path.insert(0, {str(BENCH)!r})\nfrom minimal_simpy import run_minimal\n"
           "t = time.process_time()\nm = run_minimal(0.5, 240.0, 90.0, 130, 24 * 3600.0, {seed})\n"
           "print(json.dumps({{'calls': m.calls, 'cpu_s': time.process_time() - t}}))\n")


def python_of(checkout: Path) -> str:
    """The checkout's own interpreter (``.venv/bin/python``), else this one."""
    own = checkout / ".venv" / "bin" / "python"
    return str(own) if own.exists() else sys.executable


def timed(cmd: List[str], cwd: Path) -> Dict[str, float]:
    """Run ``cmd`` to its end; its wall seconds and the CPU seconds the system accounts to it."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} (in {cwd}) exited with status {out.returncode}:\n{out.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": wall, "cpu_s": cpu}


def run_once(checkout: Path, horizon_h: float, overrides: List[str]) -> Dict[str, float]:
    """One whole run in ``checkout``, into a new temporary folder; its times and the contacts it offered."""
    with tempfile.TemporaryDirectory(prefix="bench_startup_") as tmp:
        folder = Path(tmp) / "run"
        cmd = [python_of(checkout), "run_sim.py", f"experiment.horizon_h={horizon_h:g}", "experiment.warmup_h=0",
               "experiment.replications=1", f"report.dir={folder}", *overrides]
        out = timed(cmd, checkout)
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    out["contacts"] = float(summary["kpis"]["contacts_offered"]["mean"])
    return out


def minimal_once(seed: int) -> Dict[str, float]:
    """The minimal SimPy model in a fresh interpreter: its calls and CPU seconds of ``env.run``."""
    out = subprocess.run([sys.executable, "-c", MINIMAL.format(seed=seed)], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _line(name: str, runs: List[Dict[str, float]]) -> str:
    wall, cpu = [r["wall_s"] for r in runs], [r["cpu_s"] for r in runs]
    return (f"{name}: wall median {statistics.median(wall):.2f} s (min {min(wall):.2f}, max {max(wall):.2f}), "
            f"cpu median {statistics.median(cpu):.2f} s (min {min(cpu):.2f}, max {max(cpu):.2f})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--horizon-h", type=float, default=1.0)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--vs", type=Path, default=None, help="another checkout, run in turn with this one")
    ap.add_argument("--minimal", action="store_true", help="also the minimal SimPy model, and the throughput ratio")
    ap.add_argument("overrides", nargs="*", help="extra overrides for both commands")
    args = ap.parse_args()
    checkouts = {"this": ROOT, **({"vs": args.vs.resolve()} if args.vs else {})}
    print(f"run_sim.py, Beijing baseline, {args.horizon_h:g} h, one replication, {args.rounds} rounds; "
          + ", ".join(f"{k} = {v}" for k, v in checkouts.items()))
    runs: Dict[str, List[Dict[str, float]]] = {k: [] for k in checkouts}
    for checkout in checkouts.values():  # the warm-up: not recorded
        run_once(checkout, args.horizon_h, args.overrides)
    minimal: List[Dict[str, float]] = []
    for r in range(args.rounds):
        for name, checkout in checkouts.items():
            runs[name].append(run_once(checkout, args.horizon_h, args.overrides))
        if args.minimal:
            minimal.append(minimal_once(7 + r))
        print(f"  round {r + 1}: " + "; ".join(f"{k} wall {v[-1]['wall_s']:.2f} s, cpu {v[-1]['cpu_s']:.2f} s"
                                                 for k, v in runs.items()), flush=True)
    for name, rs in runs.items():
        print(_line(name, rs))
    ratio: Optional[float] = None
    if args.vs:
        for key in ("wall_s", "cpu_s"):
            a, b = [x[key] for x in runs["this"]], [x[key] for x in runs["vs"]]
            ratio = statistics.median(a) / statistics.median(b)
            pairs = statistics.median(x / y for x, y in zip(a, b))
            print(f"this/vs {key[:-2]}: ratio of medians {ratio:.3f}, median of the round ratios {pairs:.3f}")
    if args.minimal:
        mm = statistics.median(m["calls"] / m["cpu_s"] for m in minimal)
        for name, rs in runs.items():
            tp = statistics.median(x["contacts"] / x["cpu_s"] for x in rs)
            print(f"{name}: {tp:,.0f} contacts per CPU second of the whole process; minimal SimPy {mm:,.0f} calls "
                  f"per CPU second; ratio to hand-written SimPy {tp / mm:.2f}")


if __name__ == "__main__":
    os.environ.pop("HYDRA_FULL_ERROR", None)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    main()
