"""The quantities derived from a configuration, each computed in one place.

The model reads a compiled scenario (:mod:`sim.model.compile`), and some checks
before a run and the staffing policies need the same numbers: how many
reporting intervals a run has, the category mix, the triage mix (what share of
a category's contacts are answered directly, become work orders or are
transferred to emergency services), the arrival process with its surges, the
handle-time distributions with their fall-backs, the working calendars and the
units.  Each is derived here, once, from a validated configuration, and every
consumer calls the function below rather than repeating its arithmetic:

* :func:`clock` - times in seconds and interval counts (horizon, drain,
  reporting interval, intervals of the horizon, warm-up intervals);
* :func:`category_shares` - the category mix, normalised to sum to 1;
* :func:`triage` - urgency mix and ``P(kind | category)``, exactly as
  :mod:`sim.model.residents` draws them;
* :func:`demand_volume` - the one multiplier of every arrival process's volume
  (``scale`` x ``arrivals.demand_factor``);
* :func:`channel_arrivals` - each channel's arrival process, surges included
  (volume x :func:`demand_volume` x weekday factors x hourly profile x surges, or a dated file's
  rates x :func:`demand_volume`);
  :func:`start_date` - the date of time 0 of a dated scenario;
* :func:`handle_tables`, :func:`transfer_handle`, :func:`resolution_table`,
  :func:`per_urgency` - the distributions of the front line and of the back
  office, fall-back chains resolved, every call handle time multiplied by
  ``calls.handle_factor`` (:func:`call_handle`)
  (:func:`sim.core.distributions.make_distribution` is called on a
  setting in this module or in :mod:`sim.model.compile`, nowhere else in the model);
* :func:`mean_handle_s` - the mean operator time of a contact over the
  category and triage mix;
* :func:`calendars` and :func:`unit_directory` - working time and units.

Headcounts after scale, shrinkage and headcount factor are derived in
:func:`sim.model.staffing.available_factor`, beside the plans they apply to.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from typing import Dict, List, Optional

import numpy as np

from sim.config.backoffice import unit_names
from sim.config.dated import day_log_sd, read_dated
from sim.config.schema import CHANNELS, URGENCY_CLASSES, Config, DistConfig
from sim.config.whatif import scaled_dist
from sim.core.calendar import WorkCalendar
from sim.core.distributions import Distribution, make_distribution
from sim.model.arrivals import Arrivals, ChannelArrivals, DatedArrivals, Surge
from sim.model.staffing import carried_counts, scaled_headcount
from sim.model.units import Unit, UnitDirectory

#: Kinds of work a contact can turn into (the triage), as :mod:`sim.model.residents` draws them.
DIRECT, WORK_ORDER, TRANSFER = 0, 1, 2
EMERGENCY = URGENCY_CLASSES.index("emergency")


@dataclass(frozen=True)
class Clock:
    """The run's time axis (seconds) and its reporting intervals.

    Attributes
    ----------
    horizon_s, drain_s : float
        Length of the run with arrivals, and of the drain after it.
    interval_s : float
        Length of a reporting interval.
    n_intervals, warmup_intervals : int
        Reporting intervals of the horizon, and the leading ones left out of every KPI.
    start_weekday : int
        Weekday of time 0 (0 = Monday).
    """

    horizon_s: float
    drain_s: float
    interval_s: float
    n_intervals: int
    warmup_intervals: int
    start_weekday: int

    @property
    def end_s(self) -> float:
        """When the run stops: the horizon plus the drain."""
        return self.horizon_s + self.drain_s


def clock(cfg: Config) -> Clock:
    """The time axis of ``cfg`` (``experiment.*_h``, ``kpi.interval_min``) in seconds and intervals."""
    e = cfg.experiment
    horizon_s = e.horizon_h * 3600.0
    interval_s = cfg.kpi.interval_min * 60.0
    return Clock(horizon_s=horizon_s, drain_s=e.drain_h * 3600.0, interval_s=interval_s,
                 n_intervals=int(round(horizon_s / interval_s)),
                 warmup_intervals=int(round(e.warmup_h * 3600.0 / interval_s)), start_weekday=int(e.start_weekday))


def lead_in(cfg: Config, hours: float) -> Config:
    """A copy of ``cfg`` that simulates ``hours`` of its ordinary demand before its own run: the horizon, the
    warm-up and the surges ``hours`` later (a planner's simulation that must measure the run's window with the
    system full; whole weeks keep the weekdays where they were)."""
    out = copy.deepcopy(cfg)
    e = out.experiment
    e.horizon_h += hours
    e.warmup_h += hours
    for s in out.arrivals.surges:
        s.start_h += hours
    return out


def start_date(cfg: Config) -> Optional[dt.date]:
    """The date of time 0 of a dated scenario (its file's first date), None for the weekly template."""
    if cfg.dated.file is None:
        return None
    return read_dated(cfg.dated.file, CHANNELS, list(cfg.categories)).start


def category_shares(cfg: Config) -> np.ndarray:
    """The categories' shares of contacts (in the order of ``categories``), normalised to sum to 1."""
    shares = np.array([c.share for c in cfg.categories.values()], dtype=float)
    return shares / shares.sum()


@dataclass(frozen=True, eq=False)
class Triage:
    """The urgency and triage mix of each category (arrays with one row per category).

    Attributes
    ----------
    urgency_cum : ndarray, shape (C, len(URGENCY_CLASSES))
        Cumulative urgency mix (the last column exactly 1), against which a uniform number draws the class.
    direct_share : ndarray, shape (C,)
        P(answered directly) of a contact not of the emergency class.
    transfer_share : ndarray, shape (C,)
        P(transferred to emergency services) of an emergency-class contact.
    kind_share : ndarray, shape (C, 3)
        ``P(kind | category)`` for the kinds :data:`DIRECT`, :data:`WORK_ORDER`, :data:`TRANSFER`: an
        emergency-class contact is transferred with the transfer share, else it becomes a work order;
        another contact is answered directly with the direct share, else it becomes a work order.
    """

    urgency_cum: np.ndarray
    direct_share: np.ndarray
    transfer_share: np.ndarray
    kind_share: np.ndarray


def triage(cfg: Config) -> Triage:
    """The urgency and triage mix of every category of ``cfg`` (:class:`Triage`)."""
    cats = list(cfg.categories.values())
    urgency = np.array([[float(c.urgency.get(u, 0.0)) for u in URGENCY_CLASSES] for c in cats])
    urgency_cum = np.cumsum(urgency / urgency.sum(axis=1, keepdims=True), axis=1)
    urgency_cum[:, -1] = 1.0
    direct_share = np.array([c.direct_share for c in cats], dtype=float)
    transfer_share = np.array([c.emergency_transfer_share for c in cats], dtype=float)
    mix = np.diff(np.concatenate([np.zeros((urgency_cum.shape[0], 1)), urgency_cum], axis=1), axis=1)
    em = mix[:, EMERGENCY]
    transfer = em * transfer_share
    direct = (1.0 - em) * direct_share
    kind_share = np.stack([direct, 1.0 - direct - transfer, transfer], axis=1)
    return Triage(urgency_cum, direct_share, transfer_share, kind_share)


def _surges(cfg: Config, channel: str) -> List[Surge]:
    """The surges of ``arrivals.surges`` that apply to ``channel``, in seconds, with a multiplier per category."""
    out = []
    for s in cfg.arrivals.surges:
        if s.channels and channel not in s.channels:
            continue
        mult = np.array([s.multiplier if (not s.categories or n in s.categories) else 1.0 for n in cfg.categories])
        out.append(Surge(s.start_h * 3600.0, (s.start_h + s.duration_h) * 3600.0, mult))
    return out


def demand_volume(cfg: Config) -> float:
    """The multiplier of every arrival process's volume: ``scale`` x ``arrivals.demand_factor``.

    Every source of arrivals is multiplied by it here, once - a channel's ``per_day`` (and so each
    category's share of it), a dated scenario's rates per half-hour - before the weekday
    factors, the hourly profile and the surges, which keep their shape.
    """
    return cfg.scale * cfg.arrivals.demand_factor


def channel_arrivals(cfg: Config, with_surges: bool = True) -> Dict[str, Arrivals]:
    """Each channel's arrival process: volume x :func:`demand_volume`, weekday factors, hourly profile, day CV
    and surges; for a channel of a dated scenario's file, its arrivals per half-hour x :func:`demand_volume`,
    the day multipliers' spread (``dated.day_log_sd``) and surges.

    Parameters
    ----------
    cfg : Config
        A validated configuration.
    with_surges : bool
        Include ``arrivals.surges`` (False: the demand the surges multiply, for a check naming its driver).
    """
    shares = category_shares(cfg)
    volume = demand_volume(cfg)
    out: Dict[str, Arrivals] = {}
    dated = (read_dated(cfg.dated.file, CHANNELS, list(cfg.categories)) if cfg.dated.file is not None else None)
    for ch in CHANNELS:
        c = getattr(cfg.arrivals, ch)
        if dated is not None and ch in dated.rates:  # the file's dates replace the channel's weekly template
            out[ch] = DatedArrivals(dated.rates[ch] * volume, shares, _surges(cfg, ch) if with_surges else [],
                                    day_log_sd(cfg.dated, dated, ch))
            continue
        out[ch] = ChannelArrivals(c.per_day * volume, c.hourly_profile, cfg.arrivals.day_of_week, c.day_cv,
                                  shares, _surges(cfg, ch) if with_surges else [], cfg.experiment.start_weekday)
    return out


def call_handle(cfg: Config, dist: DistConfig, key: str) -> Distribution:
    """A call handle-time distribution of ``cfg`` at ``key``, multiplied by ``calls.handle_factor`` with its
    shape kept (:func:`sim.config.whatif.scaled_dist`)."""
    return make_distribution(scaled_dist(dist, cfg.calls.handle_factor), key)


def transfer_handle(cfg: Config) -> Distribution:
    """Operator time of a transfer to emergency services (``calls.handle_transfer_s`` x ``calls.handle_factor``),
    a call or a transferred online item."""
    return call_handle(cfg, cfg.calls.handle_transfer_s, "calls.handle_transfer_s")


def handle_tables(cfg: Config) -> Dict[str, List[List[Distribution]]]:
    """Handle-time distributions per channel, ``[kind][category]`` for kinds :data:`DIRECT` and
    :data:`WORK_ORDER`, with the fall-back chain resolved (a category's own, the channel's, the direct one);
    the phone channel's multiplied by ``calls.handle_factor`` as in :func:`call_handle`."""
    out: Dict[str, List[List[Distribution]]] = {}
    for channel in CHANNELS:
        base = cfg.calls if channel == "phone" else cfg.online
        table: List[List[Distribution]] = [[], []]
        for name, cat in cfg.categories.items():
            if channel == "phone":
                direct_cfg, direct_key = ((cat.handle_s, f"categories.{name}.handle_s") if cat.handle_s is not None
                                          else (base.handle_s, "calls.handle_s"))
                wo = [(cat.handle_work_order_s, f"categories.{name}.handle_work_order_s"),
                      (base.handle_work_order_s, "calls.handle_work_order_s"), (direct_cfg, direct_key)]
            else:
                direct_cfg, direct_key = base.handle_s, "online.handle_s"
                wo = [(base.handle_work_order_s, "online.handle_work_order_s"), (direct_cfg, direct_key)]
            wo_cfg, wo_key = next((d, k) for d, k in wo if d is not None)
            factor = cfg.calls.handle_factor if channel == "phone" else 1.0  # a call's, not an online item's
            table[DIRECT].append(make_distribution(scaled_dist(direct_cfg, factor), direct_key))
            table[WORK_ORDER].append(make_distribution(scaled_dist(wo_cfg, factor), wo_key))
        out[channel] = table
    return out


def handle_profile(cfg: Config) -> Optional[np.ndarray]:
    """``calls.handle_factor_half_hourly`` as 336 factors of the week that starts at time 0 (None without one)."""
    f = np.asarray(cfg.calls.handle_factor_half_hourly, dtype=float)
    if not len(f):
        return None
    week = np.tile(f, 7) if len(f) == 48 else f  # Monday first
    return np.roll(week, -48 * cfg.experiment.start_weekday)


def patience_table(cfg: Config) -> Optional[List[Distribution]]:
    """Patience per category (its own, else ``calls.patience_s``); None when no category has its own."""
    if all(c.patience_s is None for c in cfg.categories.values()):
        return None
    return [make_distribution(c.patience_s if c.patience_s is not None else cfg.calls.patience_s,
                              f"categories.{n}.patience_s" if c.patience_s is not None else "calls.patience_s")
            for n, c in cfg.categories.items()]


def mean_handle_s(shares: np.ndarray, mix: Triage, table: List[List[Distribution]], transfer: Distribution) -> float:
    """Mean operator time of a contact of one channel: categories by share, each by its triage mix.

    Parameters
    ----------
    shares : ndarray, shape (C,)
        :func:`category_shares`.
    mix : Triage
        :func:`triage`.
    table : list of list of Distribution
        The channel's :func:`handle_tables` entry, ``[kind][category]``.
    transfer : Distribution
        Handle time of a transfer to emergency services.
    """
    k = mix.kind_share
    per_category = [k[c, DIRECT] * table[DIRECT][c].mean + k[c, WORK_ORDER] * table[WORK_ORDER][c].mean
                    + k[c, TRANSFER] * transfer.mean for c in range(len(shares))]
    return float(np.dot(shares, per_category))


def per_urgency(table: Dict[str, DistConfig], key: str) -> List[Distribution]:
    """One distribution per urgency class (in the order of ``URGENCY_CLASSES``) from a table by class name."""
    return [make_distribution(table[u], f"{key}.{u}") for u in URGENCY_CLASSES]


def resolution_table(cfg: Config) -> List[List[Distribution]]:
    """Resolution-time distribution (hours) per category and urgency class: the class's own
    (``workorders.resolution_h_by_urgency``), else the category's, else ``workorders.resolution_h``."""
    wo = cfg.workorders
    default = make_distribution(wo.resolution_h, "workorders.resolution_h")
    by_urgency = {u: make_distribution(d, f"workorders.resolution_h_by_urgency.{u}")
                  for u, d in wo.resolution_h_by_urgency.items()}
    out = []
    for name, cat in cfg.categories.items():
        base = (make_distribution(cat.resolution_h, f"categories.{name}.resolution_h")
                if cat.resolution_h is not None else default)
        out.append([by_urgency.get(u, base) for u in URGENCY_CLASSES])
    return out


def calendars(cfg: Config) -> Dict[str, WorkCalendar]:
    """The working calendars of ``cfg`` by name, anchored at the run's start weekday."""
    return {name: WorkCalendar(c.days, c.start_h, c.end_h, cfg.experiment.start_weekday)
            for name, c in cfg.calendars.items()}


def unit_directory(cfg: Config, cals: Dict[str, WorkCalendar]) -> UnitDirectory:
    """Every unit of ``cfg`` with its capacity (case workers x caseload x ``scale``, fractions carried within a
    type), weights and district, and each category's unit type, named unit and unclear share.

    Parameters
    ----------
    cfg : Config
        A validated configuration with units.
    cals : dict of str to WorkCalendar
        :func:`calendars`.
    """
    units: List[Unit] = []
    offsets: List[int] = []
    cum_weights: List[np.ndarray] = []
    name_to_uid: Dict[str, int] = {}
    all_workers: List[float] = []
    type_names = list(cfg.units)
    for t, (tname, ut) in enumerate(cfg.units.items()):
        offsets.append(len(units))
        w = (np.asarray(ut.weights, dtype=float) if ut.weights
             else 1.0 / np.power(np.arange(1, ut.count + 1, dtype=float), ut.zipf))
        share = w / w.sum()
        names = unit_names(tname, ut)
        workers: List[float] = []
        for i, name in enumerate(names):
            w_i = float(ut.case_workers) * (ut.count * share[i] if ut.staff_by_weight else 1.0)
            workers.append(float(ut.case_workers_by_unit.get(name, w_i)))
        slots = carried_counts(scaled_headcount(w * ut.caseload, cfg.scale) for w in workers)
        all_workers.extend(workers)
        for name, w_i, cap in zip(names, workers, slots, strict=True):
            unit = Unit(len(units), t, name, max(cap, 1 if w_i > 0 else 0), cals[ut.calendar])
            units.append(unit)
            name_to_uid[name] = unit.uid
        cum = np.cumsum(share)
        cum[-1] = 1.0
        cum_weights.append(cum)
    counts = [ut.count for ut in cfg.units.values()]
    district_of = np.full(len(units), -1, dtype=np.int64)
    for t, ut in enumerate(cfg.units.values()):
        if ut.district_of:
            d = type_names.index(ut.district_of)
            local = np.arange(ut.count)
            district_of[offsets[t]:offsets[t] + ut.count] = offsets[d] + local * counts[d] // ut.count
    cats = list(cfg.categories.values())
    return UnitDirectory(
        type_names=type_names, units=units, offsets=offsets, cum_weights=cum_weights, counts=counts,
        district_of=district_of,
        cat_type=np.array([type_names.index(c.unit_type) if c.unit_type else -1 for c in cats], dtype=np.int64),
        cat_unit=np.array([name_to_uid[c.unit] if c.unit else -1 for c in cats], dtype=np.int64),
        cat_unclear=np.array([c.unclear_share for c in cats], dtype=float), workers=all_workers)


def work_order_share(cfg: Config) -> float:
    """Share of contacts that become work orders (0 without units): the triage mix weighted by the category mix."""
    if not cfg.units:
        return 0.0
    return float(np.dot(category_shares(cfg), triage(cfg).kind_share[:, WORK_ORDER]))


__all__ = ["Clock", "Triage", "DIRECT", "WORK_ORDER", "TRANSFER", "clock", "lead_in", "category_shares", "triage",
           "demand_volume", "channel_arrivals", "start_date", "call_handle",
           "transfer_handle", "handle_tables", "mean_handle_s", "per_urgency", "resolution_table", "calendars",
           "unit_directory", "work_order_share"]
