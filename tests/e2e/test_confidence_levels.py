"""Confidence levels other than 95%: the intervals are the t intervals worked out by hand.

Every other test runs at the default ``experiment.confidence=0.95``; a level read in one place and ignored in
another (a fixed 1.96, a quantile taken at 0.975 whatever the level) would pass them all.  Here:

* ``confidence_interval`` of the replication values 10, 12 and 14 (mean 12, standard deviation 2, standard
  error 2 / sqrt(3) = 1.1547005) at 90% is 12 -/+ 2.9199856 x 1.1547005 = [8.6283, 15.3717] and at 99%
  12 -/+ 9.9248432 x 1.1547005 = [0.5398, 23.4602] (t quantiles from a printed table); a time's interval
  whose low end would fall below 0 is clipped there;
* a command-line run of 5 replications at ``experiment.confidence=0.9`` and at ``0.99`` (same seed, so the
  same replications): summary.json states the level, each headline KPI's interval is the hand-computed t
  interval of its kpis.csv values (t(0.95, 4) = 2.1318468, t(0.995, 4) = 4.6040949), clipped to the KPI's
  domain; the half-widths of the two runs are in the ratio of the two quantiles; the terminal's table and
  report.md name the level.
"""

from __future__ import annotations

import csv
import json
import math

import pytest
from support import ROOT, T_QUANTILE, hand_interval, run_cli_batch

from sim.analysis.kpis import confidence_interval, summarise

SE = 2.0 / math.sqrt(3.0)
KPIS = ("service_level", "answer_rate", "abandon_rate", "asa_s", "mean_wait_s", "occupancy", "calls_offered",
        "calls_abandoned")
SHARES = ("service_level", "answer_rate", "abandon_rate", "occupancy")


@pytest.mark.parametrize("level, t", [(0.90, 2.9199856), (0.99, 9.9248432)])
def test_interval_of_three_values_by_hand(level, t):
    ci = confidence_interval([10.0, 12.0, 14.0], level)
    assert (ci["mean"], ci["ci_low"], ci["ci_high"]) == (
        12.0, pytest.approx(12.0 - t * SE, rel=1e-7), pytest.approx(12.0 + t * SE, rel=1e-7)), (level, ci)
    # a time (asa_s) of 1, 2 and 3 s: mean 2, se 1/sqrt(3); at 99% the low end 2 - 5.73 is clipped to 0
    asa = summarise([{"asa_s": v} for v in (1.0, 2.0, 3.0)], level)["asa_s"]
    low = 2.0 - t / math.sqrt(3.0)
    assert (asa["ci_low"], asa["ci_high"]) == (pytest.approx(max(low, 0.0), abs=1e-6),
                                               pytest.approx(2.0 + t / math.sqrt(3.0), rel=1e-7)), (level, asa)


def test_hand_values_of_the_worked_example():
    """The numbers of the module docstring, so that the formula above is checked against them once."""
    assert 12.0 - 2.9199856 * SE == pytest.approx(8.6283, abs=1e-4)
    assert 12.0 + 9.9248432 * SE == pytest.approx(23.4602, abs=1e-4)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """level -> (completed process, report folder) of the same 5 replications at 90% and 99%."""
    root = tmp_path_factory.mktemp("levels")
    common = ["scenario=single_queue", "scale=0.1", "experiment.horizon_h=4", "experiment.warmup_h=1",
              "experiment.replications=5", "experiment.seed=3", "experiment.jobs=1", "experiment.progress=false",
              "report.plots=false"]
    levels = (0.9, 0.99)
    procs = run_cli_batch([(ROOT, [*common, f"experiment.confidence={lv}", f"report.dir={root / str(lv)}"])
                           for lv in levels])
    return {lv: (p, root / str(lv)) for lv, p in zip(levels, procs)}


@pytest.mark.parametrize("level", [0.9, 0.99])
def test_run_intervals_at_the_level_asked(runs, level):
    proc, out = runs[level]
    assert proc.returncode == 0, proc.stderr[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["confidence"] == level
    per_rep = list(csv.DictReader((out / "kpis.csv").open()))
    assert len(per_rep) == 5
    for name in KPIS:
        values = [float(r[name]) for r in per_rep]
        mean, low, high = hand_interval(values, level, 0.0, 1.0 if name in SHARES else math.inf)
        ci = summary["kpis"][name]
        # kpis.csv rounds to its column's unit (sim.report.numbers): the interval of 5 values moves by a few times that
        from sim.report.numbers import column_decimals

        d = column_decimals(name)
        tol = 5.0 * 10.0 ** -(d if d is not None else 9)
        assert (ci["mean"], ci["ci_low"], ci["ci_high"]) == (
            pytest.approx(mean, rel=1e-7, abs=tol), pytest.approx(low, rel=1e-7, abs=tol),
            pytest.approx(high, rel=1e-7, abs=tol)), f"{name} at {level}: {ci}, by hand {mean} [{low}, {high}]"
    pct = f"{level:.0%}"
    assert f"{pct} confidence interval" in proc.stdout, proc.stdout[:600]
    assert f"| KPI | mean | {pct} CI | target | verdict |" in (out / "report.md").read_text(encoding="utf-8")


def test_levels_differ_by_the_ratio_of_their_quantiles(runs):
    """The same replications (same seed): the 99% half-width of an unclipped interval is 4.6040949 / 2.1318468
    = 2.1597 times the 90% one."""
    cis = {lv: json.loads((out / "summary.json").read_text())["kpis"]["calls_offered"] for lv, (_, out) in runs.items()}
    assert cis[0.9]["mean"] == cis[0.99]["mean"], "the two runs did not simulate the same replications"
    half = {lv: (ci["ci_high"] - ci["ci_low"]) / 2 for lv, ci in cis.items()}
    assert half[0.99] / half[0.9] == pytest.approx(T_QUANTILE[(0.99, 4)] / T_QUANTILE[(0.90, 4)], rel=1e-9), half
    assert T_QUANTILE[(0.99, 4)] / T_QUANTILE[(0.90, 4)] == pytest.approx(2.1597, abs=1e-4)
