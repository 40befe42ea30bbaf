"""Warm-up diagnostics for steady-state studies: Welch's method and MSER-5.

A steady-state study discards the start of each replication (``experiment.warmup_h``)
because the model starts empty: no calls waiting, no orders at the units.  To
choose that length, look at the per-interval mean across replications of a few
output series (Welch's method: average across replications, then smooth with a
moving average) and find where it stops drifting.  :func:`mser5` offers an
automatic suggestion (the Marginal Standard Error Rule on batches of 5, White
1997): the truncation point that minimises the standard error of the remaining
mean, searched over the first half of the series.

Terminating studies - one day, one week of a given calendar - start from the
state of interest and use no warm-up; see ``docs/experiments.md``.
"""

from __future__ import annotations

import warnings
from typing import Dict, List, Mapping, Sequence, Union

import numpy as np

#: Per-interval series used for the diagnostic (front line).
INTERVAL_SERIES = ("mean_calls_waiting", "occupancy", "service_level", "mean_wait_s")


def moving_average(x: np.ndarray, window: int) -> np.ndarray:
    """Welch's centred moving average with a shrinking window near the start (NaNs ignored)."""
    x = np.asarray(x, dtype=float)
    out = np.full(len(x), np.nan)
    for i in range(len(x)):
        w = min(window, i, len(x) - 1 - i)
        seg = x[i - w:i + w + 1]
        seg = seg[np.isfinite(seg)]
        if len(seg):
            out[i] = seg.mean()
    return out


def mser5(x: Union[Sequence[float], np.ndarray]) -> int:
    """MSER-5 truncation point: number of leading observations to discard (a multiple of 5).

    Observations are batched by position (an undefined interval - NaN - still counts
    as an interval, so the truncation point is in the series' own units); a series
    flat to rounding error needs no truncation.
    """
    y = np.asarray(x, dtype=float)
    m = len(y) // 5
    if m < 4:
        return 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        b = np.nanmean(y[: m * 5].reshape(m, 5), axis=1)
    finite = b[np.isfinite(b)]
    if len(finite) < 4 or np.ptp(finite) <= 1e-12 * max(1.0, float(np.abs(finite).max())):
        return 0
    best_d, best = 0, np.inf
    for d in range(0, m // 2 + 1):
        rest = b[d:]
        rest = rest[np.isfinite(rest)]
        if len(rest) < 2:
            break
        val = float(((rest - rest.mean()) ** 2).sum()) / (len(rest) ** 2)
        if val < best * (1 - 1e-12):
            best, best_d = val, d
    return best_d * 5


def welch_table(per_rep: Sequence[Mapping[str, np.ndarray]], series: Sequence[str],
                window: int) -> Dict[str, np.ndarray]:
    """Across-replication mean and its moving average of each series (``<name>``, ``<name>_ma``)."""
    out: Dict[str, np.ndarray] = {}
    for name in series:
        rows = np.array([np.asarray(p[name], dtype=float) for p in per_rep])
        with warnings.catch_warnings():  # an interval with no calls has no mean wait: NaN, not a warning
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(rows, axis=0)
        out[name] = mean
        out[f"{name}_ma"] = moving_average(mean, window)
    return out


def suggest(table: Mapping[str, np.ndarray], series: Sequence[str], step_h: float) -> Dict[str, float]:
    """MSER-5 warm-up suggestion, in hours, for each series."""
    return {name: mser5(table[name]) * step_h for name in series}


def daily_backlog_series(backlogs: List[Mapping[str, np.ndarray]]) -> np.ndarray:
    """Total open orders at the end of each day, averaged over replications."""
    totals = [np.sum([np.asarray(v, dtype=float) for v in b.values()], axis=0) for b in backlogs]
    return np.mean(totals, axis=0)
