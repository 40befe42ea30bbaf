"""Typed configuration schema of the hotline simulator.

Every key a user can set lives in one of the dataclasses below: each field has a
type, a default and a one-line comment.  Hydra composes ``configs/config.yaml``,
the chosen scenario file (``scenarios/<name>.yaml``) and command-line overrides
onto this schema, so a misspelt key or a value of the wrong type is rejected at
composition time; :mod:`sim.validate` then checks ranges and cross-field rules.

Units are part of the names: ``*_s`` is seconds, ``*_h`` hours, ``*_min`` minutes.
A distribution (:class:`DistConfig`) takes its unit from the key that holds it
(``handle_s`` is in seconds, ``resolution_h`` in hours).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional

from omegaconf import MISSING

#: Channels through which residents submit requests.
CHANNELS: tuple[str, ...] = ("phone", "online")
#: Urgency classes of the Beijing standard (DB11/T 2021-2022), most urgent first.
URGENCY_CLASSES: tuple[str, ...] = ("emergency", "utilities", "general", "complex")
#: Distribution families a :class:`DistConfig` may name.
DIST_FAMILIES: tuple[str, ...] = (
    "exponential", "lognormal", "gamma", "weibull", "uniform", "constant", "empirical",
)


@dataclass
class DistConfig:
    """A probability distribution given as data, e.g. ``{dist: lognormal, mean: 300, cv: 0.6}``."""

    dist: str = "exponential"  # family: exponential, lognormal, gamma, weibull, uniform, constant, empirical
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
    hourly_profile: List[float] = field(default_factory=lambda: [1.0] * 24)  # 24 relative weights, hour 0 first
    day_cv: float = 0.0  # CV of a gamma day multiplier (day-to-day overdispersion); 0 = pure Poisson


@dataclass
class SurgeConfig:
    """A demand surge: arrival rates multiplied over a time window."""

    name: str = "surge"  # label used in reports
    start_h: float = 0.0  # start, hours from the start of the run
    duration_h: float = 24.0  # length of the surge in hours
    multiplier: float = 1.0  # rate multiplier while the surge lasts (>= 0)
    categories: List[str] = field(default_factory=list)  # categories affected; empty = all
    channels: List[str] = field(default_factory=list)  # channels affected; empty = all


@dataclass
class ArrivalsConfig:
    """Demand: one arrival process per channel, weekday factors and surges."""

    phone: ChannelConfig = field(default_factory=ChannelConfig)  # calls
    online: ChannelConfig = field(default_factory=ChannelConfig)  # online submissions (WeChat, app, web)
    day_of_week: List[float] = field(default_factory=lambda: [1.0] * 7)  # 7 multipliers of per_day, Monday first
    surges: List[SurgeConfig] = field(default_factory=list)  # surge events (rainstorm, heating season, ...)


@dataclass
class CategoryConfig:
    """A request category: its share of contacts and how the front line handles it."""

    share: float = 0.0  # share of all contacts (shares of all categories sum to 1)
    direct_share: float = 1.0  # P(answered directly by the operator) for non-emergency contacts
    urgency: Dict[str, float] = field(default_factory=lambda: {"general": 1.0})  # urgency-class mix (sums to 1)
    handle_s: Optional[DistConfig] = None  # call handle time when answered directly; None = calls.handle_s
    handle_work_order_s: Optional[DistConfig] = None  # call handle time when it becomes a work order; None = calls default


@dataclass
class RetrialConfig:
    """Redials by callers who abandoned."""

    probability: float = 0.0  # P(an abandoning caller calls again)
    delay_s: DistConfig = field(default_factory=lambda: _exp(900.0))  # time from abandoning to the redial
    max_retrials: int = 3  # redials per contact at most


@dataclass
class CallsConfig:
    """Phone calls at the front line."""

    handle_s: DistConfig = field(default_factory=lambda: DistConfig("lognormal", mean=180.0, cv=0.8))  # talk + wrap-up, direct answer
    handle_work_order_s: Optional[DistConfig] = None  # talk + write-up + dispatch for a work order; None = handle_s
    patience_s: DistConfig = field(default_factory=lambda: _exp(120.0))  # time a caller waits before hanging up
    priority_classes: List[str] = field(default_factory=lambda: ["emergency"])  # urgency classes queued ahead of others
    retrial: RetrialConfig = field(default_factory=RetrialConfig)  # redials after abandoning


@dataclass
class OnlineConfig:
    """Online submissions: handled by operators when no call waits."""

    handle_s: DistConfig = field(default_factory=lambda: DistConfig("lognormal", mean=240.0, cv=0.7))  # operator time, direct answer
    handle_work_order_s: Optional[DistConfig] = None  # operator time when it becomes a work order; None = handle_s
    deadline_h: float = 2.0  # acceptance deadline (Beijing standard: 2 h)
    expire_h: Optional[float] = None  # an item not accepted within this many hours is withdrawn; None = never


@dataclass
class ShiftConfig:
    """A shift: ``count`` operators from ``start_h`` for ``length_h`` hours, on the given weekdays."""

    name: str = "shift"  # label used in reports
    start_h: float = 0.0  # start time of day in hours, 0 <= start_h < 24
    length_h: float = 8.0  # length in hours (0 < length_h <= 24; may cross midnight)
    count: int = 0  # operators on the shift (before scale)
    days: List[int] = field(default_factory=list)  # weekdays the shift starts on (0 = Monday); empty = every day


@dataclass
class StaffingConfig:
    """Front-line staffing: exactly one of a constant headcount, a half-hourly plan or shifts."""

    operators: int = 0  # constant headcount, used when the scenario gives no plan and no shifts (before scale)
    half_hourly: List[int] = field(default_factory=list)  # headcount per interval: one day (48) or one week (336)
    shifts: List[ShiftConfig] = field(default_factory=list)  # shifts whose coverage gives the headcount
    shrinkage: float = 0.0  # share of scheduled operators not available (breaks, training, meetings), in [0, 1)


@dataclass
class ExperimentConfig:
    """Replications, horizon and random seed."""

    seed: int = 12345  # root seed; every random stream derives from it and the replication number
    replications: int = 5  # independent replications
    horizon_h: float = 24.0  # simulated time per replication, hours
    warmup_h: float = 0.0  # initial hours excluded from every KPI (steady-state studies)
    start_weekday: int = 0  # weekday at time 0 (0 = Monday)
    jobs: int = 1  # worker processes running replications in parallel
    progress: bool = True  # show a progress bar on a terminal


@dataclass
class KpiConfig:
    """How service is measured."""

    answer_threshold_s: float = 15.0  # service-level threshold (Beijing standard: answered within 15 s)
    interval_min: int = 30  # length of a reporting interval, minutes (divides a day)
    confidence: float = 0.95  # confidence level of the intervals across replications


@dataclass
class ReportConfig:
    """What a run writes."""

    dir: Optional[str] = None  # output folder; None = reports/<scenario>/<timestamp>
    plots: bool = True  # write PNG figures
    html: bool = True  # write a self-contained report.html
    print_table: bool = True  # print the KPI table on stdout


@dataclass
class Config:
    """The whole run: scenario data plus experiment, KPI and report settings."""

    scenario: str = "beijing_baseline"  # name of the scenario file scenarios/<name>.yaml
    description: str = ""  # one line describing the scenario
    scale: float = 1.0  # multiplies demand and staff together (e.g. 0.1 for quick runs)
    experiment: ExperimentConfig = field(default_factory=ExperimentConfig)  # replications, horizon, seed
    arrivals: ArrivalsConfig = field(default_factory=ArrivalsConfig)  # demand
    categories: Dict[str, CategoryConfig] = field(default_factory=dict)  # request categories by name
    calls: CallsConfig = field(default_factory=CallsConfig)  # phone calls
    online: OnlineConfig = field(default_factory=OnlineConfig)  # online submissions
    staffing: StaffingConfig = field(default_factory=StaffingConfig)  # front-line operators
    kpi: KpiConfig = field(default_factory=KpiConfig)  # measurement
    report: ReportConfig = field(default_factory=ReportConfig)  # outputs


def register_schema() -> None:
    """Store the schema in Hydra's ConfigStore as ``base_config``."""
    from hydra.core.config_store import ConfigStore

    ConfigStore.instance().store(name="base_config", node=Config)


__all__ = [
    "CHANNELS", "URGENCY_CLASSES", "DIST_FAMILIES", "MISSING",
    "DistConfig", "ChannelConfig", "SurgeConfig", "ArrivalsConfig", "CategoryConfig",
    "RetrialConfig", "CallsConfig", "OnlineConfig", "ShiftConfig", "StaffingConfig",
    "ExperimentConfig", "KpiConfig", "ReportConfig", "Config", "register_schema",
]
