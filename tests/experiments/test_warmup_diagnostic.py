"""Warm-up diagnostics: MSER-5, Welch's moving average, warmup.csv and summary["warmup_diagnostic"]."""

from __future__ import annotations

import csv
import json
import warnings

import numpy as np
import pytest
from xp_helpers import BJ_SMALL, SQ_SMALL, write

from sim.analysis.kpis import interval_kpis
from sim.analysis.warmup import INTERVAL_SERIES, daily_backlog_series, moving_average, mser5, suggest, welch_table
from sim.experiments.runner import run_experiment
from sim.report.outputs import INTERVAL_KPIS

# --- mser5 ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("transient, expected", [(20, 20), (23, 25), (5, 5)])
def test_mser5_step_transient(transient, expected):
    """A level of 10 for the first ``transient`` observations, then 0 (120 in all): truncate at the first
    multiple of 5 past the transient."""
    x = np.r_[np.full(transient, 10.0), np.zeros(120 - transient)]
    assert mser5(x) == expected, f"step of length {transient} then flat: mser5={mser5(x)}, expected {expected}"


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_mser5_noisy_ramp(seed):
    """A ramp from 10 down to 0 over 25 observations, then a flat level, noise sd 0.5: truncation at the
    ramp's end or at most two batches later (25..35; 25, 35, 35, 25 for seeds 0-3)."""
    rng = np.random.default_rng(seed)
    x = np.r_[np.linspace(10, 0, 25, endpoint=False), np.zeros(95)] + rng.normal(0, 0.5, 120)
    d = mser5(x)
    assert 25 <= d <= 35 and d % 5 == 0, f"ramp of 25 then flat, noise seed {seed}: mser5={d}"


@pytest.mark.parametrize("level", [0.0, 1.0, 4.0, -2.0])
def test_mser5_flat_series_exact_levels(level):
    """A constant series needs no warm-up (levels whose averages are exact in floating point)."""
    for n in (20, 48, 100, 288):
        assert mser5(np.full(n, level)) == 0, f"constant {level} x {n}: mser5={mser5(np.full(n, level))}"


@pytest.mark.parametrize("level", [0.1, 0.97])
def test_mser5_flat_series_any_level(level):
    """A constant series needs no warm-up whatever its level (0.97: a service level pinned by the data)."""
    got = {n: mser5(np.full(n, level)) for n in (50, 100, 288)}
    assert all(v == 0 for v in got.values()), f"constant {level}: mser5 by length {got}"


def test_mser5_short_series_and_late_change():
    """Fewer than 4 batches gives 0; a change in the second half is not a warm-up (search over the first half)."""
    assert mser5(np.r_[np.full(5, 10.0), np.zeros(14)]) == 0, "19 observations: expected 0"
    assert mser5(np.r_[np.zeros(100), np.full(20, 10.0)]) == 0, "flat then a late jump: expected 0"
    d = mser5(np.r_[np.full(100, 10.0), np.zeros(20)])
    assert d <= 60, f"120 observations: truncation {d} beyond the first half"


def test_mser5_leading_nan_intervals_count_as_intervals():
    """10 undefined intervals (no calls), a 10-interval transient, then flat: discard the first 20 intervals."""
    x = np.r_[np.full(10, np.nan), np.full(10, 10.0), np.zeros(40)]
    assert mser5(x) == 20, f"10 NaN + 10 x 10.0 + 40 x 0.0: mser5={mser5(x)}, expected 20"
    hours = suggest({"s": x}, ["s"], 0.5)["s"]
    assert hours == 10.0, f"same series with 0.5 h intervals: suggested {hours} h, expected 10 h"


# --- moving_average and welch_table --------------------------------------------------------------------


def test_moving_average_edges_and_interior():
    """Window w: centred mean of 2w+1 values inside, shrinking symmetric window at both edges."""
    rng = np.random.default_rng(11)
    x = rng.normal(0, 1, 15)
    w = 3
    ma = moving_average(x, w)
    for i in range(len(x)):
        k = min(w, i, len(x) - 1 - i)
        assert ma[i] == pytest.approx(x[i - k:i + k + 1].mean(), rel=1e-12, abs=1e-15), (
            f"window {w}, index {i}: {ma[i]} vs mean of x[{i - k}:{i + k + 1}]")
    assert ma[0] == x[0] and ma[-1] == x[-1], f"edges: {ma[0]} vs {x[0]}, {ma[-1]} vs {x[-1]}"
    line = np.arange(12.0) * 0.5 + 3
    assert np.allclose(moving_average(line, 4), line, rtol=0, atol=1e-12), "a straight line is not preserved"
    assert np.array_equal(moving_average(x, 0), x), "window 0 must return the series itself"


def test_moving_average_ignores_nan():
    """NaNs are ignored inside a window; a window of NaNs only stays NaN."""
    x = np.array([1.0, np.nan, 3.0, np.nan, np.nan, np.nan, np.nan, 5.0])
    ma = moving_average(x, 1)
    expected = [1.0, 2.0, 3.0, 3.0, np.nan, np.nan, 5.0, 5.0]
    assert np.allclose(ma, expected, equal_nan=True), f"moving_average({x.tolist()}, 1) = {ma.tolist()}"


def test_welch_table_mean_across_replications():
    """welch_table: NaN-ignoring mean across replications and its moving average, per series."""
    reps = [{"s": np.array([1.0, 2.0, np.nan, 4.0])}, {"s": np.array([3.0, 4.0, np.nan, 6.0])},
            {"s": np.array([2.0, np.nan, np.nan, 5.0])}]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # nanmean of an all-NaN column
        t = welch_table(reps, ["s"], 1)
    assert np.allclose(t["s"], [2.0, 3.0, np.nan, 5.0], equal_nan=True), f"mean across replications {t['s']}"
    assert np.allclose(t["s_ma"], moving_average(t["s"], 1), equal_nan=True), f"moving average {t['s_ma']}"


def test_daily_backlog_series_sums_units_and_averages_replications():
    """daily_backlog_series: open orders summed over units per day, then averaged over replications."""
    reps = [{"u1": np.array([1, 2, 3]), "u2": np.array([0, 1, 1])},
            {"u1": np.array([3, 4, 5]), "u2": np.array([2, 1, 3])}]
    got = daily_backlog_series(reps)
    assert np.array_equal(got, [3.0, 4.0, 6.0]), f"two replications of two units: {got.tolist()}, expected [3, 4, 6]"


# --- warmup.csv and summary["warmup_diagnostic"] --------------------------------------------------------

SQ_WARM = [*SQ_SMALL, "experiment.horizon_h=8", "kpi.interval_min=15", "experiment.replications=3",
           "experiment.seed=99"]


@pytest.fixture(scope="module")
def sq_report(tmp_path_factory, fast_compose):
    """A single_queue run (8 h in 15-min intervals, 1 h warm-up, 3 replications) and its report folder."""
    out = tmp_path_factory.mktemp("warm")
    exp = run_experiment(fast_compose("single_queue", SQ_WARM))
    write(exp, out)
    return exp, out


def test_warmup_csv_one_row_per_interval(sq_report):
    """warmup.csv: one row per reporting interval (warm-up included), series and their moving averages,
    means across replications of the same series in intervals.csv."""
    exp, out = sq_report
    with (out / "warmup.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["interval"]) for r in rows] == list(range(32)), f"8 h / 15 min: intervals {len(rows)}"
    assert [float(r["start_h"]) for r in rows] == [i * 0.25 for i in range(32)], "start_h column"
    cols = [c for name in INTERVAL_SERIES for c in (name, f"{name}_ma")]
    assert list(rows[0]) == ["interval", "start_h", *cols], f"warmup.csv header {list(rows[0])}"
    with (out / "intervals.csv").open() as fh:
        iv = list(csv.DictReader(fh))
    for name in INTERVAL_SERIES:
        assert name in INTERVAL_KPIS, f"{name} missing from intervals.csv"
        per_rep = np.array([[float(r[name]) for r in iv if int(r["replication"]) == rep] for rep in range(3)])
        mean = per_rep.mean(axis=0)
        got = np.array([float(r[name]) for r in rows])
        # both files round to the column's unit (sim.report.numbers): equal to half a last decimal of each
        from sim.report.numbers import column_decimals

        d = column_decimals(name)
        atol = 10.0 ** -(d if d is not None else 9)
        assert np.allclose(got, mean, rtol=1e-9, atol=atol), f"{name}: warmup.csv is not the mean of intervals.csv"
        ma = np.array([float(r[f"{name}_ma"]) for r in rows])
        assert np.allclose(ma, moving_average(got, 8), rtol=1e-9, atol=atol), (
            f"{name}_ma is not the 2-hour (8-interval) moving average")


def test_summary_warmup_diagnostic(sq_report):
    """summary.json warmup_diagnostic: an MSER-5 suggestion in hours for each series, equal to mser5 of the
    across-replication mean of the per-interval KPIs times the interval length (0.25 h)."""
    exp, out = sq_report
    summary = json.loads((out / "summary.json").read_text())
    diag = summary["warmup_diagnostic"]
    assert "warmup.csv" in summary["files"], f"files {summary['files']}"
    assert set(diag["suggested_warmup_h"]) == set(INTERVAL_SERIES), f"series {list(diag['suggested_warmup_h'])}"
    per_rep = [interval_kpis(r) for r in exp.replications]
    for name, hours in diag["suggested_warmup_h"].items():
        mean = np.mean([p[name] for p in per_rep], axis=0)
        expected = mser5(mean) * 0.25
        assert hours == expected, f"{name}: suggested {hours} h, mser5 of the interval means gives {expected} h"
        assert 0 <= hours <= 4 and (hours / 1.25).is_integer(), f"{name}: {hours} h (multiple of 5 x 15 min, <= 4 h)"


def test_backoffice_diagnostic_includes_open_work_orders(fast_compose, tmp_path):
    """With units (beijing_baseline at 2%), the diagnostic includes the daily open work orders."""
    exp = run_experiment(fast_compose("beijing_baseline", [*BJ_SMALL, "experiment.replications=1"]))
    summary = write(exp, tmp_path)
    suggested = json.loads((tmp_path / "summary.json").read_text())["warmup_diagnostic"]["suggested_warmup_h"]
    assert set(suggested) == {*INTERVAL_SERIES, "open_work_orders"}, f"beijing 2%: series {sorted(suggested)}"
    assert suggested["open_work_orders"] == 0.0, (
        f"one-day horizon: {suggested['open_work_orders']} h suggested from fewer than 4 daily batches")
    with (tmp_path / "warmup.csv").open() as fh:
        assert sum(1 for _ in fh) == 24 * 2 + 1, "beijing 24 h in 30-min intervals: warmup.csv rows"
    assert summary["warmup_diagnostic"]["suggested_warmup_h"] == suggested, "returned and written summaries differ"
