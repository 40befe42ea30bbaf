"""The back-tests' intervals: at the scenario's confidence level, and none with fewer than two replications.

:func:`sim.calibrate.backtest._mean_ci` (per half-hour, calls) and
:func:`sim.calibrate.requests_command._ci` (requests per day, time to close) gave a zero-width interval
``[mean, mean]`` with one replication, and the requests' one was fixed at 95%.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim.calibrate.backtest import _mean_ci
from sim.calibrate.requests_command import _ci


def test_backtest_interval_per_column():
    """Column 0 (three replications) is the t interval at the level asked; column 1 has one value: no
    interval (NaN bounds, written as null)."""
    values = np.array([[1.0, np.nan], [3.0, 5.0], [2.5, np.nan]])
    mean, lo, hi = _mean_ci(values, 0.9)
    ref = stats.t.interval(0.9, 2, loc=np.mean(values[:, 0]), scale=stats.sem(values[:, 0]))
    assert (lo[0], hi[0]) == (pytest.approx(ref[0], rel=1e-12), pytest.approx(ref[1], rel=1e-12)), (lo, hi)
    assert mean[1] == 5.0 and math.isnan(lo[1]) and math.isnan(hi[1]), (mean, lo, hi)


def test_backtest_one_replication_has_no_interval():
    """One replication: the means, and NaN bounds everywhere (not a zero-width interval)."""
    mean, lo, hi = _mean_ci(np.array([[0.8, 0.9]]), 0.95)
    assert list(mean) == [0.8, 0.9] and np.isnan(lo).all() and np.isnan(hi).all(), (mean, lo, hi)


def test_requests_interval():
    """Over the replications where the value is defined (their number is given), at the level asked; one
    value gives no interval."""
    got = _ci(np.array([10.0, np.nan, 14.0, 12.0]), 0.9, "time_to_close_p90_h")
    ref = stats.t.interval(0.9, 2, loc=12.0, scale=stats.sem([10.0, 14.0, 12.0]))
    assert (got["simulated"], got["replications"]) == (12.0, 3), got
    assert (got["ci_low"], got["ci_high"]) == (pytest.approx(ref[0], rel=1e-12), pytest.approx(ref[1], rel=1e-12))
    one = _ci(np.array([7.0, np.nan]), 0.95, "contacts_offered")
    assert (one["simulated"], one["ci_low"], one["ci_high"], one["replications"]) == (7.0, None, None, 1), one
