"""Exact generation of non-homogeneous Poisson arrivals, one day at a time.

The arrival rate of a channel is piecewise constant: mean volume per day x
weekday factor x (optional) gamma day multiplier x hour-of-day share (one
profile for every day, or one per weekday), further
multiplied, category by category, by any surge in force.  For a piecewise-constant
rate the process is generated exactly, without thinning: in each piece the count
is Poisson with mean rate x length and, given the count, the times are independent
uniforms on the piece.  A resident's category is drawn with probability
proportional to ``share[k] x surge multiplier[k]`` in the piece where they arrive,
which makes each category's own arrival stream a Poisson process with its surge.

A dated scenario (:mod:`sim.config.dated`) gives a channel's expected arrivals per
date and half-hour instead (:class:`DatedArrivals`): the same exact generation over
its half-hours, with a lognormal day multiplier of mean 1 whose spread is the
forecast's (``dated.day_log_sd``), drawn from the channel's own ``forecast_day`` stream.

Days are generated when the simulation reaches them, so memory holds one day of
arrivals at most.  All draws come from the channel's own named streams.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence, Union

import numpy as np
from scipy import special

from sim.core.calendar import DAY_S

SLOT_S = 1800.0
SLOTS_PER_DAY = 48

HOUR_S = 3600.0


@dataclass(frozen=True)
class Surge:
    """A surge in engine units: ``[start_s, end_s)`` with a multiplier per category."""

    start_s: float
    end_s: float
    multipliers: np.ndarray  # one factor per category (1 where the surge does not apply)


class ChannelArrivals:
    """Arrival process of one channel.

    Parameters
    ----------
    per_day : float
        Mean contacts per day on a day with weekday factor 1 (already scaled).
    hourly_profile : sequence of float
        24 non-negative weights (every day alike) or 168 (a week, Monday 0:00 first); each day's
        24 weights are normalised to shares of that day (a day without weight gets no arrivals).
    day_of_week : sequence of float
        7 multipliers, Monday first.
    day_cv : float
        Coefficient of variation of the gamma day multiplier (0 = none).
    shares : sequence of float
        Category shares (sum to 1).
    surges : sequence of Surge
        Surges that apply to this channel.
    start_weekday : int
        Weekday of day 0 (0 = Monday).
    """

    def __init__(self, per_day: float, hourly_profile: Sequence[float], day_of_week: Sequence[float],
                 day_cv: float, shares: "Sequence[float] | np.ndarray", surges: Sequence[Surge],
                 start_weekday: int) -> None:
        prof = np.asarray(hourly_profile, dtype=float).reshape(-1, 24)
        prof = np.broadcast_to(prof, (7, 24))
        sums = prof.sum(axis=1, keepdims=True)
        self.per_day = float(per_day)
        #: share of each hour in its day, one row per weekday (Monday first)
        self.hour_share = np.divide(prof, sums, out=np.zeros((7, 24)), where=sums > 0)
        self.day_of_week = np.asarray(day_of_week, dtype=float)
        self.day_cv = float(day_cv)
        self.shares = np.asarray(shares, dtype=float)
        self.surges = list(surges)
        self.start_weekday = int(start_weekday)

    def pieces(self, day: int, day_factor: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The constant-rate pieces of ``day``.

        Returns
        -------
        starts, ends : ndarray
            Piece bounds in seconds from time 0.
        cat_rates : ndarray, shape (pieces, categories)
            Arrival rate per second of each category in each piece.
        """
        t0 = day * DAY_S
        starts, ends = piece_bounds(day, HOUR_S, self.surges)
        hours = ((starts - t0) // HOUR_S).astype(int)
        weekday = (self.start_weekday + day) % 7
        base = self.per_day * self.day_of_week[weekday] * day_factor * self.hour_share[weekday, hours] / HOUR_S
        mult = apply_surges(starts, ends, self.surges, np.ones((len(starts), len(self.shares))))
        return starts, ends, base[:, None] * self.shares[None, :] * mult

    def expected_per_hour(self, day: int) -> np.ndarray:
        """Expected arrivals in each hour of ``day`` (no day multiplier), for tests and reports."""
        return per_hour(day, *self.pieces(day))

    def multiplier_cv(self, day: int) -> float:
        """Coefficient of variation of ``day``'s multiplier (``day_cv``): every half-hour of a day moves with it."""
        return self.day_cv

    def generate(self, day: int, counts_rng: np.random.Generator, day_rng: np.random.Generator,
                 category_rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Arrival times (sorted, seconds) and category indices of ``day``.

        ``day_rng`` gives one uniform per day, turned into the gamma day
        multiplier (mean 1, CV ``day_cv``) by inversion; ``counts_rng`` gives the counts
        and times; ``category_rng`` one uniform per arrival, in time order.
        """
        cv = self.day_cv
        u_day = day_rng.random()  # drawn even when cv = 0, so nothing else depends on day_cv
        g = float(special.gammaincinv(1.0 / (cv * cv), u_day)) * cv * cv if cv > 0 else 1.0
        return draw(*self.pieces(day, g), counts_rng, category_rng)


def piece_bounds(day: int, step_s: float, surges: Sequence[Surge]) -> tuple[np.ndarray, np.ndarray]:
    """Starts and ends (seconds from time 0) of ``day`` cut every ``step_s`` seconds and where a surge
    starts or ends within the day."""
    t0 = day * DAY_S
    cuts = {t0 + k * step_s for k in range(int(round(DAY_S / step_s)) + 1)}
    for s in surges:
        for t in (s.start_s, s.end_s):
            if t0 < t < t0 + DAY_S:
                cuts.add(t)
    bounds = np.array(sorted(cuts))
    return bounds[:-1], bounds[1:]


def apply_surges(starts: np.ndarray, ends: np.ndarray, surges: Sequence[Surge], rates: np.ndarray) -> np.ndarray:
    """``rates`` (shape (pieces, categories)) multiplied in place, surge by surge, by the multipliers of the
    surges in force in each piece; returned."""
    mids = (starts + ends) / 2
    for s in surges:
        rates[(mids >= s.start_s) & (mids < s.end_s)] *= s.multipliers
    return rates


def per_hour(day: int, starts: np.ndarray, ends: np.ndarray, rates: np.ndarray) -> np.ndarray:
    """Expected arrivals in each hour of ``day`` from its constant-rate pieces."""
    hours = ((starts - day * DAY_S) // HOUR_S).astype(int)
    return np.bincount(hours, weights=rates.sum(axis=1) * (ends - starts), minlength=24)


def draw(starts: np.ndarray, ends: np.ndarray, cat_rates: np.ndarray, counts_rng: np.random.Generator,
         category_rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Arrival times (sorted) and category indices of constant-rate pieces (:meth:`ChannelArrivals.pieces`):
    a Poisson count per piece and uniform times in it from ``counts_rng``, one uniform per arrival (in time
    order) from ``category_rng`` for its category."""
    total = cat_rates.sum(axis=1)
    counts = counts_rng.poisson(total * (ends - starts))
    n = int(counts.sum())
    piece = np.repeat(np.arange(len(starts)), counts)
    times = starts[piece] + counts_rng.random(n) * (ends - starts)[piece]
    order = np.argsort(times, kind="stable")
    times, piece = times[order], piece[order]
    with np.errstate(invalid="ignore", divide="ignore"):
        cum = np.cumsum(cat_rates, axis=1) / total[:, None]
    cum[:, -1] = 1.0
    u = category_rng.random(n)
    cats = (u[:, None] >= cum[piece]).sum(axis=1)
    return times, np.minimum(cats, cat_rates.shape[1] - 1)


class DatedArrivals:
    """Arrival process of one channel of a dated scenario (:mod:`sim.config.dated`).

    The rate is constant in each half-hour of the file: its expected arrivals / 1800 s (per category
    where the file gives them, else the channel's total shared out by the category shares), times the
    day's multiplier and any surge in force; zero before the file's first day and after its last.

    Parameters
    ----------
    slot_counts : ndarray, shape (days * 48, C) or (days * 48, 1)
        Expected arrivals per half-hour (already scaled), per category or in total.
    shares : sequence of float
        Category shares (used when ``slot_counts`` has one column).
    surges : sequence of Surge
        Surges that apply to this channel.
    log_sd : ndarray, shape (days,)
        Standard deviation of each day's log total: a day's multiplier is ``exp(sd z - sd^2 / 2)``
        (mean 1), ``z`` standard normal from the channel's ``forecast_day`` stream.
    """

    def __init__(self, slot_counts: np.ndarray, shares: "Sequence[float] | np.ndarray", surges: Sequence[Surge],
                 log_sd: np.ndarray) -> None:
        self.shares = np.asarray(shares, dtype=float)
        counts = np.asarray(slot_counts, dtype=float)
        self.slot_counts = counts if counts.shape[1] > 1 else counts * self.shares[None, :]
        self.n_days = self.slot_counts.shape[0] // SLOTS_PER_DAY
        self.surges = list(surges)
        self.log_sd = np.asarray(log_sd, dtype=float)
        #: mean arrivals per day over the file (a channel with demand has per_day > 0)
        self.per_day = float(self.slot_counts.sum()) / max(self.n_days, 1)

    def pieces(self, day: int, day_factor: float = 1.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The constant-rate pieces of ``day``, as :meth:`ChannelArrivals.pieces`."""
        starts, ends = piece_bounds(day, SLOT_S, self.surges)
        if not 0 <= day < self.n_days:
            return starts, ends, np.zeros((len(starts), len(self.shares)))
        slots = day * SLOTS_PER_DAY + ((starts - day * DAY_S) // SLOT_S).astype(int)
        rates = self.slot_counts[slots] * (day_factor / SLOT_S)
        return starts, ends, apply_surges(starts, ends, self.surges, rates)

    def expected_per_hour(self, day: int) -> np.ndarray:
        """Expected arrivals in each hour of ``day`` (no day multiplier), for tests and reports."""
        return per_hour(day, *self.pieces(day))

    def multiplier_cv(self, day: int) -> float:
        """Coefficient of variation of ``day``'s lognormal multiplier, ``sqrt(exp(sd^2) - 1)`` (0 outside the file)."""
        sd = float(self.log_sd[day]) if 0 <= day < self.n_days else 0.0
        return math.sqrt(math.expm1(sd * sd))

    def generate(self, day: int, counts_rng: np.random.Generator, forecast_rng: np.random.Generator,
                 category_rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Arrival times (sorted, seconds) and category indices of ``day``: one standard normal per day
        from ``forecast_rng`` (drawn whatever the day's sd) gives its multiplier."""
        z = float(forecast_rng.standard_normal())
        sd = float(self.log_sd[day]) if 0 <= day < self.n_days else 0.0
        return draw(*self.pieces(day, math.exp(sd * z - sd * sd / 2.0)), counts_rng, category_rng)


#: A channel's arrival process: the weekly template or a dated file's.
Arrivals = Union[ChannelArrivals, DatedArrivals]


class OpenHours:
    """The hours in which a channel takes arrivals (an expected count above 0), from time 0.

    A centre closed at night has hours without a single expected arrival (a calibrated profile's exact
    zeros).  A caller does not redial into them: :meth:`defer` moves a redial that would fall in a closed
    stretch past it, by as long as it fell into it (the delay's clock stops while the centre is closed),
    so that redials keep their spread after the opening instead of all abandoning at night.

    Parameters
    ----------
    open_h : ndarray of bool, shape (hours,)
        Whether each hour from time 0 is open; times beyond the last hour count as open.
    """

    def __init__(self, open_h: np.ndarray) -> None:
        self.open_h = np.asarray(open_h, dtype=bool)
        self._open = tuple(self.open_h.tolist())  # read item by item on a redial: a tuple, not numpy scalars

    @classmethod
    def of(cls, arrivals: "Arrivals", end_s: float) -> "Optional[OpenHours]":
        """The open hours of ``arrivals`` over ``[0, end_s)``; None when no hour is closed (nothing to defer)."""
        days = int(np.ceil(end_s / DAY_S))
        per_hour = np.concatenate([arrivals.expected_per_hour(d) for d in range(days)]) if days else np.zeros(0)
        open_h = per_hour > 0
        if open_h.all() or not open_h.any():  # always open, or a channel without arrivals: nothing to defer
            return None
        return cls(open_h)

    def defer(self, abandoned_s: float, redial_s: float) -> float:
        """The time of a redial drawn for ``redial_s`` after an abandonment at ``abandoned_s``: as drawn if the
        centre is open then, else later by the part of the closed stretch it fell into."""
        t = redial_s
        open_h = self._open
        n = len(open_h)
        h = int(t // 3600.0)
        while 0 <= h < n and not open_h[h]:
            c0 = h
            while c0 > 0 and not open_h[c0 - 1] and (c0 - 1) * 3600.0 >= abandoned_s:
                c0 -= 1
            c1 = h
            while c1 < n and not open_h[c1]:
                c1 += 1
            t = c1 * 3600.0 + (t - max(c0 * 3600.0, abandoned_s))
            abandoned_s = c1 * 3600.0
            h = int(t // 3600.0)
        return t
