"""Ceilings on sizes, and loops in simulated time that could stand still.

A configuration can be valid key by key and still describe a run that cannot
finish: ``arrivals.phone.per_day=1e12``, a surge multiplier of 1e12, a billion
operators, ``experiment.replications=10**20``.  Such runs used to pass
validation and fail late (an overflow, memory exhaustion, a hang).  Here:

* :func:`check_ceilings` - per-key ceilings, checked first (before anything
  computes with the values): horizon and drain, replications, worker processes,
  and the loop bounds per contact (redials, return-visit attempts, rounds); then
  every number of the configuration, found generically, must be finite and below
  its ceiling (:data:`CEILINGS`, a century for any duration), so that no output
  computed from it (a staffing cost, a deadline in seconds) can overflow;
* the estimated size of the run against :data:`LIMITS` (contacts, events,
  operators, units, memory) needs the model's own arithmetic (the arrival
  process's mean, the staffing timetable) and is checked in the model layer
  (:func:`sim.model.checks.check_size`), right after this module's checks;
* :func:`check_loops` - loops in simulated time whose every step can take no
  time at all (a zero patience with a zero redial delay, ...) are rejected:
  they would run their whole count at one instant.

The limits (:data:`LIMITS`) are chosen so that a run within them fits a 24 GiB
machine and finishes in reasonable time: the Beijing baseline at scale 1 makes
about 70,000 contacts a day, 2.1 million in 30 days (84 s and under 0.5 GB per
replication on a 2-core laptop); the contact limit is about 5 times that.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import math
import os
import re
from typing import Any, Dict, Iterator, Mapping, Optional, Tuple

import numpy as np

from sim.config.schema import URGENCY_CLASSES, Config, DistConfig
from sim.core.distributions import MAX_SIZE_S
from sim.core.errors import ConfigError

#: Ceilings and limits (documented in docs/experiments.md, "Limits").
LIMITS: Dict[str, float] = {
    "horizon_h": 366 * 24.0,          # experiment.horizon_h and experiment.drain_h: a (leap) year each
    "replications": 10_000,           # experiment.replications and experiment.max_replications
    "jobs": 256,                      # experiment.jobs: worker processes
    "max_retrials": 100,              # calls.retrial.max_retrials
    "max_attempts": 100,              # feedback.max_attempts
    "max_rounds": 100,                # feedback.max_rounds
    "contacts": 1e7,                  # expected first contacts per replication
    "events": 2e8,                    # estimated simulation events per replication
    "total_contacts": 1e9,            # expected contacts over all replications
    "operators": 100_000,             # operators on duty at once (front line or feedback team)
    "units": 100_000,                 # units over all unit types
    "case_slots": 1e9,                # case slots over all units
    "result_bytes": 8 * 2.0**30,      # results held in memory until the report is written
    "day_bytes": 8 * 2.0**30,         # a day's residents drawn at once, over the processes running replications
}
#: A reference for naming the key that drives an oversized run: the Beijing baseline's values.
_REFERENCE = {"scale": 1.0, "demand_factor": 1.0, "per_day": 70_000.0, "horizon_h": 168.0, "multiplier": 5.0,
              "day_of_week": 1.1}
#: Values stored per reporting interval and replication (counters, areas, states, derived KPIs), and per
#: contact in the request log; bytes per value.
_PER_INTERVAL, _PER_LOGGED_CONTACT, _BYTES = 64, 40, 8
#: Memory a replication holds per resident of the day it draws (a tuple of 19-20 Python values and the
#: arrays it comes from); measured 0.9-1.5 KB on single_queue and the Beijing baseline.
_PER_RESIDENT_BYTES = 1536


def machine_memory_bytes() -> float:
    """This machine's physical memory in bytes (0 when the system does not say)."""
    try:
        return float(os.sysconf("SC_PAGE_SIZE")) * float(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, OSError, ValueError):
        return 0.0


#: A century, the longest duration any setting may have (in hours; a second-valued key: this x 3600).  Not a
#: year: a time to close fitted to a log whose many open requests are censored has a tail of decades (the
#: shared NYC 311 log: a 90th percentile of 61 years for health requests).
_CENTURY_H = MAX_SIZE_S / 3600.0
#: Ceilings of numeric settings that have no upper bound of their own, by key pattern (``fnmatch``; a
#: list index is written ``[[]*[]]``, fnmatch's way of saying ``[<anything>]``), first match first.  Each is
#: far above what a real centre reaches, and keeps every output computed from the setting finite
#: (cost x hours, hours x 3600, weights summed...).
CEILINGS: Tuple[Tuple[str, float, str], ...] = (
    ("*cost_per_h", 1e6, "the cost of an operator-hour; staffing_cost multiplies it by every hour rostered"),
    ("arrivals.*.hourly_profile[[]*[]]", 1e9, "a relative weight of the hour"),
    ("units.*.weights[[]*[]]", 1e9, "a relative weight of the unit"),
    ("*.cv", 100.0, "a coefficient of variation"),
    ("*.shape", 1e6, "a distribution's shape parameter"),
    ("arrivals.day_of_week[[]*[]]", 100.0, "a weekday's multiplier of the channels' per_day"),
    ("*headcount_factor", 100.0, "a what-if multiplier of the plan's headcounts"),
    ("units.*.count", LIMITS["units"], "units in all, the size limit of a run"),
    ("units.*.caseload", 1e6, "open cases one case worker carries"),
    ("units.*.case_workers_by_unit.*", 1e6, "case workers of one unit"),
    ("*.operators", LIMITS["operators"], "operators on duty at once, the size limit of a run"),
    ("*.half_hourly[[]*[]]", LIMITS["operators"], "operators on duty at once, the size limit of a run"),
    ("*shifts[[]*[]].count", LIMITS["operators"], "operators on duty at once, the size limit of a run"),
    ("routing.reserve_idle*", LIMITS["operators"], "idle operators kept, at most the operators on duty"),
)
#: Keys bounded by a rule of their own tighter than a unit's ceiling (a time of day, a length of shift).
OWN_RULE: Tuple[str, ...] = ("*shifts[[]*[]].start_h", "*shifts[[]*[]].length_h", "calendars.*",
                             "staffing.patterns[[]*[]].*")
#: Ceilings by the unit in a key's name (its last part naming one: ``calls.handle_s.mean``,
#: ``workorders.resolution_h_by_urgency.general.p90``).
UNIT_CEILINGS: Dict[str, Tuple[float, str]] = {
    "h": (_CENTURY_H, "a century, in hours"),
    "s": (_CENTURY_H * 3600.0, "a century, in seconds"),
}
_INDEX = re.compile(r"\[\d+\]")
_UNIT = re.compile(r"_(h|s)(?:_|$)")


def _ceiling(key: str, value: float, limit: float, why: str) -> None:
    if isinstance(value, (int, float)) and math.isfinite(value) and value > limit:
        raise ConfigError(key, value, f"must be <= {limit:,.0f} ({why})")


def numeric_settings(node: Any, key: str = "") -> Iterator[Tuple[str, float]]:
    """Every number of a configuration (dataclasses, lists, mappings), with its key as errors name it.

    Keys are dotted, list items ``[i]``, mapping entries ``.name``: ``staffing.shifts[0].cost_per_h``,
    ``routing.groups.day.operators``, ``calls.handle_s.mean``.
    """
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        for f in dataclasses.fields(node):
            yield from numeric_settings(getattr(node, f.name), f"{key}.{f.name}" if key else f.name)
    elif isinstance(node, Mapping):
        for name, value in node.items():
            yield from numeric_settings(value, f"{key}.{name}")
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from numeric_settings(value, f"{key}[{i}]")
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        yield key, node


def ceiling_of(key: str) -> Optional[Tuple[float, str]]:
    """The ceiling of the setting ``key`` and why, or None (the key's own rule or the run's size bounds it)."""
    for pattern, limit, why in CEILINGS:
        if fnmatch.fnmatchcase(key, pattern):
            return limit, why
    if any(fnmatch.fnmatchcase(key, p) for p in OWN_RULE):
        return None
    for part in reversed(_INDEX.sub("", key).split(".")):
        unit = _UNIT.search(part)
        if unit:
            return UNIT_CEILINGS[unit.group(1)]
    return None


def check_ceilings(cfg: Config) -> None:
    """Every number finite, and below its ceiling; checked before any value is used in a computation.

    The size limits of a run (:data:`LIMITS`: horizon, replications, worker processes, loop
    bounds) come first, then every other number of the configuration, found generically
    (:func:`numeric_settings`): not a finite number, or above its ceiling (:func:`ceiling_of`:
    :data:`CEILINGS`, or a century for a duration in hours or seconds), is refused.  Numbers without a
    ceiling here are bounded by a rule of their own (a probability, a time of day) or by the
    estimated size of the run (:func:`sim.model.checks.check_size`: volumes, scale, headcounts).

    Raises
    ------
    ConfigError
        Naming the key, its value and the ceiling.
    """
    e = cfg.experiment
    _ceiling("experiment.horizon_h", e.horizon_h, LIMITS["horizon_h"], "a year of simulated time at most")
    _ceiling("experiment.drain_h", e.drain_h, LIMITS["horizon_h"], "a year of simulated time at most")
    _ceiling("experiment.replications", e.replications, LIMITS["replications"], "the size limit of a run")
    _ceiling("experiment.max_replications", e.max_replications, LIMITS["replications"], "the size limit of a run")
    _ceiling("experiment.jobs", e.jobs, LIMITS["jobs"], "worker processes on one machine")
    _ceiling("calls.retrial.max_retrials", cfg.calls.retrial.max_retrials, LIMITS["max_retrials"],
             "redials per contact")
    _ceiling("feedback.max_attempts", cfg.feedback.max_attempts, LIMITS["max_attempts"],
             "return-visit attempts per visit")
    _ceiling("feedback.max_rounds", cfg.feedback.max_rounds, LIMITS["max_rounds"], "handling rounds per order")
    for key, value in numeric_settings(cfg):
        if not math.isfinite(value):
            raise ConfigError(key, value, "must be a finite number")
        rule = ceiling_of(key)
        if rule is not None:
            _ceiling(key, value, *rule)


# ------------------------------------------------------------------------------------------- loops
def _shown(dist: DistConfig) -> Dict[str, object]:
    """A distribution as the error message shows it: its family and parameters."""
    return {k: v for k, v in vars(dist).items() if v is not None}


def can_be_zero(dist: DistConfig, key: str) -> bool:
    """Whether a draw of the distribution can be exactly 0 (with probability 1e-9 or more, in floating point)."""
    from sim.core.distributions import make_distribution

    return float(make_distribution(dist, key).ppf(np.array([1e-9]))[0]) == 0.0


def check_loops(cfg: Config) -> None:
    """Reject a loop in simulated time whose every step can take no time (time would stand still).

    The loops: a caller's redials (patience, then the redial delay), a return visit's
    attempts (the unanswered call, then the retry delay), an order's bounces (the wrong
    unit's review, then the re-dispatch delay; a misroute probability of 1 never ends), and
    an order's rounds (response, resolution, the delay to the return visit and its talk).

    Raises
    ------
    ConfigError
        Naming the delay to make positive.
    """
    c, wo, fb = cfg.calls, cfg.workorders, cfg.feedback
    if (cfg.arrivals.phone.per_day > 0 and c.retrial.probability > 0 and c.retrial.max_retrials > 0
            and can_be_zero(c.patience_s, "calls.patience_s")
            and can_be_zero(c.retrial.delay_s, "calls.retrial.delay_s")):
        raise ConfigError("calls.retrial.delay_s", _shown(c.retrial.delay_s),
                          "can be 0 while calls.patience_s can be 0: a caller who finds no free operator would "
                          f"redial up to {c.retrial.max_retrials} times at the same instant; give the redial delay "
                          "a positive value")
    if not cfg.units:
        return
    if wo.misroute_probability >= 1.0:
        raise ConfigError("workorders.misroute_probability", wo.misroute_probability,
                          "must be < 1: every order would be misrouted and bounce back forever")
    if wo.misroute_probability > 0 and can_be_zero(wo.review_h, "workorders.review_h") and any(
            can_be_zero(wo.dispatch_delay_h[u], f"workorders.dispatch_delay_h.{u}") for u in URGENCY_CLASSES):
        raise ConfigError("workorders.review_h", _shown(wo.review_h),
                          "can be 0 while a dispatch delay can be 0: a misrouted order would bounce back and be "
                          "re-dispatched at the same instant, again and again; give the review a positive duration")
    if fb.reach_probability < 1 and fb.max_attempts > 1 and can_be_zero(fb.retry_delay_h, "feedback.retry_delay_h") \
            and can_be_zero(fb.no_answer_s, "feedback.no_answer_s"):
        raise ConfigError("feedback.retry_delay_h", _shown(fb.retry_delay_h),
                          "can be 0 while feedback.no_answer_s can be 0: a return visit would make all its "
                          f"{fb.max_attempts} attempts at the same instant; give the retry delay a positive value")
    resolutions = [wo.resolution_h, *wo.resolution_h_by_urgency.values(),
                   *(cat.resolution_h for cat in cfg.categories.values() if cat.resolution_h is not None)]
    if (fb.reopen_probability > 0 and fb.max_rounds > 1 and can_be_zero(fb.delay_h, "feedback.delay_h")
            and can_be_zero(fb.talk_s, "feedback.talk_s")
            and any(can_be_zero(d, "workorders.response_delay_h") for d in wo.response_delay_h.values())
            and any(can_be_zero(d, "workorders.resolution_h") for d in resolutions)):
        raise ConfigError("feedback.delay_h", _shown(fb.delay_h),
                          "can be 0 while the response delay, the resolution and the return-visit talk can be 0: "
                          f"a reopened order would go through its {fb.max_rounds} rounds at the same instant; "
                          "give the delay to the return visit a positive value")


__all__ = ["LIMITS", "CEILINGS", "OWN_RULE", "UNIT_CEILINGS", "check_ceilings", "ceiling_of", "numeric_settings",
           "check_loops", "can_be_zero"]
