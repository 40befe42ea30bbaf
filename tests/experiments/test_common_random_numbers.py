"""Common random numbers: the same seed gives the same residents whatever the staffing, and a narrower
interval for the difference between two staffing levels than independent seeds.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from xp_helpers import BJ_SMALL, QUIET, ROOT, SQ_RICH

from sim.core.rng import Streams
from sim.model.compile import compile_config
from sim.model.replication import run_replication
from sim.model.residents import COL_T, N_COLS, day_rows

#: single_queue with redials and online items: first attempts must still match across staffing levels.
SQ_CRN = [o for o in SQ_RICH if not o.startswith("staffing.")]


def test_arrival_counts_identical_across_staffing(fast_compose):
    """120 vs 130 operators, same seed: identical first calls and online items per interval, other outcomes."""
    cfg_a = fast_compose("single_queue", [*SQ_CRN, "staffing.operators=120"])
    cfg_b = fast_compose("single_queue", [*SQ_CRN, "staffing.operators=130"])
    for rep in (0, 1):
        a, b = run_replication(cfg_a, rep), run_replication(cfg_b, rep)
        for col in ("calls_offered", "online_offered"):
            diff = np.flatnonzero(a.intervals[col] != b.intervals[col])
            assert diff.size == 0, (f"seed 4711 replication {rep}, 120 vs 130 operators: {col} differs in "
                                    f"intervals {diff.tolist()}")
        assert a.intervals["calls_offered"].sum() > 1000, f"replication {rep}: too few calls to be meaningful"
        assert not np.array_equal(a.intervals["calls_answered"], b.intervals["calls_answered"]), (
            f"replication {rep}: 120 and 130 operators answered exactly the same calls (staffing ignored?)")


@pytest.mark.parametrize("scenario, overrides, change", [
    ("single_queue", [*SQ_RICH], "staffing.operators=90"),
    ("beijing_baseline", [*BJ_SMALL], "staffing.shrinkage=0.4"),
])
def test_resident_attributes_identical_across_staffing(fast_compose, scenario, overrides, change):
    """day_rows of two compiled configs differing only in staffing are identical, attribute by attribute."""
    sc_a = compile_config(fast_compose(scenario, overrides))
    cfg_b = fast_compose(scenario, [*overrides, change])
    sc_b = compile_config(cfg_b)
    seed = cfg_b.experiment.seed
    for rep, day in ((0, 0), (3, 1)):
        rows_a = day_rows(sc_a, Streams(seed, rep), day)
        rows_b = day_rows(sc_b, Streams(seed, rep), day)
        assert len(rows_a) > 50 and all(len(r) == N_COLS for r in rows_a), (
            f"{scenario} rep {rep} day {day}: {len(rows_a)} residents")
        assert len(rows_a) == len(rows_b), (f"{scenario} seed {seed} rep {rep} day {day}, {change}: "
                                            f"{len(rows_a)} vs {len(rows_b)} residents")
        a, b = np.array(rows_a, dtype=float), np.array(rows_b, dtype=float)
        cols = [j for j in range(N_COLS) if not np.array_equal(a[:, j], b[:, j])]
        assert not cols, f"{scenario} seed {seed} rep {rep} day {day}, {change}: resident columns {cols} differ"
    other = day_rows(sc_a, Streams(seed + 1, 0), 0)
    assert [r[COL_T] for r in other[:20]] != [r[COL_T] for r in day_rows(sc_a, Streams(seed, 0), 0)[:20]], (
        f"{scenario}: seed {seed + 1} gives the same arrival times as seed {seed}")


def test_paired_half_width_well_below_independent(fast_compose, monkeypatch):
    """CRN: the paired half-width of the mean_wait_s difference (125 vs 130 operators) is < 0.6 x Welch's.

    Uses tools/crn_demo.py's crn_ratio (its compose_config replaced by the cached one, same result).
    Fixed seed 2024, 8 replications of 6 h (1 h warm-up); the independent variant uses seed 99991.
    Observed when written: ratio 0.278 (paired +/- 0.143 s, independent +/- 0.512 s).
    """
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import crn_demo
    finally:
        sys.path.remove(str(ROOT / "tools"))
    monkeypatch.setattr(crn_demo, "compose_config", fast_compose)
    r = crn_demo.crn_ratio("single_queue", "staffing.operators", ["125", "130"], "mean_wait_s",
                  ["experiment.horizon_h=6", "experiment.warmup_h=1", "experiment.replications=8",
                   "experiment.seed=2024", *QUIET])
    print(f"CRN half-width ratio (paired / independent) for mean_wait_s, 125 -> 130 operators: {r['ratio']:.3f} "
          f"(paired {r['diff_crn']:+.3f} +/- {r['half_width_crn']:.3f} s, "
          f"independent {r['diff_independent']:+.3f} +/- {r['half_width_independent']:.3f} s)")
    assert r["diff_crn"] < 0 and r["diff_independent"] < 0, f"more operators did not reduce mean_wait_s: {r}"
    assert r["half_width_crn"] > 0, f"paired half-width is 0: the two variants gave identical waits? {r}"
    assert r["ratio"] < 0.6, f"seed 2024, 8 reps, 125 vs 130 operators: CRN ratio {r['ratio']:.3f} >= 0.6 ({r})"


@pytest.mark.parametrize("args, line", [
    (["--kpi", "happiness"], "crn_demo.py: error: --kpi='happiness': not a KPI with a value per replication"),
    (["--kpi", "intervals_meeting_target"], "--kpi='intervals_meeting_target': not a KPI with a value per"),
    (["--key", "staffing.operatrs"], "staffing.operatrs=125: unknown key; did you mean staffing.operators?"),
    (["experiment.replication=3", "--replications", "2"], "experiment.replication=3: unknown key"),
])
def test_crn_demo_refuses_bad_input_before_running(args, line):
    """tools/crn_demo.py checks its KPI and every configuration before the three experiments: an unknown KPI
    used to end in a KeyError traceback after all of them had run, a misspelt key in a traceback."""
    import subprocess

    r = subprocess.run([sys.executable, str(ROOT / "tools" / "crn_demo.py"), *args, "experiment.horizon_h=1"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2, (r.returncode, r.stderr[-600:])
    assert line in r.stderr and "Traceback" not in r.stderr and r.stderr.count("\n") == 1, r.stderr[-600:]
    assert r.stdout == "", r.stdout
