"""A blending reservation that leaves no room for blended work, rejected before the run.

``routing.reserve_idle`` (or ``routing.reserve_idle_half_hourly``) lets an
operator take blended work - online items, return-visit calls made by operators -
only while that many *other* operators of the group stay idle
(:mod:`sim.core.blending`).  A group with ``n`` operators on duty can therefore
take blended work only while the reservation in force is below ``n``.  The rule
checked here: for each kind of blended work, some group that serves it must at
some moment of the week have more operators on duty than the reservation it
keeps at that moment; otherwise that work could never be taken as such, and the
setting is refused naming the key.  The moments are those of the plans
themselves - the staffing timetable of each group
(:func:`sim.model.staffing.staffing_changes`, after scale, shrinkage and
headcount factor, fractional operators included) and the reservation's
half-hours - over one week from the run's start, the period after which both
repeat.  A reservation at or above the headcount in *some* half-hours only is
accepted: it pauses blended work in those half-hours, a planner's choice.

A group that serves no calls keeps no reservation (the engine's rule), so work it
serves is never blocked by one.  A plan proposed by ``staffing.policy=erlang`` or
``optimize`` is not known before the run; it is not checked here.
"""

from __future__ import annotations

from typing import Dict, List

import numpy as np

from sim.config.schema import Config, group_plans
from sim.core.calendar import DAY_S
from sim.core.errors import ConfigError
from sim.model.staffing import HALF_HOUR_S, StaffChange, staffing_changes

WEEK_S = 7 * DAY_S
#: Kinds of blended work: name in ``routing.skills`` -> how the message calls it.
BLENDED_WORK = {"online": "online work", "outbound": "return-visit calls by operators"}


def _levels(changes: List[StaffChange], times: np.ndarray) -> np.ndarray:
    """Operators on duty just after each of ``times`` (every change at or before the time applied)."""
    shift_n: Dict[int, int] = {}
    at, level, levels = [], 0, []
    for c in changes:
        if c.kind in ("add", "start"):
            level += c.n
            if c.shift is not None:
                shift_n[c.shift] = c.n
        elif c.kind == "remove":
            level -= c.n
        else:
            level -= shift_n.pop(c.shift, 0) if c.shift is not None else 0
        at.append(c.t_s)
        levels.append(level)
    if not at:
        return np.zeros(len(times))
    idx = np.searchsorted(np.asarray(at), times, side="right") - 1
    return np.where(idx >= 0, np.asarray(levels)[np.maximum(idx, 0)], 0)


def check_reservation(cfg: Config) -> None:
    """Reject a reservation under which some kind of blended work could never be taken.

    Raises
    ------
    ConfigError
        On ``routing.reserve_idle`` (or ``routing.reserve_idle_half_hourly``), naming the kind of work,
        its groups and their largest headcount on duty.
    """
    r, e = cfg.routing, cfg.experiment
    plan = list(r.reserve_idle_half_hourly)
    if not (r.reserve_idle or plan) or cfg.staffing.policy != "plan":
        return
    kinds = [k for k, used in (("online", cfg.arrivals.online.per_day > 0),
                               ("outbound", bool(cfg.units) and cfg.feedback.mode == "operators")) if used]
    plans = group_plans(cfg)
    names = list(plans)
    serve_calls = set(names) if not r.groups else {g for cat in cfg.categories for g in r.skills.get(cat, names)}
    changes = {g: staffing_changes(p, cfg.scale, WEEK_S, e.start_weekday) for g, p in plans.items()}
    # the moments at which a headcount or the reservation changes; both are constant in between
    marks = {0.0} | {c.t_s for ch in changes.values() for c in ch if c.t_s < WEEK_S}
    if plan:
        marks |= {k * HALF_HOUR_S for k in range(int(WEEK_S / HALF_HOUR_S))}
    times = np.array(sorted(marks))
    if plan:
        offset = e.start_weekday * 48 if len(plan) == 336 else 0
        reserve = np.array([plan[(offset + int(t // HALF_HOUR_S)) % len(plan)] for t in times], dtype=float)
    else:
        reserve = np.full(len(times), float(r.reserve_idle))
    on_duty = {g: _levels(ch, times) for g, ch in changes.items()}
    for kind in kinds:
        groups = list(r.skills.get(kind, names)) if r.groups else names
        takes = np.zeros(len(times), dtype=bool)
        for g in groups:
            takes |= on_duty[g] > (reserve if g in serve_calls else 0.0)
        if takes.any() or not any(on_duty[g].any() for g in groups):
            continue  # taken at some moment; or nobody on duty at all, which the coverage check names
        peak = max(int(on_duty[g].max()) for g in groups)
        who = (f"group{'s' if len(groups) > 1 else ''} {', '.join(groups)}" if r.groups else "the front line")
        aging = getattr(r.escalate_after_s, kind)
        never = (f"{BLENDED_WORK[kind]} would never be taken before it ages into another class "
                 f"(routing.escalate_after_s.{kind})" if aging is not None else
                 f"{BLENDED_WORK[kind]} would never be taken")
        if plan:
            raise ConfigError("routing.reserve_idle_half_hourly", f"<{len(plan)} values>",
                              f"in every half-hour of the week at or above the operators on duty in {who} (at most "
                              f"{peak} at once): {never}; keep some values below the headcount")
        raise ConfigError("routing.reserve_idle", r.reserve_idle,
                          f"at or above the operators on duty in {who} (at most {peak} at once, after scale "
                          f"{cfg.scale:g} and shrinkage {cfg.staffing.shrinkage:g}): blended work is taken only "
                          f"while that many other operators stay idle, so {never}; give a value below {peak}")
