"""The configuration schema of the hotline simulator: every setting, its type, range, unit, default and meaning.

Each section is a pydantic model (:class:`sim.config.fields.Model`) whose fields carry their rules where they
are declared; how to add a setting and the list of rules: ``sim/config/README.md``.  Units are part of the
names: ``*_s`` is seconds, ``*_h`` hours, ``*_min`` minutes; a distribution (:class:`DistConfig`) takes its
unit from the key that holds it.
"""

from __future__ import annotations

from typing import Annotated, Any, Dict, FrozenSet, List, Optional

from pydantic import PrivateAttr

from sim.config.backoffice import (
    URGENCY_CLASSES,
    CalendarConfig,
    FeedbackConfig,
    UnitTypeConfig,
    WorkOrderConfig,
    _calendars,
    has_units,
    makes_orders,
)
from sim.config.dated import DatedConfig, dated_plan, read_dated
from sim.config.experiment import ExperimentConfig
from sim.config.fields import (
    AT,
    Count,
    DistConfig,
    Distinct,
    Hours,
    Model,
    NonNegative,
    Number,
    Positive,
    PositiveHours,
    Probability,
    Range,
    Seconds,
    UsedOnlyWhen,
    Whole,
    check_half_hours,
    dist,
    doc,
    rule,
)
from sim.config.limits import LIMITS
from sim.config.report_config import ReportConfig
from sim.config.routing import ONLINE, RoutingConfig, has_calls, has_online
from sim.config.routing import PHONE as _PHONE
from sim.config.staffing_policy import (
    FrontStaffing,
    FrontStaffingConfig,
    GroupConfig,
    ShiftConfig,
    StaffingConfig,
    skeleton,
)
from sim.config.unit_staffing import UnitStaffingConfig
from sim.core.distributions import DIST_FAMILIES
from sim.core.errors import ConfigError

#: Channels through which residents submit requests.
CHANNELS: tuple[str, ...] = ("phone", "online")
#: The defaults of ``kpi.targets``: Beijing's published targets and levels (sources: docs/kpis.md, "Targets").
BEIJING_TARGETS: Dict[str, Optional[float]] = {
    "answer_rate": 0.95,  # answer rate over any 24 h >= 95% (DB11/T 2021-2022)
    "abandon_rate": 0.05,  # at most 5% abandoned: what the answer-rate target leaves
    "service_level": 0.80,  # 80% answered within the 15 s threshold (the 80/x convention at Beijing's threshold)
    "resolution_rate": 0.973,  # the city's published level for 2025 (97.3%)
    "satisfaction_rate": 0.977,  # the city's published level for 2025 (97.7%)
}
Weight = Annotated[Number, Range(ceiling=1e9, why="a relative weight of the hour")]


def from_template(cfg: Any, channel: str) -> bool:
    """Whether ``channel``'s arrivals come from the weekly template (not from a dated file's rows)."""
    return cfg.dated.file is None or channel not in read_dated(cfg.dated.file, CHANNELS, list(cfg.categories)).rates


_TEMPLATE = UsedOnlyWhen(lambda c, o: from_template(c, "phone" if o is c.arrivals.phone else "online"),
                         "not used: dated.file gives the channel's arrivals per date and half-hour (its days' spread: "
                         "dated.day_log_sd)")
#: A what-if's multiplier (as ``staffing.headcount_factor``); the run's size limits bound what it makes further.
Factor = Annotated[Number, Range(0.0, 100.0, lo_open=True)]


def call_handling(cfg: Any, owner: Any = None) -> bool:
    """Whether operators spend call handle time: calls, or online items transferred to emergency services."""
    return has_calls(cfg) or (has_online(cfg) and any(
        c.urgency.get("emergency", 0.0) > 0 and c.emergency_transfer_share > 0 for c in cfg.categories.values()))


_UNITS = UsedOnlyWhen(has_units, "used only when the scenario has units (work orders); this one has none")
_ORDERS = UsedOnlyWhen(lambda c, o: makes_orders(o), "used only when the category makes work orders "
                                                     "(direct_share < 1, or emergencies not all transferred)")
_ANY_ORDERS = UsedOnlyWhen(lambda c, o: any(makes_orders(x) for x in c.categories.values()), "used only when a "
                           "category makes work orders (direct_share < 1, or emergencies not all transferred)")


def check_shares(key: str, shares: Dict[str, float], allowed: Optional[tuple[str, ...]] = None) -> None:
    """Refuse shares that are empty, name unknown entries, are negative or do not sum to 1."""
    if not shares:
        raise ConfigError(key, shares, "must not be empty")
    for name, v in shares.items():
        if allowed is not None and name not in allowed:
            raise ConfigError(f"{key}.{name}", v, f"unknown name; use one of {', '.join(sorted(allowed))}")
        Range().at(f"{key}.{name}", v)
    total = sum(float(v) for v in shares.values())
    if abs(total - 1.0) > 1e-6:
        raise ConfigError(key, dict(shares), f"shares must sum to 1 (they sum to {total:.6g})")


class ChannelConfig(Model):
    """Arrival process of one channel: a non-homogeneous Poisson process."""

    per_day: NonNegative = doc(0.0, "mean first contacts per day on a day whose weekday factor is 1 (before scale)")
    hourly_profile: Annotated[List[Weight], _TEMPLATE] = doc(lambda: [1.0] * 24, "relative weights of the hours: 24 "
                                                             "(every day alike) or 168 (a week, Monday 0:00 first); "
                                                             "0 = a closed hour")
    day_cv: Annotated[Number, Range(0.0, 10.0), _TEMPLATE] = doc(0.0, "CV of a gamma day multiplier; 0 = pure "
                                                                      "Poisson")


class SurgeConfig(Model):
    """A demand surge: arrival rates multiplied over a time window."""

    name: str = doc("surge", "label for the reader of the scenario file (not used by the model)")
    start_h: Hours = doc(0.0, "start, hours from the start of the run")
    duration_h: PositiveHours = doc(24.0, "length of the surge in hours")
    multiplier: NonNegative = doc(1.0, "rate multiplier while the surge lasts")
    categories: Annotated[List[str], Distinct()] = doc(list, "categories affected; empty = all")
    channels: Annotated[List[str], Distinct()] = doc(list, "channels affected; empty = all")


class ArrivalsConfig(Model):
    """Demand: one arrival process per channel, weekday factors and surges."""

    phone: ChannelConfig = doc(ChannelConfig, "calls")
    online: ChannelConfig = doc(ChannelConfig, "online submissions (WeChat, app, web)")
    day_of_week: Annotated[List[Annotated[Number, Range(ceiling=100.0, why="a weekday's multiplier of the channels' "
                                                                         "per_day")]], UsedOnlyWhen(
        lambda c, o: any(getattr(c.arrivals, ch).per_day > 0 and from_template(c, ch) for ch in CHANNELS),
        "not used: dated.file gives the arrivals of every channel with demand per date")] \
        = doc(lambda: [1.0] * 7, "7 multipliers of per_day, Monday first")
    surges: List[SurgeConfig] = doc(list, "surge events (rainstorm, heating season, ...)")
    demand_factor: Factor = doc(1.0, "a what-if: multiplies every channel's and category's arrivals (profiles, "
                                     "weekday factors and surges kept); 1.2 = +20% demand (sim/config/whatif.py)")

    @rule
    def _profiles(self) -> None:
        for ch in CHANNELS:
            c, key = getattr(self, ch), f"{AT}.{ch}.hourly_profile"
            w = c.hourly_profile
            if len(w) not in (24, 168):
                raise ConfigError(key, list(w), f"must have 24 values (every day alike) or 168 (a week, Monday 0:00 "
                                                f"first) (has {len(w)})")
            if sum(w) <= 0:
                raise ConfigError(key, list(w), "must have a positive sum")
            for d in range(min(7, len(self.day_of_week)) if len(w) == 168 and c.per_day > 0 else 0):
                if self.day_of_week[d] > 0 and sum(w[24 * d:24 * d + 24]) <= 0:
                    raise ConfigError(f"{key}[{24 * d}:{24 * d + 24}]", list(w[24 * d:24 * d + 24]),
                                      f"weekday {d} (0 = Monday) has no weight but arrivals.day_of_week[{d}] = "
                                      f"{self.day_of_week[d]:g} gives it demand; give its hours weights or set the "
                                      "factor to 0")
        if self.phone.per_day + self.online.per_day <= 0:
            raise ConfigError(f"{AT}.phone.per_day", self.phone.per_day,
                              "no demand: phone and online per_day are both 0")
        if len(self.day_of_week) != 7:
            raise ConfigError(f"{AT}.day_of_week", list(self.day_of_week),
                              f"must have 7 values (has {len(self.day_of_week)})")
        for i, s in enumerate(self.surges):
            for ch in s.channels:
                if ch not in CHANNELS:
                    raise ConfigError(f"{AT}.surges[{i}].channels", ch,
                                      f"unknown channel; use one of {', '.join(CHANNELS)}")


class CategoryConfig(Model):
    """A request category: its share of contacts and how the front line and the back office handle it."""

    share: NonNegative = doc(0.0, "share of all contacts (the shares of all categories sum to 1)")
    direct_share: Probability = doc(1.0, "P(answered directly by the operator) for non-emergency contacts")
    urgency: Dict[str, Number] = doc(lambda: {"general": 1.0}, "urgency-class mix (sums to 1)")
    handle_s: Annotated[Optional[DistConfig], _PHONE] = doc(None, "call handle time when answered directly; "
                                                                  "None = calls.handle_s")
    handle_work_order_s: Annotated[Optional[DistConfig], _PHONE, _ORDERS] = doc(
        None, "call handle time when it becomes a work order; None = the calls default")
    patience_s: Optional[DistConfig] = doc(None, "time its callers wait before hanging up, seconds; None = "
                                                 "calls.patience_s")
    emergency_transfer_share: Annotated[Probability, UsedOnlyWhen(
        lambda c, o: o.urgency.get("emergency", 0) > 0, "used only when the category has emergencies (its "
                                                        "urgency.emergency > 0)")] = doc(
        0.0, "share of emergency-class contacts transferred to 110/119/120 (life safety)")
    unit_type: Annotated[str, _UNITS, _ORDERS] = doc("", "unit type that handles its work orders (a key of units)")
    unit: Annotated[Optional[str], _UNITS, _ORDERS] = doc(None, "a named unit of that type that handles them all; "
                                                                "None = drawn by the type's weights")
    unclear_share: Annotated[Probability, _UNITS, _ORDERS, UsedOnlyWhen(
        lambda c, o: bool(getattr(c.units.get(o.unit_type), "district_of", "")),
        "used only when the category's unit type belongs to a district (units.<type>.district_of): an order of "
        "unclear jurisdiction goes to the district")] = doc(0.0, "share of street-bound orders with unclear "
                                                                 "jurisdiction, sent to the district")
    resolution_h: Annotated[Optional[DistConfig], _UNITS, _ORDERS] = doc(
        None, "time from response to resolution, hours; None = workorders.resolution_h")
    resolved_share: Annotated[Probability, _UNITS, _ORDERS] = doc(0.9, "P(the unit resolves the case); otherwise "
                                                                       "explained but not resolvable")

    @rule
    def _urgency(self) -> None:
        check_shares(f"{AT}.urgency", dict(self.urgency), URGENCY_CLASSES)


_REDIALS = UsedOnlyWhen(lambda c, o: o.probability > 0, "used only when callers redial (calls.retrial.probability > 0)")
_MAY_REDIAL = UsedOnlyWhen(lambda c, o: o.max_retrials > 0, "used only when a caller may redial at least once "
                                                            "(calls.retrial.max_retrials > 0)")


class RetrialConfig(Model):
    """Redials by callers who abandoned."""

    probability: Annotated[Probability, _MAY_REDIAL] = doc(0.0, "P(an abandoning caller calls again)")
    delay_s: Annotated[DistConfig, _REDIALS, _MAY_REDIAL] = doc(dist("exponential", mean=900.0),
                                                                "time from abandoning to the redial")
    max_retrials: Annotated[Count, Range(ceiling=LIMITS["max_retrials"], why="redials per contact"), _REDIALS] = doc(
        3, "redials per contact at most")


class CallsConfig(Model):
    """Phone calls at the front line."""

    handle_s: Annotated[DistConfig, _PHONE] = doc(dist("lognormal", mean=180.0, cv=0.8), "talk + wrap-up, direct "
                                                                                          "answer")
    handle_work_order_s: Annotated[Optional[DistConfig], _PHONE, _ANY_ORDERS] = doc(
        None, "talk + write-up + dispatch for a work order; None = handle_s")
    handle_transfer_s: DistConfig = doc(dist("constant", value=60.0), "transfer to 110/119/120")
    patience_s: Annotated[DistConfig, _PHONE] = doc(dist("exponential", mean=120.0), "time a caller waits before "
                                                                                     "hanging up")
    pickup_delay_s: Annotated[Optional[DistConfig], _PHONE] = doc(
        None, "time a free operator takes to pick up a call that finds them free (after-call work outside the talk "
              "time, a break): the caller waits, and may hang up; no operator is held meanwhile. None = at once")
    priority_classes: Annotated[List[str], Distinct(), _PHONE] = doc(lambda: ["emergency"], "urgency classes queued "
                                                                                            "ahead of the others")
    retrial: Annotated[RetrialConfig, _PHONE] = doc(RetrialConfig, "redials after abandoning")
    handle_factor: Annotated[Factor, UsedOnlyWhen(call_handling, "used only when operators handle calls "
                             "(arrivals.phone.per_day > 0) or transfer online emergencies (calls.handle_transfer_s)")] \
        = doc(1.0, "a what-if: multiplies every call handle time (handle_s, handle_work_order_s, handle_transfer_s "
                   "and the categories' own), each distribution's shape and CV kept; 1.1 = 10% longer")
    handle_factor_half_hourly: List[Annotated[Number, Range(0.0, 10.0, lo_open=True)]] = doc(
        list, "x handle time by the half-hour of the call's first attempt: 48 or 336 (Monday first) values; [] = none")

    @rule
    def _profile(self) -> None:
        check_half_hours(f"{AT}.handle_factor_half_hourly", self.handle_factor_half_hourly, (0, 48, 336))


class OnlineConfig(Model):
    """Online submissions: handled by operators when no call waits."""

    handle_s: DistConfig = doc(dist("lognormal", mean=240.0, cv=0.7), "operator time, direct answer")
    handle_work_order_s: Annotated[Optional[DistConfig], _ANY_ORDERS] = doc(
        None, "operator time when it becomes a work order; None = handle_s")
    deadline_h: PositiveHours = doc(2.0, "acceptance deadline (Beijing standard: 2 h)")
    expire_h: Optional[PositiveHours] = doc(None, "an item not accepted within this many hours is withdrawn; "
                                                  "None = never")


class KpiConfig(Model):
    """How service is measured, and the targets it is judged against."""

    answer_threshold_s: Annotated[Seconds, _PHONE] = doc(15.0, "service-level threshold (Beijing standard: answered "
                                                               "within 15 s)")
    interval_min: Annotated[Whole, Range(1, 1440)] = doc(30, "length of a reporting interval, minutes (divides a day)")
    targets: Dict[str, Optional[Number]] = doc(lambda: dict(BEIJING_TARGETS), "KPI -> target: a minimum where higher "
                                               "is better, a maximum where lower is better (a share as a fraction); "
                                               "null removes a target; add one with +kpi.targets.NAME=")

    @rule
    def _interval(self) -> None:
        if 1440 % self.interval_min:
            raise ConfigError(f"{AT}.interval_min", self.interval_min, "must divide a day (1440 minutes)")


class Config(Model):
    """The whole run: scenario data plus experiment, KPI and report settings."""

    scenario: str = doc("beijing_baseline", "name of the scenario file scenarios/<name>.yaml")
    description: str = doc("", "one line describing the scenario")
    scale: Positive = doc(1.0, "multiplies demand and staff together (e.g. 0.1 for quick runs)")
    experiment: ExperimentConfig = doc(ExperimentConfig, "replications, horizon, seed")
    arrivals: ArrivalsConfig = doc(ArrivalsConfig, "demand")
    dated: DatedConfig = doc(DatedConfig, "arrivals per date and half-hour from a file (sim/config/dated.py)")
    categories: Dict[str, CategoryConfig] = doc(dict, "request categories by name")
    calls: CallsConfig = doc(CallsConfig, "phone calls")
    online: Annotated[OnlineConfig, ONLINE] = doc(OnlineConfig, "online submissions")
    staffing: FrontStaffing = doc(FrontStaffingConfig, "front-line operators: a plan, or a policy that proposes one")
    routing: RoutingConfig = doc(RoutingConfig, "skill groups, overflow, blending, callbacks")
    calendars: Annotated[Dict[str, CalendarConfig], _UNITS, UsedOnlyWhen(
        lambda c, name: name == c.feedback.calendar or any(ut.calendar == name for ut in c.units.values()),
        "used only when a unit type (units.<type>.calendar) or feedback.calendar names this calendar", each=True)] \
        = doc(_calendars, "named working calendars")
    units: Dict[str, UnitTypeConfig] = doc(dict, "handling unit types by name")
    workorders: Annotated[WorkOrderConfig, _UNITS] = doc(WorkOrderConfig, "dispatch and action")
    feedback: Annotated[FeedbackConfig, _UNITS] = doc(FeedbackConfig, "return visits")
    unit_staffing: Annotated[UnitStaffingConfig, _UNITS] = doc(UnitStaffingConfig, "case workers per unit: the "
                                                                                     "scenario's, or proposed")
    kpi: KpiConfig = doc(KpiConfig, "measurement")
    report: ReportConfig = doc(ReportConfig, "outputs")
    #: Unused settings the command line left the scenario (:func:`sim.config.errors.kept_unused`); None: not
    #: judged here (the command was checked before it ran).
    _kept_unused: Optional[FrozenSet[str]] = PrivateAttr(default_factory=frozenset)

    @property
    def kept_unused(self) -> Optional[FrozenSet[str]]:
        """The settings left unused that the checks keep (:func:`sim.config.rules.check_usage`)."""
        return self._kept_unused


def defaults_data() -> Dict[str, Any]:
    """The schema's defaults as data, with every key of every variant (what a composition starts from)."""
    data = Config.model_construct().model_dump()
    data["staffing"] = skeleton(FrontStaffingConfig)
    data["feedback"]["staffing"] = skeleton(StaffingConfig)
    return data


def group_plans(cfg: Config) -> Dict[str, StaffingConfig]:
    """Each group's staffing plan: its own plan form, with ``staffing``'s shrinkage and headcount factor.

    Without ``routing.groups``: the one plan ``staffing``, under the name ``"operators"``.
    """
    if not cfg.routing.groups:
        dated = dated_plan(cfg, CHANNELS)  # a dated scenario's plan per date and half-hour (dated.staffing_file)
        return {"operators": cfg.staffing if dated is None else cfg.staffing.with_form(half_hourly=dated)}
    s = cfg.staffing
    return {name: g.with_form(shrinkage=s.shrinkage, headcount_factor=s.headcount_factor, family=StaffingConfig)
            for name, g in cfg.routing.groups.items()}


def plan_key(cfg: Config, group: str) -> str:
    """The key prefix of ``group``'s plan (``staffing`` without groups)."""
    return f"routing.groups.{group}" if cfg.routing.groups else "staffing"


__all__ = [  # re-exported: the names the package imports from the schema
    "URGENCY_CLASSES", "DIST_FAMILIES", "DistConfig", "ShiftConfig", "StaffingConfig", "FrontStaffingConfig",
    "CalendarConfig", "UnitTypeConfig", "WorkOrderConfig", "FeedbackConfig", "ExperimentConfig", "ReportConfig",
    "GroupConfig", "RoutingConfig", "DatedConfig", "UnitStaffingConfig", "makes_orders",
]
