"""Unit tests of :mod:`sim.model.arrivals`: exact piecewise-constant Poisson arrivals, weekday factors,
day-to-day overdispersion, category shares and category-limited surges.

Statistical checks use many simulated days from fixed seeds.  A mean is compared
with a z-score ``(mean - expected) / sqrt(expected / days)`` (Poisson: variance
= mean) and must stay within 4.5 standard errors; dispersion uses the pooled
chi-square statistic ``sum (x - expected)^2 / expected``, which for Poisson
counts has mean = degrees of freedom and standard deviation ``sqrt(2 df)``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.core.rng import Streams
from sim.model.arrivals import DAY_S, HOUR_S, ChannelArrivals, Surge

Z_MAX = 4.5
PROFILE = [float(h + 1) for h in range(24)]  # hour h has weight h + 1 (sum 300)


def _arrivals(per_day=2400.0, profile=PROFILE, dow=(1.0,) * 7, day_cv=0.0, shares=(1.0,), surges=(),
              start_weekday=0) -> ChannelArrivals:
    return ChannelArrivals(per_day, profile, dow, day_cv, shares, list(surges), start_weekday)


def _simulate(arr: ChannelArrivals, days, seed: int):
    """Generate the given day indices from one set of streams; return list of (times, cats) per day."""
    st = Streams(seed, 0)
    c, d, k = st.get("arrivals.test"), st.get("arrivals.test.day"), st.get("category.test")
    return [arr.generate(day, c, d, k) for day in days]


def _hour_counts(times: np.ndarray, day: int) -> np.ndarray:
    return np.bincount(((times - day * DAY_S) // HOUR_S).astype(int), minlength=24)


# --------------------------------------------------------------------------- expected rates (exact)
def test_expected_per_hour_is_per_day_times_hour_share():
    """per_day=2400 with hour weights 1..24: expected arrivals in hour h are 2400 (h+1) / 300."""
    arr = _arrivals()
    want = 2400.0 * np.arange(1, 25) / 300.0
    np.testing.assert_allclose(arr.expected_per_hour(0), want, rtol=1e-12,
                               err_msg="per_day=2400, weights 1..24: expected_per_hour")
    # the profile is relative: scaling the weights changes nothing
    np.testing.assert_allclose(_arrivals(profile=[10 * w for w in PROFILE]).expected_per_hour(0), want,
                               rtol=1e-12, err_msg="weights x10 changed expected_per_hour")


def test_pieces_split_at_surge_bounds_off_the_hour():
    """A surge 10:15-13:30 adds piece bounds at 10:15 and 13:30; rates are constant per piece."""
    arr = _arrivals(shares=(0.5, 0.5), surges=[Surge(10.25 * HOUR_S, 13.5 * HOUR_S, np.array([3.0, 1.0]))])
    starts, ends, rates = arr.pieces(0)
    assert 10.25 * HOUR_S in starts and 13.5 * HOUR_S in starts, f"bounds {starts / HOUR_S}"
    assert len(starts) == 26 and np.all(ends > starts) and np.all(starts[1:] == ends[:-1]), "pieces not a partition"
    assert starts[0] == 0.0 and ends[-1] == DAY_S, "pieces do not cover the day"
    i = int(np.searchsorted(starts, 10.0 * HOUR_S))  # piece 10:00-10:15 (no surge yet)
    base = 2400.0 * 11 / 300 / HOUR_S
    np.testing.assert_allclose(rates[i], [0.5 * base, 0.5 * base], rtol=1e-12, err_msg="10:00-10:15 rates")
    np.testing.assert_allclose(rates[i + 1], [1.5 * base, 0.5 * base], rtol=1e-12, err_msg="10:15-11:00 rates")


def test_day_of_week_factors_and_start_weekday():
    """Expected daily volume of day d is per_day x day_of_week[(start_weekday + d) % 7] (start on Wednesday)."""
    dow = [1.0, 0.5, 2.0, 1.5, 0.8, 0.3, 0.0]
    arr = _arrivals(per_day=1000.0, dow=dow, start_weekday=2)
    for day in range(14):
        want = 1000.0 * dow[(2 + day) % 7]
        got = arr.expected_per_hour(day).sum()
        assert got == pytest.approx(want, rel=1e-12), f"day {day}, start_weekday=2: expected {want}, got {got}"


def test_surge_crossing_midnight_covers_both_days():
    """A x2 surge from 22:00 on day 0 for 4 h doubles hours 22, 23 of day 0 and 0, 1 of day 1 only."""
    flat = [1.0] * 24
    arr = _arrivals(per_day=2400.0, profile=flat, surges=[Surge(22 * HOUR_S, 26 * HOUR_S, np.array([2.0]))])
    want0 = np.full(24, 100.0)
    want0[22:] = 200.0
    want1 = np.full(24, 100.0)
    want1[:2] = 200.0
    np.testing.assert_allclose(arr.expected_per_hour(0), want0, err_msg="surge 22:00+4h, day 0")
    np.testing.assert_allclose(arr.expected_per_hour(1), want1, err_msg="surge 22:00+4h, day 1")
    np.testing.assert_allclose(arr.expected_per_hour(2), np.full(24, 100.0), err_msg="surge 22:00+4h, day 2")


# --------------------------------------------------------------------------- generated counts
@pytest.fixture(scope="module")
def hourly_sample():
    """1000 days of per_day=2400 with hour weights 1..24 (seed 101): counts per day and hour."""
    arr = _arrivals()
    days = range(1000)
    out = _simulate(arr, days, seed=101)
    counts = np.array([_hour_counts(t, d) for d, (t, _) in zip(days, out)])
    return arr, out, counts


def test_hourly_counts_have_expected_mean(hourly_sample):
    """Mean count of every hour over 1000 days is within 4.5 SE of expected_per_hour (piecewise-constant rate)."""
    arr, _, counts = hourly_sample
    lam = arr.expected_per_hour(0)
    z = (counts.mean(axis=0) - lam) / np.sqrt(lam / counts.shape[0])
    assert np.all(np.abs(z) < Z_MAX), f"per_day=2400, weights 1..24, 1000 days: z-scores by hour {np.round(z, 2)}"


def test_hourly_counts_are_poisson_dispersed(hourly_sample):
    """Counts per hour have variance = mean: pooled chi-square over 24 x 1000 cells within 4.5 SD of its df."""
    arr, _, counts = hourly_sample
    lam = arr.expected_per_hour(0)
    stat = float((((counts - lam) ** 2) / lam).sum())
    df = counts.size
    z = (stat - df) / math.sqrt(2 * df)
    assert abs(z) < Z_MAX, f"dispersion chi2={stat:.0f} on {df} cells (z={z:.2f}); variance/mean = {stat / df:.3f}"
    ratio = counts.var(axis=0, ddof=1) / lam
    assert np.all(np.abs(ratio - 1) < Z_MAX * math.sqrt(2 / counts.shape[0])), f"variance/mean by hour {ratio}"


def test_times_sorted_and_inside_their_day(hourly_sample):
    """Each generated day's times are sorted and lie in [day x 86400, (day + 1) x 86400)."""
    _, out, _ = hourly_sample
    for day in (0, 1, 500, 999):
        t, cats = out[day]
        assert np.all(np.diff(t) >= 0), f"day {day}: times not sorted"
        assert t.min() >= day * DAY_S and t.max() < (day + 1) * DAY_S, f"day {day}: times outside the day"
        assert len(cats) == len(t) and np.all(cats == 0), f"day {day}: one category expected"


def test_times_uniform_within_an_hour(hourly_sample):
    """Within hour 23 (busiest, 192/day), arrival offsets are uniform: 4 quarter-hours get equal counts."""
    _, out, _ = hourly_sample
    offs = np.concatenate([t[(t - d * DAY_S) // HOUR_S == 23] - d * DAY_S - 23 * HOUR_S
                           for d, (t, _) in enumerate(out)])
    q = np.bincount((offs // 900).astype(int), minlength=4)
    expected = len(offs) / 4
    chi2 = float(((q - expected) ** 2 / expected).sum())
    assert chi2 < 25.0, f"quarter-hour counts {q} in hour 23 (chi2 {chi2:.1f} on 3 df)"


def test_day_of_week_generated_totals():
    """Weekday factors [1, .5, 2, 1.5, .8, .3, 0] from Wednesday: mean daily totals per weekday over 200 weeks."""
    dow = [1.0, 0.5, 2.0, 1.5, 0.8, 0.3, 0.0]
    arr = _arrivals(per_day=500.0, dow=dow, start_weekday=2)
    days = range(7 * 200)
    totals = np.array([len(t) for t, _ in _simulate(arr, days, seed=202)])
    for wd in range(7):
        sel = totals[[(2 + d) % 7 == wd for d in days]]
        lam = 500.0 * dow[wd]
        if lam == 0:
            assert np.all(sel == 0), f"weekday {wd} factor 0 but {sel.sum()} arrivals"
            continue
        z = (sel.mean() - lam) / math.sqrt(lam / len(sel))
        assert abs(z) < Z_MAX, f"weekday {wd} (factor {dow[wd]}): mean {sel.mean():.1f} vs {lam} (z={z:.2f})"


def test_day_cv_overdispersion():
    """day_cv=0.3, per_day=2000: daily totals keep mean 2000 and have CV sqrt(1/2000 + 0.3^2) ~= 0.3008."""
    arr = _arrivals(per_day=2000.0, day_cv=0.3)
    totals = np.array([len(t) for t, _ in _simulate(arr, range(2000), seed=303)], dtype=float)
    var = 2000.0 + (2000.0 * 0.3) ** 2
    z_mean = (totals.mean() - 2000.0) / math.sqrt(var / len(totals))
    assert abs(z_mean) < Z_MAX, f"day_cv=0.3: mean daily total {totals.mean():.1f} vs 2000 (z={z_mean:.2f})"
    cv = totals.std(ddof=1) / totals.mean()
    want = math.sqrt(1 / 2000.0 + 0.09)
    # SE of a sample SD of a gamma-mixed Poisson: sd/sqrt(2n) x sqrt(1 + excess kurtosis/2), kurtosis ~ 6 cv^2
    se = want * math.sqrt((1 + 3 * 0.09) / (2 * len(totals)))
    assert abs(cv - want) < Z_MAX * se, f"day_cv=0.3: CV of daily totals {cv:.4f} vs {want:.4f} (SE {se:.4f})"


def test_day_cv_zero_is_poisson_and_consumes_one_day_uniform():
    """day_cv=0 gives Poisson daily totals (variance = mean) and still draws one uniform per day from day_rng."""
    arr = _arrivals(per_day=2000.0, day_cv=0.0)
    st = Streams(404, 0)
    c, d, k = st.get("a"), st.get("d"), st.get("k")
    totals = np.array([len(arr.generate(day, c, d, k)[0]) for day in range(1500)], dtype=float)
    ratio = totals.var(ddof=1) / 2000.0
    assert abs(ratio - 1) < Z_MAX * math.sqrt(2 / 1500), f"day_cv=0: variance/mean of daily totals {ratio:.3f}"
    after = d.random()
    fresh = Streams(404, 0).get("d").random(1501)
    assert after == fresh[1500], "day_rng must give exactly one uniform per generated day"


def test_category_shares_match():
    """Shares [0.5, 0.3, 0.2], no surge: category frequencies over ~240k arrivals within 4.5 binomial SE."""
    arr = _arrivals(shares=(0.5, 0.3, 0.2))
    cats = np.concatenate([c for _, c in _simulate(arr, range(100), seed=505)])
    n = len(cats)
    freq = np.bincount(cats, minlength=3) / n
    for k, p in enumerate((0.5, 0.3, 0.2)):
        z = (freq[k] - p) / math.sqrt(p * (1 - p) / n)
        assert abs(z) < Z_MAX, f"shares [.5, .3, .2]: category {k} frequency {freq[k]:.4f} (z={z:.2f})"


def test_category_with_zero_share_never_drawn():
    """Shares [0.6, 0, 0.4]: the middle category never appears."""
    arr = _arrivals(per_day=5000.0, shares=(0.6, 0.0, 0.4))
    cats = np.concatenate([c for _, c in _simulate(arr, range(20), seed=506)])
    assert not np.any(cats == 1), f"category 1 (share 0) drawn {int((cats == 1).sum())} times"
    assert set(np.unique(cats)) == {0, 2}, f"categories drawn {np.unique(cats)}"


@pytest.fixture(scope="module")
def surge_sample():
    """Flat profile, 2400/day, shares [0.5, 0.3, 0.2]; category 0 x3 from 10:15 to 13:30; 1000 draws of day 0."""
    shares = (0.5, 0.3, 0.2)
    surge = Surge(10.25 * HOUR_S, 13.5 * HOUR_S, np.array([3.0, 1.0, 1.0]))
    arr = _arrivals(per_day=2400.0, profile=[1.0] * 24, shares=shares, surges=[surge])
    st = Streams(606, 0)
    c, d, k = st.get("a"), st.get("d"), st.get("k")
    out = [arr.generate(0, c, d, k) for _ in range(1000)]
    return shares, out


def _window_mean(out, cat, lo_h, hi_h):
    return float(np.mean([np.sum((c == cat) & (t >= lo_h * HOUR_S) & (t < hi_h * HOUR_S)) for t, c in out]))


@pytest.mark.parametrize("lo_h,hi_h,factor0", [
    (9.0, 10.0, 1.0),      # before the surge
    (10.0, 10.25, 1.0),    # same hour, before the off-the-hour start
    (10.25, 11.0, 3.0),    # surged part of the first hour
    (11.0, 13.0, 3.0),     # whole surged hours
    (13.0, 13.5, 3.0),     # surged part of the last hour
    (13.5, 14.0, 1.0),     # same hour, after the off-the-hour end
    (14.0, 24.0, 1.0),     # after the surge
])
def test_category_surge_multiplies_only_its_category_in_its_window(surge_sample, lo_h, hi_h, factor0):
    """Category-0 surge x3 over [10:15, 13:30): category 0 counts are x3 inside only; categories 1, 2 unchanged."""
    shares, out = surge_sample
    per_hour = 100.0  # 2400/day, flat profile
    for cat, share in enumerate(shares):
        lam = per_hour * (hi_h - lo_h) * share * (factor0 if cat == 0 else 1.0)
        m = _window_mean(out, cat, lo_h, hi_h)
        z = (m - lam) / math.sqrt(lam / len(out))
        assert abs(z) < Z_MAX, (f"surge cat0 x3 10:15-13:30, window [{lo_h}, {hi_h}) h, category {cat}: "
                                f"mean {m:.2f} vs {lam:.2f} (z={z:.2f})")


def test_surge_expected_per_hour_hand_computed():
    """Expected arrivals with a category-0 x3 surge over 10:15-13:30 equal the hand-computed hourly totals."""
    shares = np.array([0.5, 0.3, 0.2])
    arr = _arrivals(per_day=2400.0, profile=[1.0] * 24, shares=shares,
                    surges=[Surge(10.25 * HOUR_S, 13.5 * HOUR_S, np.array([3.0, 1.0, 1.0]))])
    want = np.full(24, 100.0)
    # fraction of each hour under the surge: 10 -> 0.75, 11 -> 1, 12 -> 1, 13 -> 0.5; cat 0 adds (3-1) x 0.5
    for h, frac in ((10, 0.75), (11, 1.0), (12, 1.0), (13, 0.5)):
        want[h] = 100.0 * (1 + 2 * 0.5 * frac)
    np.testing.assert_allclose(arr.expected_per_hour(0), want, rtol=1e-12, err_msg="surge accounting by hour")


def test_weekly_profile_gives_each_weekday_its_shape_and_zero_hours():
    """168 weights (Monday 0:00 first): each day's 24 weights share out its volume; a closed hour gets nothing."""
    week = np.tile(PROFILE, 7).reshape(7, 24)
    week[4, 14:] = 0.0  # Friday closes at 14:00
    week[5, :21] = 0.0  # Saturday opens at 21:00
    arr = _arrivals(profile=week.ravel().tolist(), dow=(1, 1, 1, 1, 0.5, 0.2, 1), start_weekday=6)
    for day, weekday in ((0, 6), (5, 4), (6, 5)):
        per_hour = arr.expected_per_hour(day)
        expected = 2400.0 * (1, 1, 1, 1, 0.5, 0.2, 1)[weekday] * week[weekday] / week[weekday].sum()
        assert np.allclose(per_hour, expected)
    (times, _), = _simulate(arr, [6], seed=3)
    assert np.all(_hour_counts(times, 6)[:21] == 0) and len(times) > 0


def test_weekly_profile_rules(compose):
    import copy

    from sim.core.errors import ConfigError
    from sim.model.checks import validate

    base = compose("single_queue", [])
    week = [1.0] * 168
    week[96:120] = [0.0] * 24  # Friday without weight while its factor gives it demand
    cfg = copy.deepcopy(base)
    cfg.arrivals.phone.hourly_profile = week
    with pytest.raises(ConfigError, match=r"hourly_profile\[96:120\].*weekday 4 .* has no weight"):
        validate(cfg)
    cfg.arrivals.day_of_week = [1, 1, 1, 1, 0, 1, 1]
    validate(cfg)
    cfg.arrivals.phone.hourly_profile = week[:100]
    with pytest.raises(ConfigError, match="must have 24 values .* or 168"):
        validate(cfg)
