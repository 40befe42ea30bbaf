"""Orders still open when the run stops: Kaplan-Meier quantiles, bounds of shares, verdicts that wait for them.

Hand-made histograms whose answers can be read off: ten orders, five closed early and five
still open later, have a median at the end of the early bin (half of them are known to be
closed by then) and no 90th percentile (at most half are known to close at all); the plain
quantile over the closed orders would put both in the early bin.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.analysis.censoring import km_quantile, share_open, time_kpis, time_open
from sim.records.backoffice import HIST_EDGES_H, N_BINS, hist_bin, hist_quantile
from sim.report.caveats import judged
from sim.report.text import open_note


def _hist(**counts: float) -> np.ndarray:
    """A histogram with ``counts[h]`` orders in the bin of ``h`` hours (keys ``h1``, ``h200`` ...)."""
    h = np.zeros(N_BINS)
    for key, n in counts.items():
        h[hist_bin(float(key[1:]))] += n
    return h


def test_without_open_orders_the_quantiles_are_the_plain_ones():
    closed = _hist(h2=3, h10=4, h50=2, h120=1)
    none = np.zeros(N_BINS)
    for q in (0.5, 0.9):
        assert km_quantile(closed, none, q) == hist_quantile(closed, q)
    t = time_kpis(closed, none, 3 * 2 + 4 * 10 + 2 * 50 + 120.0, 0.0)
    assert t["time_to_close_mean_h"] == pytest.approx(26.6)


def test_open_orders_move_the_quantiles_later_and_leave_p90_not_estimable():
    closed, open_ = _hist(h2=5), _hist(h100=5)
    b = hist_bin(2.0)
    assert km_quantile(closed, open_, 0.5) == pytest.approx(HIST_EDGES_H[b + 1])  # half closed by the bin's end
    assert math.isnan(km_quantile(closed, open_, 0.9))  # the curve never reaches 90%
    assert hist_quantile(closed, 0.9) < HIST_EDGES_H[b + 1]  # what counting only closed orders said


def test_kaplan_meier_uses_orders_open_later_as_at_risk():
    """Four closed at 1 h, two open at 3 h, four closed at 10 h: P(closed by 1 h) = 0.4, then the two open
    leave the risk set (half a bin each), and the four at 10 h close the remaining 0.6: S(10 h) = 0."""
    closed, open_ = _hist(h1=4, h10=4), _hist(h3=2)
    # the 60th percentile lies in the 10 h bin; the plain quantile of the eight closed (0.6 x 8 = 4.8th) too, but
    # the 45th percentile moves: closed only, 3.6 of 8 fall in the 1 h bin; with the open ones, 0.45 > 0.4
    assert km_quantile(closed, open_, 0.45) > 9.0
    assert hist_quantile(closed, 0.45) < 1.1


def test_ranges_of_a_share_and_of_the_times():
    share, low, high = share_open(90, 100, 50)
    assert (share, low, high) == pytest.approx((1 / 3, 0.6, 140 / 150))
    assert share_open(90, 100, 0) == pytest.approx((0.0, 0.9, 0.9))
    t = time_open(_hist(h2=8), _hist(h30=2), 16.0, 60.0)
    assert t["time_to_close_mean_h"] == (0.2, pytest.approx(7.6), math.inf)  # (16 + 60) / 10, no upper bound
    share, low, high = t["time_to_close_p90_h"]
    assert share == 0.2 and math.isinf(high) and 25 < low < 35  # 10% at least: one of the two at 30 h


def test_a_verdict_stands_only_if_the_open_orders_cannot_change_it():
    ci = {"mean": 0.985, "ci_low": 0.983, "ci_high": 0.987}
    assert judged("satisfaction_rate", ci, 0.977).status == "met"
    entry = {"open_share": 0.33, "method": "bounds", "low": {"mean": 0.66, "ci_low": 0.65, "ci_high": 0.67},
             "high": {"mean": 0.99, "ci_low": 0.989, "ci_high": 0.991}}
    v = judged("satisfaction_rate", ci, 0.977, entry)
    assert v.status == "unclear" and "33.00%" in v.text
    safe = {**entry, "low": {"mean": 0.981, "ci_low": 0.980, "ci_high": 0.982}}
    assert judged("satisfaction_rate", ci, 0.977, safe).status == "met"
    assert open_note("satisfaction_rate", entry) == "33.00% still open: 66.00% to 99.00%"
    p90 = {"open_share": 0.2, "method": "kaplan_meier", "low": {"mean": 98.1, "ci_low": 97, "ci_high": 99},
           "high": None}
    assert judged("time_to_close_p90_h", {"mean": 90.0, "ci_low": 88.0, "ci_high": 92.0}, 120.0, p90).status \
        == "unclear"
    assert open_note("time_to_close_p90_h", p90) == "20.00% not yet closed: at least 4.09 days, no upper bound"
    # a median the few open orders cannot move reads once, not "3.34 days to 3.34 days"
    median = {"open_share": 0.0239, "method": "kaplan_meier", "low": {"mean": 80.16}, "high": {"mean": 80.17}}
    assert open_note("time_to_close_median_h", median) == "2.39% not yet closed: 3.34 days either way"
