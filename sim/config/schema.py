"""Typed configuration schema of the hotline simulator.

Every key a user can set lives in one of the dataclasses below: each field has a
type, a default and a one-line comment.  Hydra composes ``configs/config.yaml``,
the chosen scenario file (``scenarios/<name>.yaml``) and command-line overrides
onto this schema, so a misspelt key or a value of the wrong type is rejected at
composition time; :mod:`sim.config.validate` then checks ranges and cross-field rules.

Units are part of the names: ``*_s`` is seconds, ``*_h`` hours, ``*_min`` minutes.
A distribution (:class:`DistConfig`) takes its unit from the key that holds it
(``handle_s`` is in seconds, ``resolution_h`` in hours).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional

from omegaconf import MISSING

from sim.config.dated import DatedConfig, DayLogSdConfig
from sim.config.markers import DISTINCT
from sim.config.report_config import ReportConfig  # noqa: F401 - part of the schema (Config.report)
from sim.config.routing import CallbackConfig, EscalationConfig
from sim.config.staffing_policy import (
    GroupTargetConfig,
    OptimizeConfig,
    ShiftPatternConfig,
    StaffingTargetConfig,
    default_patterns,
)
from sim.config.unit_staffing import UnitStaffingConfig
from sim.core.distributions import DIST_FAMILIES

#: Channels through which residents submit requests.
CHANNELS: tuple[str, ...] = ("phone", "online")
#: Urgency classes of the Beijing standard (DB11/T 2021-2022), most urgent first.
URGENCY_CLASSES: tuple[str, ...] = ("emergency", "utilities", "general", "complex")


@dataclass
class DistConfig:
    """A probability distribution given as data, e.g. ``{dist: lognormal, mean: 300, cv: 0.6}``."""

    dist: str = MISSING  # family (required): exponential, lognormal, gamma, weibull, uniform, constant, empirical
    mean: Optional[float] = None  # mean (exponential; lognormal/gamma/weibull with cv)
    cv: Optional[float] = None  # coefficient of variation = sd / mean (lognormal, gamma, weibull)
    median: Optional[float] = None  # median (lognormal given median and p90)
    p90: Optional[float] = None  # 90th percentile (lognormal given median and p90)
    shape: Optional[float] = None  # shape parameter (gamma, weibull; with scale)
    scale: Optional[float] = None  # scale parameter (gamma, weibull; with shape)
    low: Optional[float] = None  # lower bound (uniform)
    high: Optional[float] = None  # upper bound (uniform)
    value: Optional[float] = None  # the value (constant)
    values: Optional[List[float]] = None  # observed values resampled with equal weight (empirical)


def _exp(mean: float) -> DistConfig:
    return DistConfig(dist="exponential", mean=mean)


@dataclass
class ChannelConfig:
    """Arrival process of one channel: a non-homogeneous Poisson process."""

    per_day: float = 0.0  # mean first contacts per day on a day whose weekday factor is 1 (before scale)
    # relative weights of the hours: 24 (every day alike, hour 0 first) or 168 (a week, Monday 0:00 first;
    # each day's 24 weights share out that day's volume, so a weight of 0 is a closed hour)
    hourly_profile: List[float] = field(default_factory=lambda: [1.0] * 24)
    day_cv: float = 0.0  # CV of a gamma day multiplier (day-to-day overdispersion); 0 = pure Poisson


@dataclass
class SurgeConfig:
    """A demand surge: arrival rates multiplied over a time window."""

    name: str = "surge"  # label for the reader of the scenario file (not used by the model)
    start_h: float = 0.0  # start, hours from the start of the run
    duration_h: float = 24.0  # length of the surge in hours
    multiplier: float = 1.0  # rate multiplier while the surge lasts (>= 0)
    categories: List[str] = field(default_factory=list, metadata=DISTINCT)  # categories affected; empty = all
    channels: List[str] = field(default_factory=list, metadata=DISTINCT)  # channels affected; empty = all


@dataclass
class ArrivalsConfig:
    """Demand: one arrival process per channel, weekday factors and surges."""

    phone: ChannelConfig = field(default_factory=ChannelConfig)  # calls
    online: ChannelConfig = field(default_factory=ChannelConfig)  # online submissions (WeChat, app, web)
    day_of_week: List[float] = field(default_factory=lambda: [1.0] * 7)  # 7 multipliers of per_day, Monday first
    surges: List[SurgeConfig] = field(default_factory=list)  # surge events (rainstorm, heating season, ...)
    # a what-if: multiplies every channel's and category's arrivals (profiles, weekday factors and surges kept);
    # 1.2 = +20% demand; in (0, 100] (checked in sim/config/whatif.py)
    demand_factor: float = 1.0


@dataclass
class CategoryConfig:
    """A request category: its share of contacts and how the front line handles it."""

    share: float = 0.0  # share of all contacts (shares of all categories sum to 1)
    direct_share: float = 1.0  # P(answered directly by the operator) for non-emergency contacts
    urgency: Dict[str, float] = field(default_factory=lambda: {"general": 1.0})  # urgency-class mix (sums to 1)
    handle_s: Optional[DistConfig] = None  # call handle time when answered directly; None = calls.handle_s
    handle_work_order_s: Optional[DistConfig] = None  # handle time when it becomes a work order; None = calls default
    patience_s: Optional[DistConfig] = None  # time its callers wait before hanging up, seconds; None = calls.patience_s
    emergency_transfer_share: float = 0.0  # share of emergency-class contacts transferred to 110/119/120 (life safety)
    unit_type: str = ""  # unit type that handles its work orders (a key of units); "" = no work orders possible
    unit: Optional[str] = None  # a named unit of that type that handles them all; None = drawn by the type's weights
    unclear_share: float = 0.0  # share of street-bound orders with unclear jurisdiction, sent to the district
    resolution_h: Optional[DistConfig] = None  # time from response to resolution, hours; None = workorders.resolution_h
    resolved_share: float = 0.9  # P(the unit resolves the case); otherwise explained but not resolvable


@dataclass
class RetrialConfig:
    """Redials by callers who abandoned."""

    probability: float = 0.0  # P(an abandoning caller calls again)
    delay_s: DistConfig = field(default_factory=lambda: _exp(900.0))  # time from abandoning to the redial
    max_retrials: int = 3  # redials per contact at most


@dataclass
class CallsConfig:
    """Phone calls at the front line."""

    # talk + wrap-up, direct answer
    handle_s: DistConfig = field(default_factory=lambda: DistConfig("lognormal", mean=180.0, cv=0.8))
    handle_work_order_s: Optional[DistConfig] = None  # talk + write-up + dispatch for a work order; None = handle_s
    # transfer to 110/119/120
    handle_transfer_s: DistConfig = field(default_factory=lambda: DistConfig("constant", value=60.0))
    patience_s: DistConfig = field(default_factory=lambda: _exp(120.0))  # time a caller waits before hanging up
    # urgency classes queued ahead of others
    priority_classes: List[str] = field(default_factory=lambda: ["emergency"], metadata=DISTINCT)
    retrial: RetrialConfig = field(default_factory=RetrialConfig)  # redials after abandoning
    # a what-if: multiplies every call handle time (handle_s, handle_work_order_s, handle_transfer_s and the
    # categories' own), each distribution's shape and CV kept; 1.1 = 10% longer; in (0, 100] (sim/config/whatif.py)
    handle_factor: float = 1.0
    # x handle time by the half-hour of the first attempt: 48 or 336 (Monday first) values in (0, 10]; [] = none
    handle_factor_half_hourly: List[float] = field(default_factory=list)


@dataclass
class OnlineConfig:
    """Online submissions: handled by operators when no call waits."""

    # operator time, direct answer
    handle_s: DistConfig = field(default_factory=lambda: DistConfig("lognormal", mean=240.0, cv=0.7))
    handle_work_order_s: Optional[DistConfig] = None  # operator time when it becomes a work order; None = handle_s
    deadline_h: float = 2.0  # acceptance deadline (Beijing standard: 2 h)
    expire_h: Optional[float] = None  # an item not accepted within this many hours is withdrawn; None = never


@dataclass
class ShiftConfig:
    """A shift: ``count`` operators from ``start_h`` for ``length_h`` hours, on the given weekdays."""

    name: str = "shift"  # label for the reader of the scenario file (not used by the model)
    start_h: float = 0.0  # start time of day in hours, 0 <= start_h < 24
    length_h: float = 8.0  # length in hours (0 < length_h <= 24; may cross midnight)
    count: float = 0.0  # operators on the shift (before scale; a fraction keeps its mean)
    # weekdays the shift starts on (0 = Monday); empty = every day
    days: List[int] = field(default_factory=list, metadata=DISTINCT)
    cost_per_h: Optional[float] = None  # cost of a paid hour on this shift (front line); None = staffing.cost_per_h


@dataclass
class StaffingConfig:
    """Front-line staffing: exactly one of a constant headcount, a half-hourly plan or shifts."""

    operators: int = 0  # constant headcount (before scale); given on the command line, it replaces the scenario's plan
    half_hourly: List[float] = field(default_factory=list)  # headcount per half-hour: one day (48) or a week (336)
    shifts: List[ShiftConfig] = field(default_factory=list)  # shifts whose coverage gives the headcount
    shrinkage: float = 0.0  # share of scheduled operators not available (breaks, training, meetings), in [0, 1)
    headcount_factor: float = 1.0  # multiplies the plan's headcounts, whatever its form (a what-if: 1.1 = +10%)


@dataclass
class FrontStaffingConfig(StaffingConfig):
    """The front line's staffing: a plan, or a policy that proposes one (sim/config/staffing_policy.py)."""

    policy: str = "plan"  # plan (run the plan above), erlang (Erlang A per interval) or optimize (by simulation)
    offered_load: str = "modified"  # load per interval for erlang/optimize: sipp, lagged or modified
    target: StaffingTargetConfig = field(default_factory=StaffingTargetConfig)  # service targets of every interval
    schedule: str = "intervals"  # a proposed plan as a half-hourly headcount (intervals) or as shifts (shifts)
    patterns: List[ShiftPatternConfig] = field(default_factory=default_patterns)  # allowed shifts (schedule=shifts)
    schedule_gap: float = 0.02  # shift scheduling stops within this share of the optimal cost, in [0, 1); 0 = prove it
    optimize: OptimizeConfig = field(default_factory=OptimizeConfig)  # the simulation-based policy
    cost_per_h: float = 1.0  # cost of a paid operator-hour (a shift's own cost_per_h takes precedence)
    currency: str = ""  # label of every cost (e.g. CNY), at most 16 characters; empty = units of cost_per_h
    # operator-hours the proposed plan may roster in the measurement window (at the run's scale; optimize), > 0
    budget_h: Optional[float] = None  # None = no budget
    budget_cost: Optional[float] = None  # the same budget as a cost (in staffing.currency), > 0; None = no budget


@dataclass
class CalendarConfig:
    """Working time of a unit or team: the same hours on the given weekdays."""

    days: List[int] = field(default_factory=lambda: [0, 1, 2, 3, 4, 5, 6], metadata=DISTINCT)  # working weekdays
    start_h: float = 0.0  # opening time of day, hours
    end_h: float = 24.0  # closing time of day, hours (start_h < end_h <= 24)


def _calendars() -> Dict[str, CalendarConfig]:
    return {
        "always": CalendarConfig(),
        "office": CalendarConfig(days=[0, 1, 2, 3, 4], start_h=9.0, end_h=18.0),
        "daytime": CalendarConfig(start_h=8.0, end_h=20.0),
    }


@dataclass
class UnitTypeConfig:
    """A type of handling unit (streets/townships, districts, municipal departments, utilities)."""

    count: int = 1  # units of this type
    names: List[str] = field(default_factory=list, metadata=DISTINCT)  # names of the first units (others: <type>_<n>)
    case_workers: int = 1  # case workers per unit (before scale)
    case_workers_by_unit: Dict[str, int] = field(default_factory=dict)  # exceptions by unit name
    caseload: int = 10  # open cases one case worker carries at once
    calendar: str = "always"  # name of a calendar in calendars
    weights: List[float] = field(default_factory=list)  # relative share of orders per unit; empty = uniform
    zipf: float = 0.0  # if weights is empty: Zipf exponent over units (0 = uniform)
    district_of: str = ""  # for streets: unit type of the district each unit belongs to (in equal blocks)
    staff_by_weight: bool = False  # spread count x case_workers over the units in proportion to their weights


@dataclass
class WorkOrderConfig:
    """Dispatch, action and close-out of work orders, by urgency class."""

    dispatch_delay_h: Dict[str, DistConfig] = field(default_factory=lambda: {
        "emergency": _exp(0.2), "utilities": _exp(0.5),
        "general": DistConfig("lognormal", median=3.0, p90=14.0),
        "complex": DistConfig("lognormal", median=4.0, p90=18.0)})  # from end of call handling to dispatch
    dispatch_limit_h: Dict[str, float] = field(default_factory=lambda: {
        "emergency": 1.0, "utilities": 2.0, "general": 24.0, "complex": 24.0})  # Beijing standard
    misroute_probability: float = 0.0  # P(an order is dispatched to a wrong unit)
    review_h: DistConfig = field(default_factory=lambda: _exp(4.0))  # wrong unit's review before bouncing back
    # signing to first contact
    response_delay_h: Dict[str, DistConfig] = field(default_factory=lambda: {
        "emergency": _exp(0.25), "utilities": _exp(1.0), "general": _exp(4.0), "complex": _exp(6.0)})
    response_limit_h: Dict[str, float] = field(default_factory=lambda: {
        "emergency": 1.0, "utilities": 4.0, "general": 24.0, "complex": 24.0})  # limit from arrival at the unit
    # default handling
    resolution_h: DistConfig = field(default_factory=lambda: DistConfig("lognormal", median=72.0, p90=240.0))
    resolution_h_by_urgency: Dict[str, DistConfig] = field(default_factory=dict)  # overrides the category's, per class
    closeout_limit_h: Dict[str, float] = field(default_factory=lambda: {
        "emergency": 2.0, "utilities": 24.0, "general": 168.0, "complex": 360.0})  # limit from arrival at the unit
    dispatch: str = "direct"  # direct: to the handling unit; via_district: a street's orders pass its district first
    district_review_h: DistConfig = field(default_factory=lambda: _exp(2.0))  # the district's review (via_district)
    district_catch_probability: float = 0.5  # P(the district's review sends a misrouted order to the right street)
    assignment: str = "weights"  # weights: the unit drawn by the type's weights; least_loaded: fewest open per worker
    # unit types least_loaded applies to; empty = all
    assignment_types: List[str] = field(default_factory=list, metadata=DISTINCT)


@dataclass
class FeedbackConfig:
    """Return visits: the call that asks whether the problem was solved."""

    mode: str = "team"  # "team" (own staffing below) or "operators" (front line, when no inbound work waits)
    staffing: StaffingConfig = field(default_factory=StaffingConfig)  # the feedback team (mode: team)
    calendar: str = "daytime"  # hours in which residents may be called (a key of calendars)
    # close-out to visit
    delay_h: DistConfig = field(default_factory=lambda: DistConfig("uniform", low=24.0, high=72.0))
    reach_probability: float = 0.5  # P(an attempt reaches the resident)
    max_attempts: int = 3  # attempts before the visit counts as not reached
    retry_delay_h: DistConfig = field(default_factory=lambda: _exp(4.0))  # between unanswered attempts
    talk_s: DistConfig = field(default_factory=lambda: DistConfig("lognormal", mean=175.0, cv=0.5))  # reached attempt
    no_answer_s: DistConfig = field(default_factory=lambda: DistConfig("constant", value=30.0))  # unanswered attempt
    p_reports_resolved: Dict[str, float] = field(default_factory=lambda: {
        "resolved": 0.98, "explained": 0.3})  # P(resident says resolved) by the unit's outcome
    p_satisfied: Dict[str, float] = field(default_factory=lambda: {
        "resolved": 0.99, "not_resolved": 0.35})  # P(satisfied) by what the resident reports
    late_factor_resolved: float = 1.0  # multiplies P(reports resolved) when the close-out was late
    late_factor_satisfied: float = 0.85  # multiplies P(satisfied) when the close-out was late
    reopen_probability: float = 0.5  # P(an unsatisfied case is reopened) and sent back to the same unit
    max_rounds: int = 2  # handling rounds per work order at most (1 = never reopened)


@dataclass
class GroupConfig:
    """An operator group's staffing plan (``routing.groups.<name>``): exactly one form, as in ``staffing``."""

    operators: int = 0  # constant headcount (before scale)
    half_hourly: List[float] = field(default_factory=list)  # headcount per interval: one day (48) or one week (336)
    shifts: List[ShiftConfig] = field(default_factory=list)  # shifts whose coverage gives the headcount
    # the group's own targets when a staffing policy proposes its plan (None: staffing.target's)
    target: GroupTargetConfig = field(default_factory=GroupTargetConfig)


@dataclass
class RoutingConfig:
    """How operators take their work: skill groups with overflow, blending, aging, callbacks (sim.policies)."""

    groups: Dict[str, GroupConfig] = field(default_factory=dict)  # name -> plan; empty = one group, staffing's plan
    # category/online/outbound -> groups, preferred first
    skills: Dict[str, List[str]] = field(default_factory=dict, metadata=DISTINCT)
    overflow_after_s: float = 30.0  # wait before a contact may also go to the next group of its list, seconds
    reserve_idle: int = 0  # online and outbound work only while this many other operators of the group stay idle
    reserve_idle_half_hourly: List[int] = field(default_factory=list)  # the same per half-hour (48 or 336 values)
    escalate_after_s: EscalationConfig = field(default_factory=EscalationConfig)  # priority aging, per class
    callback: CallbackConfig = field(default_factory=CallbackConfig)  # callbacks offered instead of a long wait


@dataclass
class ExperimentConfig:
    """Replications, horizon and random seed."""

    seed: int = 12345  # root seed; every random stream derives from it and the replication number
    replications: int = 5  # independent replications
    horizon_h: float = 24.0  # simulated time per replication, hours
    warmup_h: float = 0.0  # initial hours excluded from every KPI (steady-state studies)
    drain_h: float = 0.0  # after the horizon, hours without new arrivals to let open contacts finish
    start_weekday: int = 0  # weekday at time 0 (0 = Monday)
    precision: Optional[float] = None  # target relative CI half-width of precision_kpi; None = fixed replications
    precision_kpi: str = "service_level"  # KPI whose precision decides when to stop adding replications
    max_replications: int = 100  # cap on replications when a precision target is set
    confidence: float = 0.95  # confidence level of the intervals across replications (Student t)
    jobs: int = 1  # worker processes running replications in parallel (executor auto/process)
    executor: str = "auto"  # auto (process if jobs > 1, else serial), serial, process, dask
    scheduler: Optional[str] = None  # Dask scheduler address (executor=dask), e.g. tcp://10.0.0.5:8786
    connect_timeout_s: float = 5.0  # longest wait for the Dask scheduler to answer before the run starts
    progress: bool = True  # show progress: a bar on a terminal, else a line per replication after 10 s


#: The defaults of ``kpi.targets``: Beijing's published targets and levels (sources: docs/kpis.md, "Targets").
BEIJING_TARGETS: Dict[str, Optional[float]] = {
    "answer_rate": 0.95,  # answer rate over any 24 h >= 95% (DB11/T 2021-2022)
    "abandon_rate": 0.05,  # at most 5% abandoned: what the answer-rate target leaves
    "service_level": 0.80,  # 80% answered within the 15 s threshold (the 80/x convention at Beijing's threshold)
    "resolution_rate": 0.973,  # the city's published level for 2025 (97.3%)
    "satisfaction_rate": 0.977,  # the city's published level for 2025 (97.7%)
}


@dataclass
class KpiConfig:
    """How service is measured, and the targets it is judged against."""

    answer_threshold_s: float = 15.0  # service-level threshold (Beijing standard: answered within 15 s)
    interval_min: int = 30  # length of a reporting interval, minutes (divides a day)
    # KPI -> target: a minimum where a higher value is better, a maximum where lower is better (the KPI
    # catalogue says which); a share as a fraction (0.95); null removes a target; add one with +kpi.targets.NAME=
    targets: Dict[str, Optional[float]] = field(default_factory=lambda: dict(BEIJING_TARGETS))


@dataclass
class Config:
    """The whole run: scenario data plus experiment, KPI and report settings."""

    scenario: str = "beijing_baseline"  # name of the scenario file scenarios/<name>.yaml
    description: str = ""  # one line describing the scenario
    scale: float = 1.0  # multiplies demand and staff together (e.g. 0.1 for quick runs)
    experiment: ExperimentConfig = field(default_factory=ExperimentConfig)  # replications, horizon, seed
    arrivals: ArrivalsConfig = field(default_factory=ArrivalsConfig)  # demand
    dated: DatedConfig = field(default_factory=DatedConfig)  # arrivals per date and half-hour from a file
    categories: Dict[str, CategoryConfig] = field(default_factory=dict)  # request categories by name
    calls: CallsConfig = field(default_factory=CallsConfig)  # phone calls
    online: OnlineConfig = field(default_factory=OnlineConfig)  # online submissions
    staffing: FrontStaffingConfig = field(default_factory=FrontStaffingConfig)  # front-line operators
    routing: RoutingConfig = field(default_factory=RoutingConfig)  # skill groups, overflow, blending, callbacks
    calendars: Dict[str, CalendarConfig] = field(default_factory=_calendars)  # named working calendars
    units: Dict[str, UnitTypeConfig] = field(default_factory=dict)  # handling unit types by name
    workorders: WorkOrderConfig = field(default_factory=WorkOrderConfig)  # dispatch and action
    feedback: FeedbackConfig = field(default_factory=FeedbackConfig)  # return visits
    unit_staffing: UnitStaffingConfig = field(default_factory=UnitStaffingConfig)  # case workers per unit proposed
    kpi: KpiConfig = field(default_factory=KpiConfig)  # measurement
    report: ReportConfig = field(default_factory=ReportConfig)  # outputs


def register_schema() -> None:
    """Store the schema in Hydra's ConfigStore as ``base_config``."""
    from hydra.core.config_store import ConfigStore

    ConfigStore.instance().store(name="base_config", node=Config)


__all__ = [
    "CHANNELS", "URGENCY_CLASSES", "DIST_FAMILIES", "MISSING", "BEIJING_TARGETS", "DistConfig", "ChannelConfig",
    "SurgeConfig", "ArrivalsConfig", "CategoryConfig", "RetrialConfig", "CallsConfig", "OnlineConfig", "ShiftConfig",
    "StaffingConfig", "FrontStaffingConfig", "StaffingTargetConfig", "GroupTargetConfig", "OptimizeConfig",
    "ShiftPatternConfig", "CalendarConfig", "UnitTypeConfig", "WorkOrderConfig", "FeedbackConfig", "ExperimentConfig",
    "KpiConfig", "ReportConfig", "Config", "register_schema", "UnitStaffingConfig", "GroupConfig", "RoutingConfig",
    "CallbackConfig", "EscalationConfig", "DatedConfig", "DayLogSdConfig",
]
