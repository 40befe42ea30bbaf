"""The catalogue of KPIs: one record per KPI, which everything that needs to know about a KPI reads.

A KPI is computed in :mod:`sim.analysis` (front line and staffing in :mod:`sim.analysis.kpis`, routing in
:mod:`sim.analysis.kpis_routing`, back office in :mod:`sim.analysis.kpis_backoffice`) and defined in full
in ``docs/kpis.md``.  Its record here, a :class:`Kpi` in :data:`KPIS`, is what the rest of the package
needs to *know* about it without computing it: the name a configuration may refer to
(``experiment.precision_kpi``, ``kpi.targets``), its one-line definition (``summary.json``), how a
report shows it (a human-readable name, the unit, the table it belongs to, whether higher or lower is
better), its **domain** - the values it can take (counts, times and levels are >= 0, shares lie in
[0, 1]), to which every interval of the KPI is clipped (:func:`sim.analysis.kpis.clip_to_domain`) -,
how it counts members whose outcome the run has not seen (:class:`Censoring`), whether it is pooled
over the replications or reported only as a breakdown, and when a scenario cannot make it vary
(:func:`why_undefined`).  The catalogue functions, ``summary.json``, the tables, the terminal and the
pages all read these records.

**Adding a KPI**: one record in :data:`KPIS` (in the order the KPI is listed), its computation in the
analysis layer and its full definition in ``docs/kpis.md`` (a test checks that the two name the same
KPIs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Dict, Optional

from sim.config.schema import Config


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


#: Groups of the report's KPI tables, in display order.
KPI_GROUPS: tuple[str, ...] = ("front line", "callbacks", "staffing", "online", "work orders", "return visits")
_F, _C, _S, _O, _W, _R = KPI_GROUPS
#: The parts of the analysis that compute KPIs (:attr:`Kpi.part`).
FRONT, ROUTING, BACK = "front line", "routing", "back office"
#: What a scenario must have for a KPI to vary (:attr:`Kpi.needs`), and what :func:`why_undefined` says otherwise.
NEEDS: Dict[str, tuple[Callable[[Config], bool], str]] = {
    "calls": (lambda c: c.arrivals.phone.per_day > 0,
              "a call KPI, but this scenario has no calls (arrivals.phone.per_day=0)"),
    "online": (lambda c: c.arrivals.online.per_day > 0,
               "an online KPI, but this scenario has no online demand (arrivals.online.per_day=0)"),
    "callbacks": (lambda c: bool(c.routing.callback.enabled and c.arrivals.phone.per_day > 0),
                  "a callback KPI, but callbacks are off (routing.callback.enabled=false) or there are no calls"),
    "units": (lambda c: bool(c.units), "a work-order KPI, but this scenario has no units (no work orders)"),
}
Rule = Callable[[Config], Optional[str]]


@dataclass(frozen=True)
class Kpi:
    """Everything the package knows about one KPI besides its computation.

    Attributes
    ----------
    name : str
        The KPI's name (``summary.json``, ``kpis.csv``, ``kpi.targets``); a breakdown adds ``.<group>``.
    label : str
        Human-readable name (``"answer rate"``).
    unit : str
        Unit of the values as shown: ``"%"`` for a share (shown as a percentage), else the unit of
        the KPI's name (``"s"``, ``"h"``: a duration, shown in the unit of its size), what is counted
        (``"calls"``, ``"operators"``), ``"operator-hours"`` (an amount of work, not a duration) or
        ``"cost units"`` (a cost, shown with ``staffing.currency``).
    domain : Domain
        The values it can take.
    better : str
        ``"higher"`` or ``"lower"`` when a target can apply (a higher answer rate is better, a
        lower abandonment is better); ``""`` for a count or a level, which has no better direction.
    group : str
        The table of the report that lists it (one of :data:`KPI_GROUPS`).
    definition : str
        One line (``summary.json`` -> ``kpi_definitions``); the full one is in ``docs/kpis.md``.
    part : str
        The part of the analysis that computes it: :data:`FRONT`, :data:`ROUTING` or :data:`BACK`.
    needs : str
        What the scenario must have for it to vary (a key of :data:`NEEDS`; ``""``: nothing).
    zero_when : callable or None
        ``zero_when(cfg)``: why it is always 0 in scenario ``cfg`` beyond :attr:`needs`, or None.
    censoring : Censoring or None
        How it counts members whose outcome the run has not seen (breakdowns have their base's).
    pooled : bool
        Computed from all replications together (no value per replication, no confidence interval).
    breakdown_only : bool
        Reported only by unit type or category (``open_orders.street``), never as a headline.
    fixed : bool
        Fixed by the input (the plan's operator-hours and cost): the same in every replication, so a
        report shows it without a confidence interval.
    """

    name: str
    label: str
    unit: str
    domain: Domain
    better: str
    group: str
    definition: str
    part: str = FRONT
    needs: str = ""
    zero_when: Optional[Rule] = None
    censoring: Optional[Censoring] = None
    pooled: bool = False
    breakdown_only: bool = False
    fixed: bool = False


_OPEN = "orders still open when the run stopped (each may yet be rated, or given up unreached)"
_CLOSE = "work orders, by hours from first contact to first close-out"
_CLOSE_KM = Censoring(_CLOSE, "orders not yet closed, censored at their age", "kaplan_meier")
_NO_MISROUTE: Rule = lambda c: ("always 0: no order is misrouted (workorders.misroute_probability=0)"  # noqa: E731
                                if c.workorders.misroute_probability <= 0 else None)


def _bounds(population: str, pending: str, *counters: str) -> Censoring:
    return Censoring(population, pending, "bounds", counters)


#: Every KPI, in the order the package lists them: front line and staffing, callbacks, back office.
KPIS: tuple[Kpi, ...] = (
    Kpi("contacts_offered", "contacts offered", "contacts", COUNT, "", _F,
        "first contacts over both channels (calls_offered + online_offered)"),
    Kpi("calls_offered", "calls offered (first attempts)", "calls", COUNT, "", _F, "first call attempts",
        needs="calls"),
    Kpi("calls_answered", "call attempts answered live", "calls", COUNT, "", _F,
        "call attempts answered live by an operator (completed callbacks: callbacks_completed)", needs="calls"),
    Kpi("calls_abandoned", "call attempts abandoned", "calls", COUNT, "", _F, "call attempts abandoned while waiting",
        needs="calls"),
    Kpi("retrials", "redials", "calls", COUNT, "", _F, "redial attempts after abandoning", needs="calls",
        zero_when=lambda c: "always 0: callers never redial (calls.retrial.probability=0)"
        if c.calls.retrial.probability <= 0 else None),
    Kpi("service_level", "service level", "%", SHARE, "higher", _F,
        "call attempts answered within kpi.answer_threshold_s / call attempts", needs="calls"),
    Kpi("answer_rate", "answer rate", "%", SHARE, "higher", _F,
        "(call attempts answered live + callbacks completed) / call attempts", needs="calls"),
    Kpi("asa_s", "average speed of answer", "s", TIME, "lower", _F, "mean wait of answered call attempts, seconds",
        needs="calls"),
    Kpi("mean_wait_s", "mean wait (answered and abandoned)", "s", TIME, "lower", _F,
        "mean wait of answered and abandoned call attempts, seconds", needs="calls"),
    Kpi("abandon_rate", "abandonment", "%", SHARE, "lower", _F, "call attempts abandoned / call attempts",
        needs="calls"),
    Kpi("occupancy", "operator occupancy", "%", SHARE, "", _F, "operator time busy / operator time on duty"),
    Kpi("online_offered", "online submissions", "items", COUNT, "", _O, "online submissions", needs="online"),
    Kpi("online_on_time_rate", "online accepted on time", "%", SHARE, "higher", _O,
        "online submissions accepted within online.deadline_h / online submissions", needs="online"),
    Kpi("online_mean_wait_s", "online mean wait for acceptance", "s", TIME, "lower", _O,
        "mean time from submission to acceptance of accepted online items, seconds", needs="online"),
    Kpi("mean_operators", "operators on duty (time average)", "operators", LEVEL, "", _F,
        "time-average number of operators on duty"),
    Kpi("mean_calls_waiting", "calls waiting (time average)", "calls", LEVEL, "lower", _F,
        "time-average number of calls waiting", needs="calls"),
    Kpi("transferred_emergency", "transferred to emergency services", "contacts", COUNT, "", _F,
        "contacts transferred to emergency services (110/119/120/122)",
        zero_when=lambda c: None if any(k.urgency.get("emergency", 0) > 0 and k.emergency_transfer_share > 0
                                        for k in c.categories.values()) else
        "always 0: no category transfers emergencies (emergency urgency and emergency_transfer_share)"),
    Kpi("operator_hours", "operator-hours rostered (paid, before shrinkage)", "operator-hours", RATIO, "", _S,
        "operator-hours rostered in the window (the plan's, before shrinkage: the hours paid)", fixed=True),
    Kpi("staffing_cost", "staffing cost (operator-hours x cost per hour)", "cost units", RATIO, "", _S,
        "operator-hours rostered x their cost per hour (a shift's cost_per_h, else staffing.cost_per_h)", fixed=True),
    Kpi("intervals_meeting_target", "intervals meeting every staffing target", "%", SHARE, "higher", _S,
        "share of the window's intervals with demand whose metrics, pooled over the replications, meet "
        "staffing.target (every target set: service, online on time, occupancy; each group its own)", pooled=True),
    # routing (present when the scenario uses the policy)
    Kpi("callbacks_offered", "call attempts offered a callback", "calls", COUNT, "", _C,
        "call attempts offered a callback (estimated wait above routing.callback.offer_when_wait_s)",
        part=ROUTING, needs="callbacks"),
    Kpi("callbacks_accepted", "callbacks accepted", "callbacks", COUNT, "", _C,
        "callback offers accepted (the caller hung up to be called back)", part=ROUTING, needs="callbacks"),
    Kpi("callbacks_completed", "callbacks that reached the resident", "callbacks", COUNT, "", _C,
        "callbacks that reached the resident (answered contacts: they count in answer_rate)", part=ROUTING,
        needs="callbacks"),
    Kpi("callbacks_not_reached", "callbacks that never reached the resident", "callbacks", COUNT, "lower", _C,
        "callbacks given up after routing.callback.max_attempts attempts that did not reach the resident",
        part=ROUTING, needs="callbacks"),
    Kpi("callbacks_missed_window", "callbacks later than the promised window", "callbacks", COUNT, "", _C,
        "callbacks whose first attempt came later than routing.callback.window_s after acceptance (or not by the "
        "end of the run)", part=ROUTING, needs="callbacks"),
    Kpi("callback_delay_s", "callback delay (acceptance to reaching the resident)", "s", TIME, "lower", _C,
        "mean time from accepting a callback to the attempt that reached the resident, seconds", part=ROUTING,
        needs="callbacks"),
    # the work-order pipeline, in the order of an order's path
    Kpi("work_orders", "work orders created", "orders", COUNT, "", _W,
        "work orders created from contacts offered in the window", part=BACK, needs="units"),
    Kpi("dispatch_on_time_rate", "dispatched on time", "%", SHARE, "higher", _W,
        "orders dispatched within the dispatch limit of their class / orders", part=BACK, needs="units"),
    Kpi("response_rate", "response rate", "%", SHARE, "higher", _W,
        "orders with a first contact within the response limit / orders whose response was due", part=BACK,
        needs="units", censoring=_bounds("orders whose response was made or is overdue",
                                         "first-round orders not yet responded to and within the response limit",
                                         "response_on_time", "response_due", "pending_response")),
    Kpi("closeout_on_time_rate", "closed out on time", "%", SHARE, "higher", _W,
        "close-outs within the limit / close-outs and open orders past their deadline", part=BACK, needs="units",
        censoring=_bounds("close-outs and open rounds past their deadline",
                          "open rounds (dispatching, queued or in progress) within their deadline",
                          "closeouts_on_time", "closeouts_due", "pending_closeout")),
    Kpi("bounce_back_rate", "orders bounced back", "%", SHARE, "lower", _W,
        "work orders bounced back at least once (sent to a wrong unit and returned) / work orders", part=BACK,
        needs="units", zero_when=_NO_MISROUTE),
    Kpi("bounces_per_order", "bounces per order", "bounces", RATIO, "lower", _W,
        "bounces / work orders (an order can bounce more than once)", part=BACK, needs="units",
        zero_when=_NO_MISROUTE),
    Kpi("resolution_rate", "resolution rate", "%", SHARE, "higher", _R,
        "final return-visit ratings 'solved' / final ratings", part=BACK, needs="units",
        censoring=_bounds("final ratings", _OPEN, "rated_resolved", "rated", "pending_rating")),
    Kpi("satisfaction_rate", "satisfaction rate", "%", SHARE, "higher", _R,
        "final return-visit ratings 'satisfied' / final ratings", part=BACK, needs="units",
        censoring=_bounds("final ratings", _OPEN, "rated_satisfied", "rated", "pending_rating")),
    Kpi("reopen_rate", "rounds reopened", "%", SHARE, "lower", _R,
        "rounds reopened after an unsatisfied rating / return visits that reached the resident", part=BACK,
        needs="units", censoring=_bounds("return visits that reached the resident", _OPEN, "reopened",
                                         "visits_reached", "pending_rating"),
        zero_when=lambda c: "always 0: no case is reopened (feedback.reopen_probability=0 or feedback.max_rounds=1)"
        if c.feedback.reopen_probability <= 0 or c.feedback.max_rounds <= 1 else None),
    Kpi("return_visit_reach_rate", "return visits reaching the resident", "%", SHARE, "higher", _R,
        "return visits that reached the resident / return visits concluded", part=BACK, needs="units",
        censoring=_bounds("return visits concluded", _OPEN, "visits_reached", "visits_concluded", "pending_rating")),
    Kpi("time_to_close_mean_h", "time to close, mean", "h", TIME, "lower", _W,
        "mean hours from first contact to first close-out", part=BACK, needs="units",
        censoring=Censoring(_CLOSE, "orders not yet closed, counted at their age", "lower_bound")),
    Kpi("time_to_close_median_h", "time to close, median", "h", TIME, "lower", _W,
        "median hours from first contact to first close-out", part=BACK, needs="units", censoring=_CLOSE_KM),
    Kpi("time_to_close_p90_h", "time to close, 90th percentile", "h", TIME, "lower", _W,
        "90th percentile of hours from first contact to first close-out", part=BACK, needs="units",
        censoring=_CLOSE_KM),
    Kpi("feedback_occupancy", "feedback team occupancy", "%", SHARE, "", _R,
        "feedback-team time busy / time on duty, from the end of the warm-up to the end of the drain", part=BACK,
        needs="units", zero_when=lambda c: "measured only with feedback.mode=team" if c.feedback.mode != "team"
        else None),
    Kpi("open_orders", "open work orders (end of day)", "orders", LEVEL, "lower", _W,
        "work orders open (queued or in progress) at the end of a day, averaged over the measurement window's "
        "days, per unit type", part=BACK, needs="units", breakdown_only=True),
    Kpi("orders_received", "orders received", "orders", COUNT, "", _W,
        "work orders that reached their unit (first round), per unit type", part=BACK, needs="units",
        breakdown_only=True),
    Kpi("closed", "orders closed", "orders", COUNT, "", _W, "work orders closed (first close-out), per category",
        part=BACK, needs="units", breakdown_only=True),
)
_BY_NAME: Dict[str, Kpi] = {k.name: k for k in KPIS}
assert len(_BY_NAME) == len(KPIS), "a KPI is listed twice"
assert all(k.group in KPI_GROUPS and k.better in ("", "higher", "lower") and k.needs in ("", *NEEDS) for k in KPIS)


def kpi(name: str) -> Kpi:
    """The record of KPI ``name``; a breakdown (``response_rate.street``) has its base KPI's.

    Raises
    ------
    KeyError
        If the name's base is not in :data:`KPIS` (every KPI must have a record).
    """
    base = name.split(".", 1)[0]
    try:
        return _BY_NAME[base]
    except KeyError:
        raise KeyError(f"KPI {name!r} has no record in the catalogue (sim/config/kpi_catalog.py)") from None


def kpi_display(name: str) -> Kpi:
    """How KPI ``name`` is shown (its ``label``, ``unit``, ``group``, ``better``); a breakdown like its base."""
    return kpi(name)


def kpi_domain(name: str) -> Domain:
    """The domain of KPI ``name``; a breakdown (``closeout_on_time_rate.emergency``) has its base KPI's."""
    return kpi(name).domain


def is_pooled(name: str) -> bool:
    """Whether KPI ``name`` is computed from all replications together (no value per replication, no interval)."""
    base = name.split(".", 1)[0]
    return base in _BY_NAME and _BY_NAME[base].pooled


def censoring(name: str) -> Censoring | None:
    """How KPI ``name`` (or its base, for a breakdown) counts open members; None if it is not censored."""
    found = _BY_NAME.get(name.split(".", 1)[0])
    return found.censoring if found is not None else None


def censored_kpis(method: Optional[str] = None) -> Dict[str, Censoring]:
    """The censored KPIs and their rules (only those of ``method``, when given), in catalogue order."""
    return {k.name: k.censoring for k in KPIS
            if k.censoring is not None and (method is None or k.censoring.method == method)}


def all_definitions() -> Dict[str, str]:
    """Every KPI's one-line definition, in catalogue order (breakdown-only bases included)."""
    return {k.name: k.definition for k in KPIS}


def headline_kpis() -> tuple[str, ...]:
    """Names of the headline KPIs (those of ``summary.json`` -> ``kpis``), in catalogue order."""
    return tuple(k.name for k in KPIS if not k.breakdown_only)


def front_line_kpis() -> tuple[str, ...]:
    """Names of the KPIs every run computes (front line and staffing), in catalogue order."""
    return tuple(k.name for k in KPIS if k.part == FRONT)


def why_undefined(cfg: Config, name: str) -> str | None:
    """Why headline KPI ``name`` is undefined or always 0 in the scenario ``cfg`` (None if it can vary).

    A relative precision target (half-width / |mean|) on such a KPI can never be met.
    """
    k = _BY_NAME.get(name)
    if k is None:  # a breakdown, or not a KPI
        return None
    if k.pooled:
        return "computed from all replications together: it has no value per replication"
    if k.fixed:
        return ("fixed by the input (the plan's hours): the same in every replication, so its interval has width 0 "
                "after any replications and the target would be met at once; choose a KPI the replications measure")
    if k.needs and not NEEDS[k.needs][0](cfg):
        return NEEDS[k.needs][1]
    return k.zero_when(cfg) if k.zero_when is not None else None
