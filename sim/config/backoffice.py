"""The back office's configuration: working calendars, handling units, work orders and return visits.

Sections of :class:`sim.config.schema.Config` (see there for how a setting states its rules).  A scenario
without units has no back office: then these sections, and the categories' back-office keys, are used by
nothing and must keep their defaults (their ``UsedOnlyWhen`` conditions).
"""

from __future__ import annotations

from typing import Annotated, Any, Dict, List, Literal

from pydantic import StrictBool

from sim.config.fields import (
    AT,
    Count,
    DistConfig,
    Distinct,
    Model,
    Number,
    PositiveHours,
    Probability,
    Range,
    TimeOfDay,
    UsedOnlyWhen,
    Weekday,
    Whole,
    dist,
    doc,
    rule,
)
from sim.config.limits import LIMITS
from sim.config.staffing_policy import Staffing, StaffingConfig
from sim.core.errors import ConfigError

#: Urgency classes of the Beijing standard (DB11/T 2021-2022), most urgent first.
URGENCY_CLASSES: tuple[str, ...] = ("emergency", "utilities", "general", "complex")


def makes_orders(cat: Any) -> bool:
    """Whether a category can make work orders: some contacts not answered at once, or emergencies not transferred."""
    return bool(cat.direct_share < 1.0 or (cat.urgency.get("emergency", 0.0) > 0 and cat.emergency_transfer_share < 1))


def has_units(cfg: Any, owner: Any = None) -> bool:
    """Whether the scenario has units (work orders)."""
    return bool(cfg.units)


def unit_names(tname: str, ut: Any) -> List[str]:
    """Every unit's name of unit type ``tname`` (``units.<tname>``), in the model's order: those of ``names``,
    then ``<tname>_<n>`` (``street_004``: the fourth unit) for the units without one, as ``units.csv`` names them."""
    return [*ut.names[:ut.count], *(f"{tname}_{i + 1:03d}" for i in range(len(ut.names), ut.count))]


def _check_classes(key: str, table: Dict[str, Any]) -> None:
    for name in table:
        if name not in URGENCY_CLASSES:
            raise ConfigError(f"{key}.{name}", table[name], f"unknown urgency class; use {', '.join(URGENCY_CLASSES)}")
    for name in URGENCY_CLASSES:
        if name not in table:
            raise ConfigError(key, dict(table), f"must give a value for every urgency class (missing {name})")


class CalendarConfig(Model):
    """Working time of a unit or team: the same hours on the given weekdays."""

    days: Annotated[List[Weekday], Distinct()] = doc(lambda: list(range(7)), "working weekdays (0 = Monday)")
    start_h: TimeOfDay = doc(0.0, "opening time of day, hours")
    end_h: Annotated[Number, Range(0.0, 24.0, lo_open=True)] = doc(24.0, "closing time of day, hours")

    @rule
    def _order(self) -> None:
        if self.end_h <= self.start_h:
            raise ConfigError(f"{AT}.end_h", self.end_h, f"must be later than start_h ({self.start_h})")


def _calendars() -> Dict[str, CalendarConfig]:
    return {"always": CalendarConfig(), "office": CalendarConfig(days=[0, 1, 2, 3, 4], start_h=9.0, end_h=18.0),
            "daytime": CalendarConfig(start_h=8.0, end_h=20.0)}


def _uneven(cfg: Any, ut: Any) -> bool:
    return bool(ut.count > 1 and (ut.zipf > 0 or len(set(ut.weights)) > 1))


_UnitWeight = Annotated[Number, Range(ceiling=1e9, why="a relative weight of the unit")]
_SEVERAL = UsedOnlyWhen(lambda c, o: o.count > 1, "used only when the unit type has more than one unit (count > 1)")


class UnitTypeConfig(Model):
    """A type of handling unit (streets/townships, districts, municipal departments, utilities)."""

    count: Annotated[Whole, Range(1, ceiling=LIMITS["units"], why="units in all, the size limit of a run")] = doc(
        1, "units of this type")
    names: Annotated[List[str], Distinct()] = doc(list, "names of the first units (the others: <type>_<n>)")
    case_workers: Count = doc(1, "case workers per unit (before scale)")
    case_workers_by_unit: Dict[str, Annotated[Count, Range(ceiling=1e6, why="case workers of one unit")]] = doc(
        dict, "exceptions by unit name")
    caseload: Annotated[Whole, Range(1, ceiling=1e6, why="open cases one case worker carries")] = doc(
        10, "open cases one case worker carries at once")
    calendar: str = doc("always", "name of a calendar in calendars")
    weights: Annotated[List[_UnitWeight], _SEVERAL] = doc(list, "relative share of orders per unit; empty = uniform")
    zipf: Annotated[Number, Range(0.0, 10.0), _SEVERAL] = doc(0.0, "if weights is empty: Zipf exponent over units "
                                                                   "(0 = uniform)")
    district_of: str = doc("", "for streets: unit type of the district each unit belongs to (in equal blocks)")
    staff_by_weight: Annotated[StrictBool, UsedOnlyWhen(_uneven, "used only when the type's units differ in weight "
                                                        "(count > 1, with weights that differ or zipf > 0)")] = doc(
        False, "spread count x case_workers over the units in proportion to their weights")

    @rule
    def _sizes(self) -> None:
        if len(self.names) > self.count:
            raise ConfigError(f"{AT}.names", f"<{len(self.names)} names>",
                              f"more names than units (count={self.count})")
        if self.weights and len(self.weights) != self.count:
            raise ConfigError(f"{AT}.weights", list(self.weights), f"must have {self.count} values "
                                                                   f"(has {len(self.weights)})")
        if self.weights and sum(self.weights) <= 0:
            raise ConfigError(f"{AT}.weights", list(self.weights), "must have a positive sum")


_VIA_DISTRICT = UsedOnlyWhen(lambda c, o: o.dispatch == "via_district",
                             "used only with workorders.dispatch=via_district")


def _exp(mean: float) -> DistConfig:
    return DistConfig(dist="exponential", mean=mean)


class WorkOrderConfig(Model):
    """Dispatch, action and close-out of work orders, by urgency class."""

    dispatch_delay_h: Dict[str, DistConfig] = doc(lambda: {
        "emergency": _exp(0.2), "utilities": _exp(0.5), "general": DistConfig(dist="lognormal", median=3.0, p90=14.0),
        "complex": DistConfig(dist="lognormal", median=4.0, p90=18.0)}, "from the end of call handling to dispatch")
    dispatch_limit_h: Dict[str, PositiveHours] = doc(lambda: {
        "emergency": 1.0, "utilities": 2.0, "general": 24.0, "complex": 24.0}, "dispatch limits (Beijing standard)")
    misroute_probability: Annotated[Probability, UsedOnlyWhen(
        lambda c, o: any(ut.count > 1 for ut in c.units.values()), "used only when a unit type has more than one "
        "unit (units.<type>.count > 1): a misrouted order goes to another unit of its type")] = doc(
        0.0, "P(an order is dispatched to a wrong unit)")
    review_h: Annotated[DistConfig, UsedOnlyWhen(lambda c, o: o.misroute_probability > 0, "used only when orders are "
                                                 "misrouted (workorders.misroute_probability > 0)")] = doc(
        dist("exponential", mean=4.0), "the wrong unit's review before bouncing the order back")
    response_delay_h: Dict[str, DistConfig] = doc(lambda: {
        "emergency": _exp(0.25), "utilities": _exp(1.0), "general": _exp(4.0), "complex": _exp(6.0)},
        "from signing to the first contact")
    response_limit_h: Dict[str, PositiveHours] = doc(lambda: {
        "emergency": 1.0, "utilities": 4.0, "general": 24.0, "complex": 24.0}, "limit from arrival at the unit")
    resolution_h: DistConfig = doc(dist("lognormal", median=72.0, p90=240.0), "default handling time")
    resolution_h_by_urgency: Dict[str, DistConfig] = doc(dict, "overrides the category's, per class")
    closeout_limit_h: Dict[str, PositiveHours] = doc(lambda: {
        "emergency": 2.0, "utilities": 24.0, "general": 168.0, "complex": 360.0}, "limit from arrival at the unit")
    dispatch: str = doc("direct", "direct: to the handling unit; via_district: a street's orders pass its district")
    district_review_h: Annotated[DistConfig, _VIA_DISTRICT] = doc(dist("exponential", mean=2.0),
                                                                  "the district's review (via_district)")
    district_catch_probability: Annotated[Probability, _VIA_DISTRICT, UsedOnlyWhen(
        lambda c, o: o.misroute_probability > 0, "used only when orders are misrouted (workorders.misroute_probability "
                                                 "> 0): it is the chance that the district's review catches a misroute")
    ] = doc(0.5, "P(the district's review sends a misrouted order to the right street)")
    assignment: str = doc("weights", "weights: the unit drawn by the type's weights; least_loaded: fewest open per "
                                     "worker")
    assignment_types: Annotated[List[str], Distinct(), UsedOnlyWhen(  # every policy but weights chooses by load
        lambda c, o: o.assignment != "weights", "used only when workorders.assignment chooses by load (least_loaded, "
                                                "or a policy of sim/policies/dispatch.py other than weights)")] = doc(
        list, "unit types a policy by load (least_loaded) applies to; empty = all")

    @rule
    def _tables(self) -> None:
        for name in ("dispatch_delay_h", "response_delay_h", "dispatch_limit_h", "response_limit_h",
                     "closeout_limit_h"):
            _check_classes(f"{AT}.{name}", getattr(self, name))
        for u in self.resolution_h_by_urgency:
            if u not in URGENCY_CLASSES:
                raise ConfigError(f"{AT}.resolution_h_by_urgency.{u}", "<dist>", "unknown urgency class")


_FAILS = UsedOnlyWhen(lambda c, o: o.reach_probability < 1, "used only when a return-visit attempt can fail "
                                                            "(feedback.reach_probability < 1)")


class FeedbackConfig(Model):
    """Return visits: the call that asks whether the problem was solved."""

    mode: Literal["team", "operators"] = doc("team", "team (own staffing below) or operators (the front line, when no "
                                                     "inbound work waits)")
    staffing: Annotated[Staffing, UsedOnlyWhen(lambda c, o: o.mode == "team", "used only with feedback.mode=team")] \
        = doc(StaffingConfig, "the feedback team (mode: team)")
    calendar: str = doc("daytime", "hours in which residents may be called (a key of calendars)")
    delay_h: DistConfig = doc(dist("uniform", low=24.0, high=72.0), "close-out to visit")
    reach_probability: Probability = doc(0.5, "P(an attempt reaches the resident)")
    max_attempts: Annotated[Whole, Range(1, ceiling=LIMITS["max_attempts"], why="return-visit attempts per visit"),
                            _FAILS] = doc(3, "attempts before the visit counts as not reached")
    retry_delay_h: Annotated[DistConfig, _FAILS, UsedOnlyWhen(lambda c, o: o.max_attempts > 1, "used only when a "
                             "return visit may make a second attempt (feedback.max_attempts > 1)")] = doc(
        dist("exponential", mean=4.0), "from a failed attempt to the next one")
    talk_s: DistConfig = doc(dist("lognormal", mean=175.0, cv=0.5), "operator time of a visit that reaches")
    no_answer_s: Annotated[DistConfig, _FAILS] = doc(dist("constant", value=30.0), "operator time of a failed attempt")
    p_reports_resolved: Dict[str, Probability] = doc(lambda: {"resolved": 0.98, "explained": 0.3},
                                                     "P(resident says resolved) by the unit's outcome")
    p_satisfied: Dict[str, Probability] = doc(lambda: {"resolved": 0.99, "not_resolved": 0.35},
                                              "P(satisfied) by what the resident reports")
    late_factor_resolved: Probability = doc(1.0, "multiplies P(reports resolved) when the close-out was late")
    late_factor_satisfied: Probability = doc(0.85, "multiplies P(satisfied) when the close-out was late")
    reopen_probability: Annotated[Probability, UsedOnlyWhen(lambda c, o: o.max_rounds > 1, "used only when a case may "
                                  "have more than one round (feedback.max_rounds > 1)")] = doc(
        0.5, "P(an unsatisfied case is reopened) and sent back to the same unit")
    max_rounds: Annotated[Whole, Range(1, ceiling=LIMITS["max_rounds"], why="handling rounds per order"), UsedOnlyWhen(
        lambda c, o: o.reopen_probability > 0, "used only when cases are reopened (feedback.reopen_probability > 0)")] \
        = doc(2, "handling rounds per work order at most (1 = never reopened)")

    @rule
    def _tables(self) -> None:
        for key, need in (("p_reports_resolved", ("resolved", "explained")),
                          ("p_satisfied", ("resolved", "not_resolved"))):
            table = getattr(self, key)
            for n, v in table.items():
                if n not in need:
                    raise ConfigError(f"{AT}.{key}.{n}", v, f"unknown key; use {' and '.join(need)}")
            if any(n not in table for n in need):
                raise ConfigError(f"{AT}.{key}", dict(table), f"must give {' and '.join(need)}")
