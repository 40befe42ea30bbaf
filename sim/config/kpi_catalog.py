"""The catalogue of KPIs: every KPI's name, one-line definition, domain and display, in one place.

A KPI is computed in :mod:`sim.analysis` (front line in :mod:`sim.analysis.kpis`,
back office in :mod:`sim.analysis.kpis_backoffice`) and defined in full in
``docs/kpis.md``; this module is what the rest of the package needs to *know*
about KPIs without computing them: the names a configuration may refer to
(``experiment.precision_kpi``, ``kpi.targets``), the one-line definitions written
into ``summary.json``, how a report shows each KPI (a human-readable name, the
unit, the table it belongs to, and whether higher or lower is better:
:class:`Display`), and each KPI's **domain** - the values it can take (counts,
times and levels are >= 0, shares lie in [0, 1]).  Every interval of KPI values
(``summary.json``, the printed table, ``units.csv``, the comparison of a sweep,
the figures' bands) is clipped to the domain by
:func:`sim.analysis.kpis.clip_to_domain`.  A new KPI is added here (definition,
domain and display) and computed in the analysis layer; the registry fails
loudly on a KPI without a domain or a display entry.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Dict

from sim.config.schema import Config

#: KPI names in display order, with a one-line definition each.
KPI_DEFINITIONS: Dict[str, str] = {
    "contacts_offered": "first contacts over both channels (calls_offered + online_offered)",
    "calls_offered": "first call attempts",
    "calls_answered": "call attempts answered live by an operator (completed callbacks: callbacks_completed)",
    "calls_abandoned": "call attempts abandoned while waiting",
    "retrials": "redial attempts after abandoning",
    "service_level": "call attempts answered within kpi.answer_threshold_s / call attempts",
    "answer_rate": "(call attempts answered live + callbacks completed) / call attempts",
    "asa_s": "mean wait of answered call attempts, seconds",
    "mean_wait_s": "mean wait of answered and abandoned call attempts, seconds",
    "abandon_rate": "call attempts abandoned / call attempts",
    "occupancy": "operator time busy / operator time on duty",
    "online_offered": "online submissions",
    "online_on_time_rate": "online submissions accepted within online.deadline_h / online submissions",
    "online_mean_wait_s": "mean time from submission to acceptance of accepted online items, seconds",
    "mean_operators": "time-average number of operators on duty",
    "mean_calls_waiting": "time-average number of calls waiting",
    "transferred_emergency": "contacts transferred to emergency services (110/119/120/122)",
    "operator_hours": "operator-hours rostered in the window (the plan's, before shrinkage: the hours paid)",
    "staffing_cost": "operator-hours rostered x their cost per hour (a shift's cost_per_h, else staffing.cost_per_h)",
    "intervals_meeting_target": "share of the window's intervals with calls whose service level, pooled over the "
                                "replications, meets staffing.target (every target set)",
}


@dataclass(frozen=True)
class Domain:
    """The values a KPI can take.

    Attributes
    ----------
    kind : str
        ``"count"`` (a number of contacts, orders...), ``"share"`` (a rate in [0, 1]),
        ``"time"`` (a duration in the unit its name gives), ``"level"`` (a time-average
        number of operators or callers) or ``"ratio"`` (a non-negative quotient of counts).
    lo, hi : float
        Closed bounds of the domain.
    """

    kind: str
    lo: float
    hi: float


COUNT = Domain("count", 0.0, math.inf)
SHARE = Domain("share", 0.0, 1.0)
TIME = Domain("time", 0.0, math.inf)
LEVEL = Domain("level", 0.0, math.inf)
RATIO = Domain("ratio", 0.0, math.inf)

#: Domain of every front-line KPI (the back office's are in :data:`BACKOFFICE_DOMAINS`).
KPI_DOMAINS: Dict[str, Domain] = {
    "contacts_offered": COUNT, "calls_offered": COUNT, "calls_answered": COUNT, "calls_abandoned": COUNT,
    "retrials": COUNT, "service_level": SHARE, "answer_rate": SHARE, "asa_s": TIME, "mean_wait_s": TIME,
    "abandon_rate": SHARE, "occupancy": SHARE, "online_offered": COUNT, "online_on_time_rate": SHARE,
    "online_mean_wait_s": TIME, "mean_operators": LEVEL, "mean_calls_waiting": LEVEL,
    "transferred_emergency": COUNT, "operator_hours": TIME, "staffing_cost": RATIO, "intervals_meeting_target": SHARE,
}

#: KPIs computed from all replications together (no per-replication value, no confidence interval).
POOLED_KPIS = frozenset({"intervals_meeting_target"})


#: The work-order pipeline's KPIs, with a one-line definition each.
BACKOFFICE_KPIS: Dict[str, str] = {
    "work_orders": "work orders created from contacts offered in the window",
    "response_rate": "orders with a first contact within the response limit / orders whose response was due",
    "resolution_rate": "final return-visit ratings 'solved' / final ratings",
    "satisfaction_rate": "final return-visit ratings 'satisfied' / final ratings",
    "dispatch_on_time_rate": "orders dispatched within the dispatch limit of their class / orders",
    "closeout_on_time_rate": "close-outs within the limit / close-outs and open orders past their deadline",
    "bounce_back_rate": "work orders bounced back at least once (sent to a wrong unit and returned) / work orders",
    "bounces_per_order": "bounces / work orders (an order can bounce more than once)",
    "reopen_rate": "rounds reopened after an unsatisfied rating / return visits that reached the resident",
    "return_visit_reach_rate": "return visits that reached the resident / return visits concluded",
    "time_to_close_mean_h": "mean hours from first contact to first close-out",
    "time_to_close_median_h": "median hours from first contact to first close-out",
    "time_to_close_p90_h": "90th percentile of hours from first contact to first close-out",
    "feedback_occupancy": "feedback-team time busy / time on duty, from the end of the warm-up to the end of "
                          "the drain",
    "open_orders": "work orders open (queued or in progress) at the end of a day, averaged over the "
                   "measurement window's days, per unit type",
}

#: The routing policies' KPIs (present when the scenario uses the policy), with a one-line definition each.
ROUTING_KPIS: Dict[str, str] = {
    "callbacks_offered": "call attempts offered a callback (estimated wait above routing.callback.offer_when_wait_s)",
    "callbacks_accepted": "callback offers accepted (the caller hung up to be called back)",
    "callbacks_completed": "callbacks that reached the resident (answered contacts: they count in answer_rate)",
    "callbacks_not_reached": "callbacks given up after routing.callback.max_attempts attempts that did not reach "
                             "the resident",
    "callbacks_missed_window": "callbacks whose first attempt came later than routing.callback.window_s after "
                               "acceptance (or not by the end of the run)",
    "callback_delay_s": "mean time from accepting a callback to the attempt that reached the resident, seconds",
}

#: Domain of every routing KPI (per-group KPIs, ``service_level.<group>`` ..., have their base KPI's).
ROUTING_DOMAINS: Dict[str, Domain] = {
    "callbacks_offered": COUNT, "callbacks_accepted": COUNT, "callbacks_completed": COUNT,
    "callbacks_not_reached": COUNT, "callbacks_missed_window": COUNT, "callback_delay_s": TIME,
}

@dataclass(frozen=True)
class Censoring:
    """How a KPI counts the members of its population whose outcome the run has not seen (*censored*).

    A work order still open when the run stops (a short ``experiment.drain_h``) has no close-out, no
    response or no rating yet; a KPI over the orders that have one would describe only the quick ones.

    Attributes
    ----------
    population : str
        Whose outcome the KPI is a share or a time of.
    pending : str
        Which members are still open at the end of the run.
    method : str
        ``"bounds"`` - a share: the value over the outcomes seen, and the range it could take if every
        open member ended one way or the other (``num / (den + open)`` to ``(num + open) / (den + open)``);
        ``"kaplan_meier"`` - a quantile of a time: the product-limit estimate with the open members
        censored at their age when the run stopped (not estimable when the curve does not reach the
        quantile), between the quantile with every open member closing as the run stopped and with none
        ever closing; ``"lower_bound"`` - a mean time: the open members count at their age so far, so
        the value is a lower bound (no upper one) while any member is open.
    counters : tuple of str
        For ``"bounds"``: the back-office counters (per unit or per urgency class,
        :mod:`sim.records.backoffice`) of the numerator, the denominator and the open members.
    """

    population: str
    pending: str
    method: str
    counters: tuple[str, ...] = ()


_OPEN = "orders still open when the run stopped (each may yet be rated, or given up unreached)"
#: The KPIs defined over work orders whose outcome may come after the run stops (breakdowns have their base's).
CENSORED: Dict[str, Censoring] = {
    "response_rate": Censoring("orders whose response was made or is overdue",
                               "first-round orders not yet responded to and within the response limit",
                               "bounds", ("response_on_time", "response_due", "pending_response")),
    "closeout_on_time_rate": Censoring("close-outs and open rounds past their deadline",
                                       "open rounds (dispatching, queued or in progress) within their deadline",
                                       "bounds", ("closeouts_on_time", "closeouts_due", "pending_closeout")),
    "resolution_rate": Censoring("final ratings", _OPEN, "bounds", ("rated_resolved", "rated", "pending_rating")),
    "satisfaction_rate": Censoring("final ratings", _OPEN, "bounds", ("rated_satisfied", "rated", "pending_rating")),
    "reopen_rate": Censoring("return visits that reached the resident", _OPEN, "bounds",
                             ("reopened", "visits_reached", "pending_rating")),
    "return_visit_reach_rate": Censoring("return visits concluded", _OPEN, "bounds",
                                         ("visits_reached", "visits_concluded", "pending_rating")),
    "time_to_close_median_h": Censoring("work orders, by hours from first contact to first close-out",
                                        "orders not yet closed, censored at their age", "kaplan_meier"),
    "time_to_close_p90_h": Censoring("work orders, by hours from first contact to first close-out",
                                     "orders not yet closed, censored at their age", "kaplan_meier"),
    "time_to_close_mean_h": Censoring("work orders, by hours from first contact to first close-out",
                                      "orders not yet closed, counted at their age", "lower_bound"),
}


def censoring(name: str) -> Censoring | None:
    """How KPI ``name`` (or its base, for a breakdown) counts open members; None if it is not censored."""
    return CENSORED.get(name.split(".", 1)[0])


#: KPIs reported only by unit type or category (``open_orders.street``), never as a headline.
BREAKDOWN_ONLY = frozenset({"open_orders", "orders_received", "closed"})

#: Domain of every back-office KPI, breakdown-only bases included (see :func:`kpi_domain`).
BACKOFFICE_DOMAINS: Dict[str, Domain] = {
    "work_orders": COUNT, "response_rate": SHARE, "resolution_rate": SHARE, "satisfaction_rate": SHARE,
    "dispatch_on_time_rate": SHARE, "closeout_on_time_rate": SHARE, "bounce_back_rate": SHARE,
    "bounces_per_order": RATIO, "reopen_rate": SHARE, "return_visit_reach_rate": SHARE,
    "time_to_close_mean_h": TIME, "time_to_close_median_h": TIME, "time_to_close_p90_h": TIME,
    "feedback_occupancy": SHARE, "open_orders": LEVEL, "orders_received": COUNT, "closed": COUNT,
}


@dataclass(frozen=True)
class Display:
    """How a KPI is shown to a reader (the report's pages and tables).

    Attributes
    ----------
    label : str
        Human-readable name (``"answer rate"``).
    unit : str
        Unit of the values as shown: ``"%"`` for a share (shown as a percentage), else the unit of
        the KPI's name (``"s"``, ``"h"``) or what is counted (``"calls"``, ``"operators"``).
    group : str
        The table of the report that lists it (one of :data:`KPI_GROUPS`).
    better : str
        ``"higher"`` or ``"lower"`` when a target can apply (a higher answer rate is better, a
        lower abandonment is better); ``""`` for a count or a level, which has no better direction.
    """

    label: str
    unit: str
    group: str
    better: str


#: Groups of the report's KPI tables, in display order.
KPI_GROUPS: tuple[str, ...] = ("front line", "callbacks", "staffing", "online", "work orders", "return visits")

_F, _C, _S, _O, _W, _R = KPI_GROUPS

#: How every KPI is shown (breakdown-only bases included); see :class:`Display`.
KPI_DISPLAY: Dict[str, Display] = {
    "contacts_offered": Display("contacts offered", "contacts", _F, ""),
    "calls_offered": Display("calls offered (first attempts)", "calls", _F, ""),
    "calls_answered": Display("call attempts answered live", "calls", _F, ""),
    "calls_abandoned": Display("call attempts abandoned", "calls", _F, ""),
    "retrials": Display("redials", "calls", _F, ""),
    "service_level": Display("service level", "%", _F, "higher"),
    "answer_rate": Display("answer rate", "%", _F, "higher"),
    "asa_s": Display("average speed of answer", "s", _F, "lower"),
    "mean_wait_s": Display("mean wait (answered and abandoned)", "s", _F, "lower"),
    "abandon_rate": Display("abandonment", "%", _F, "lower"),
    "occupancy": Display("operator occupancy", "%", _F, ""),
    "mean_operators": Display("operators on duty (time average)", "operators", _F, ""),
    "mean_calls_waiting": Display("calls waiting (time average)", "calls", _F, "lower"),
    "transferred_emergency": Display("transferred to emergency services", "contacts", _F, ""),
    "callbacks_offered": Display("call attempts offered a callback", "calls", _C, ""),
    "callbacks_accepted": Display("callbacks accepted", "callbacks", _C, ""),
    "callbacks_completed": Display("callbacks that reached the resident", "callbacks", _C, ""),
    "callbacks_not_reached": Display("callbacks that never reached the resident", "callbacks", _C, "lower"),
    "callbacks_missed_window": Display("callbacks later than the promised window", "callbacks", _C, ""),
    "callback_delay_s": Display("callback delay (acceptance to reaching the resident)", "s", _C, "lower"),
    "operator_hours": Display("operator-hours rostered (paid, before shrinkage)", "h", _S, ""),
    "staffing_cost": Display("staffing cost (operator-hours x cost per hour)", "cost units", _S, ""),
    "intervals_meeting_target": Display("intervals meeting the service-level target", "%", _S, "higher"),
    "online_offered": Display("online submissions", "items", _O, ""),
    "online_on_time_rate": Display("online accepted on time", "%", _O, "higher"),
    "online_mean_wait_s": Display("online mean wait for acceptance", "s", _O, "lower"),
    "work_orders": Display("work orders created", "orders", _W, ""),
    "response_rate": Display("response rate", "%", _W, "higher"),
    "dispatch_on_time_rate": Display("dispatched on time", "%", _W, "higher"),
    "closeout_on_time_rate": Display("closed out on time", "%", _W, "higher"),
    "bounce_back_rate": Display("orders bounced back", "%", _W, "lower"),
    "bounces_per_order": Display("bounces per order", "bounces", _W, "lower"),
    "time_to_close_mean_h": Display("time to close, mean", "h", _W, "lower"),
    "time_to_close_median_h": Display("time to close, median", "h", _W, "lower"),
    "time_to_close_p90_h": Display("time to close, 90th percentile", "h", _W, "lower"),
    "open_orders": Display("open work orders (end of day)", "orders", _W, "lower"),
    "orders_received": Display("orders received", "orders", _W, ""),
    "closed": Display("orders closed", "orders", _W, ""),
    "resolution_rate": Display("resolution rate", "%", _R, "higher"),
    "satisfaction_rate": Display("satisfaction rate", "%", _R, "higher"),
    "reopen_rate": Display("rounds reopened", "%", _R, "lower"),
    "return_visit_reach_rate": Display("return visits reaching the resident", "%", _R, "higher"),
    "feedback_occupancy": Display("feedback team occupancy", "%", _R, ""),
}


def kpi_display(name: str) -> Display:
    """How KPI ``name`` is shown; a breakdown (``response_rate.street``) is shown like its base KPI.

    Raises
    ------
    KeyError
        If the name's base has no entry in :data:`KPI_DISPLAY` (every KPI must have one).
    """
    base = name.split(".", 1)[0]
    try:
        return KPI_DISPLAY[base]
    except KeyError:
        raise KeyError(f"KPI {name!r} has no display entry in the registry (sim/config/kpi_catalog.py)") from None


def all_definitions() -> Dict[str, str]:
    """Every KPI's one-line definition, front line first (breakdown-only bases included)."""
    return {**KPI_DEFINITIONS, **ROUTING_KPIS, **BACKOFFICE_KPIS}


def all_domains() -> Dict[str, Domain]:
    """Every KPI's domain, front line first (breakdown-only bases included)."""
    return {**KPI_DOMAINS, **ROUTING_DOMAINS, **BACKOFFICE_DOMAINS}


def headline_kpis() -> tuple[str, ...]:
    """Names of the headline KPIs (those of ``summary.json`` -> ``kpis``), front line first."""
    return tuple(k for k in all_definitions() if k not in BREAKDOWN_ONLY)


#: KPIs measured on calls only, on online submissions only.
CALL_KPIS = frozenset({"calls_offered", "calls_answered", "calls_abandoned", "retrials", "service_level",
                       "answer_rate", "asa_s", "mean_wait_s", "abandon_rate", "mean_calls_waiting"})
ONLINE_KPIS = frozenset({"online_offered", "online_on_time_rate", "online_mean_wait_s"})


def why_undefined(cfg: Config, name: str) -> str | None:
    """Why headline KPI ``name`` is undefined or always 0 in the scenario ``cfg`` (None if it can vary).

    A relative precision target (half-width / |mean|) on such a KPI can never be met.
    """
    a, fb, wo = cfg.arrivals, cfg.feedback, cfg.workorders
    if name in POOLED_KPIS:
        return "computed from all replications together: it has no value per replication"
    if name in CALL_KPIS and a.phone.per_day <= 0:
        return "a call KPI, but this scenario has no calls (arrivals.phone.per_day=0)"
    if name == "retrials" and cfg.calls.retrial.probability <= 0:
        return "always 0: callers never redial (calls.retrial.probability=0)"
    if name in ONLINE_KPIS and a.online.per_day <= 0:
        return "an online KPI, but this scenario has no online demand (arrivals.online.per_day=0)"
    if name in ROUTING_KPIS and not (cfg.routing.callback.enabled and a.phone.per_day > 0):
        return "a callback KPI, but callbacks are off (routing.callback.enabled=false) or there are no calls"
    if name in BACKOFFICE_KPIS and not cfg.units:
        return "a work-order KPI, but this scenario has no units (no work orders)"
    if name == "feedback_occupancy" and fb.mode != "team":
        return "measured only with feedback.mode=team"
    if name in ("bounce_back_rate", "bounces_per_order") and wo.misroute_probability <= 0:
        return "always 0: no order is misrouted (workorders.misroute_probability=0)"
    if name == "reopen_rate" and (fb.reopen_probability <= 0 or fb.max_rounds <= 1):
        return "always 0: no case is reopened (feedback.reopen_probability=0 or feedback.max_rounds=1)"
    if name == "transferred_emergency" and not any(
            c.urgency.get("emergency", 0) > 0 and c.emergency_transfer_share > 0 for c in cfg.categories.values()):
        return "always 0: no category transfers emergencies (emergency urgency and emergency_transfer_share)"
    return None


def kpi_domain(name: str) -> Domain:
    """The domain of KPI ``name``; a breakdown (``closeout_on_time_rate.emergency``) has its base KPI's.

    Raises
    ------
    KeyError
        If the name's base is not a KPI of the registry (every KPI must have a domain).
    """
    base = name.split(".", 1)[0]
    try:
        return all_domains()[base]
    except KeyError:
        raise KeyError(f"KPI {name!r} has no domain in the registry ("
                       "sim/config/kpi_catalog.py)") from None
