"""Derive a shift plan covering the Erlang-A staffing requirement of a scenario's demand.

For each hour of a day with the given weekday factor, the call requirement is
the smallest headcount meeting both targets in the Erlang A model
(:func:`sim.analysis.theory.required_agents`, with the scenario's mean handle time and
patience); the online workload (offered load of online submissions) is added on
top.  An integer program (``scipy.optimize.milp``) then finds the fewest shifts
of the given length, starting on the hour, whose coverage meets every half-hour's
requirement, and divides the counts by ``1 - shrinkage``.  The output is YAML
ready to paste under ``staffing.shifts`` of a scenario.

Usage::

    python tools/derive_shifts.py [--scenario beijing_baseline] [--weekday-factor 1.03]
        [--service-level 0.8] [--p-abandon 0.03] [--length-h 8]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim.analysis.theory_staffing import required_agents  # noqa: E402
from sim.api import compose_config  # noqa: E402
from sim.model.compile import DIRECT, WORK_ORDER, compile_config  # noqa: E402


def hourly_requirement(scenario: str, weekday_factor: float, sl: float, p_ab: float) -> tuple[np.ndarray, dict]:
    """Operators needed in each hour (calls by Erlang A plus online offered load)."""
    cfg = compose_config(scenario, ["scale=1"])
    sc = compile_config(cfg)
    shares = sc.shares
    wo = 1.0 - sc.direct_share

    def mean_handle_s(table) -> float:  # type: ignore[no-untyped-def]
        """Mean handle time over categories and triage outcomes of one channel's handle table."""
        return float(sum(s * ((1 - w) * table[DIRECT][k].mean + w * table[WORK_ORDER][k].mean)
                         for k, (s, w) in enumerate(zip(shares, wo))))

    aht_call, aht_online = mean_handle_s(sc.handle["phone"]), mean_handle_s(sc.handle["online"])
    ph, on = sc.channels["phone"], sc.channels["online"]
    theta = 1.0 / sc.patience.mean
    need = []
    for h in range(24):
        lam = ph.per_day * weekday_factor * ph.hour_share[h] / 3600.0
        c = max(required_agents(lam, 1 / aht_call, theta, cfg.kpi.answer_threshold_s, "service_level", sl),
                required_agents(lam, 1 / aht_call, theta, cfg.kpi.answer_threshold_s, "p_abandon", p_ab))
        online_load = on.per_day * weekday_factor * on.hour_share[h] / 3600.0 * aht_online
        need.append(int(np.ceil(c + online_load)))
    return np.array(need), {"aht_call_s": aht_call, "aht_online_s": aht_online,
                            "shrinkage": cfg.staffing.shrinkage}


def cover(need: np.ndarray, length_h: int) -> np.ndarray:
    """Fewest shifts (one start per hour) whose coverage meets each half-hour's need."""
    need2 = np.repeat(need, 2)
    a = np.zeros((48, 24))
    for start in range(24):
        for k in range(2 * length_h):
            a[(2 * start + k) % 48, start] = 1
    res = milp(c=np.ones(24), constraints=LinearConstraint(a, lb=need2), integrality=np.ones(24),
               bounds=Bounds(0, np.inf))
    if not res.success:
        raise SystemExit(f"no plan found: {res.message}")
    return np.round(res.x).astype(int)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="beijing_baseline")
    ap.add_argument("--weekday-factor", type=float, default=1.03)
    ap.add_argument("--service-level", type=float, default=0.8)
    ap.add_argument("--p-abandon", type=float, default=0.03)
    ap.add_argument("--length-h", type=int, default=8)
    args = ap.parse_args()
    need, info = hourly_requirement(args.scenario, args.weekday_factor, args.service_level, args.p_abandon)
    x = cover(need, args.length_h)
    shrink = info["shrinkage"]
    print(f"# requirement per hour (available operators): {need.tolist()}")
    print(f"# mean handle: calls {info['aht_call_s']:.1f} s, online {info['aht_online_s']:.1f} s; "
          f"shrinkage {shrink}")
    print("  shifts:")
    for start, n in enumerate(x):
        if n:
            print(f"    - {{name: s{start:02d}00, start_h: {start}, length_h: {args.length_h}, "
                  f"count: {int(round(n / (1 - shrink)))}}}")


if __name__ == "__main__":
    main()
