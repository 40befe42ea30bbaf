"""Staffing: a headcount plan in one of three forms, and the policy that runs or proposes the front line's plan.

A plan (``staffing``, ``feedback.staffing``, ``routing.groups.<name>``) is given in exactly one form:
a constant headcount (``operators``), a headcount per half-hour (``half_hourly``) or shifts (``shifts``).
The forms are a tagged union: the form given decides the plan's class (:func:`tagged`), and a class has the
key of its own form only (the others read as empty: ``operators == 0``, ``shifts == ()``).  A form at its
empty value counts as not given, which is how a form given on the command line replaces the scenario's
(:func:`sim.config.hydra_setup.plan_form_overrides`).  Two forms given together are refused.

``staffing.policy`` is a tagged union too (:data:`STAFFING_POLICIES`; the implementations are in
:mod:`sim.planning`, registered under the same names):

* ``plan`` (the default) - the plan given is run as it is, times ``headcount_factor``;
* ``erlang`` - a requirement per reporting interval from Erlang A for the interval's offered load
  (``staffing.offered_load``), meeting every target of :class:`StaffingTargetConfig`;
* ``optimize`` - that requirement corrected by simulation (:class:`OptimizeConfig`).

A proposing policy turns the requirement into a half-hourly plan (``schedule=intervals``) or into shifts
covering it at least cost (``schedule=shifts``, from the ``patterns`` of :class:`ShiftPatternConfig`).  A key
of another variant (``staffing.schedule`` with ``policy=plan``) is refused unless it keeps its default.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Dict, List, Literal, Optional, Sequence, Tuple, Type, Union

from pydantic import BaseModel, BeforeValidator, Discriminator, Tag, ValidationInfo, model_serializer, model_validator

from sim.config.fields import (
    AT,
    Distinct,
    Hours,
    Model,
    Number,
    Range,
    TimeOfDay,
    UsedOnlyWhen,
    Weekday,
    Whole,
    check_half_hours,
    checking,
    doc,
    first_difference,
    leaf,
    rule,
)
from sim.config.limits import LIMITS
from sim.config.staffing_targets import GroupTargetConfig, OptimizeConfig, StaffingTargetConfig
from sim.core.errors import ConfigError

#: Staffing policies, by name (the planning layer registers an implementation for each).
STAFFING_POLICIES: tuple[str, ...] = ("plan", "erlang", "optimize")
#: The policies that propose the plan (all but ``plan``), as the messages name them.
_PROPOSING = " or ".join(p for p in STAFFING_POLICIES if p != "plan")
#: The forms of a staffing plan, each with the value (as typed) that leaves it unused.
PLAN_FORMS: Dict[str, str] = {"operators": "0", "half_hourly": "[]", "shifts": "[]"}
_ON_DUTY = "operators on duty at once, the size limit of a run"
Headcount = Annotated[Number, Range(ceiling=LIMITS["operators"], why=_ON_DUTY)]
Cost = Annotated[Number, Range(lo_open=True, ceiling=1e6, why="the cost of an operator-hour; staffing_cost "
                                                              "multiplies it by every hour rostered")]
ShiftLength = Annotated[Number, Range(0.0, 24.0, lo_open=True)]


class ShiftConfig(Model):
    """A shift: ``count`` operators from ``start_h`` for ``length_h`` hours, on the given weekdays."""

    name: str = doc("shift", "label for the reader of the scenario file (not used by the model)")
    start_h: TimeOfDay = doc(0.0, "start time of day, hours (0 <= start_h < 24)")
    length_h: ShiftLength = doc(8.0, "length in hours (0 < length_h <= 24; may cross midnight)")
    count: Headcount = doc(0.0, "operators on the shift (before scale; a fraction keeps its mean)")
    days: Annotated[List[Weekday], Distinct()] = doc(list, "weekdays it starts on (0 = Monday); empty = every day")
    cost_per_h: Optional[Cost] = doc(None, "cost of a paid hour on this shift (front line); None = staffing.cost_per_h")


class ShiftPatternConfig(Model):
    """An allowed shift: its length, start times, unpaid break, weekdays or weekly tour, and cost."""

    name: str = doc("shift", "label; the scheduled shifts are named after it")
    length_h: ShiftLength = doc(8.0, "from start to end, hours, break included (may cross midnight)")
    starts_h: Annotated[List[TimeOfDay], Distinct()] = doc(list, "allowed start times of day; empty = every hour")
    days: Annotated[List[Weekday], Distinct()] = doc(list, "weekdays it may start on (0 = Monday); empty = every day")
    days_on: Annotated[Whole, Range(0, 7)] = doc(0, "a weekly tour: the same start on this many consecutive days, "
                                                    "then off; 0 = day by day")
    break_h: Hours = doc(0.0, "unpaid break, hours (0 = none)")
    break_window_h: List[Number] = doc(list, "[earliest, latest] start of the break, hours after the shift's start")
    cost_per_h: Optional[Cost] = doc(None, "cost of a paid hour; None = staffing.cost_per_h")

    @rule
    def _break(self) -> None:
        Range(0.0, self.length_h, hi_open=True).at(f"{AT}.break_h", self.break_h)
        if self.break_h > 0:
            if len(self.break_window_h) != 2:
                raise ConfigError(f"{AT}.break_window_h", list(self.break_window_h),
                                  "needs [earliest, latest]: the break's start, hours after the shift's start")
            latest = self.length_h - self.break_h
            for i, lo in enumerate((0.0, self.break_window_h[0])):
                Range(lo, latest).at(f"{AT}.break_window_h[{i}]", self.break_window_h[i])
        elif self.break_window_h:
            raise ConfigError(f"{AT}.break_window_h", list(self.break_window_h),
                              f"used only with a break ({AT}.break_h > 0)")


def default_patterns() -> List[ShiftPatternConfig]:
    """The patterns used when none are given: weekly tours a person can work.

    Five consecutive days on, then two off, starting on any weekday (so the days off rotate over
    the positions) and at any hour, 9 hours with an unpaid meal break of 1 hour starting 3 to 5
    hours into the shift: 8 paid hours a day, 40 a week.
    """
    return [ShiftPatternConfig(name="tour", length_h=9.0, days_on=5, break_h=1.0, break_window_h=[3.0, 5.0])]


# ------------------------------------------------------------------------------------------- plan forms
class _NoForm(BaseModel):
    operators: ClassVar[int] = 0
    half_hourly: ClassVar[Tuple[()]] = ()
    shifts: ClassVar[Tuple[()]] = ()


class _Operators(BaseModel):
    operators: Annotated[Whole, Range(ceiling=LIMITS["operators"], why=_ON_DUTY)] = doc(
        0, "constant headcount (before scale); given on the command line, it replaces the scenario's plan")
    half_hourly: ClassVar[Tuple[()]] = ()
    shifts: ClassVar[Tuple[()]] = ()


class _HalfHourly(BaseModel):
    operators: ClassVar[int] = 0
    half_hourly: List[Headcount] = doc(list, "headcount per half-hour: one day (48) or a week (336, Monday first)")
    shifts: ClassVar[Tuple[()]] = ()

    @rule
    def _length(self) -> None:
        check_half_hours(f"{AT}.half_hourly", self.half_hourly)


class _Shifts(BaseModel):
    operators: ClassVar[int] = 0
    half_hourly: ClassVar[Tuple[()]] = ()
    shifts: List[ShiftConfig] = doc(list, "shifts whose coverage gives the headcount")


_FORMS: Dict[str, type] = {"none": _NoForm, "operators": _Operators, "half_hourly": _HalfHourly, "shifts": _Shifts}
#: Each plan family (a class below) -> its variants by tag, and the default data of all their keys.
_FAMILIES: Dict[type, Dict[str, Type[BaseModel]]] = {}
_SKELETONS: Dict[type, Dict[str, Any]] = {}
_TAGS: Dict[type, str] = {}


def _get(v: Any, key: str, default: Any = None) -> Any:
    return v.get(key, default) if isinstance(v, dict) else getattr(v, key, default)


def form_of(v: Any) -> str:
    """The plan form ``v`` (data or a plan) gives: the first form not at its empty value, or ``"none"``."""
    return next((f for f in PLAN_FORMS if _get(v, f) not in (None, 0, [], (), {})), "none")


class PlanForm(Model):
    """A plan in one form; ``PlanForm(...)`` (or a subclass's) makes the variant of the form given."""

    if TYPE_CHECKING:
        operators: int
        half_hourly: Sequence[float]
        shifts: Sequence[ShiftConfig]
        policy: str

    def __new__(cls, *args: Any, **data: Any) -> Any:
        family = _FAMILIES.get(cls)
        return super().__new__(family[_tag(data)] if family is not None else cls)

    @classmethod
    def model_construct(cls, _fields_set: Optional[set] = None, **values: Any) -> Any:
        """Made without checks (a section's defaults): the variant of the form in ``values``."""
        family = _FAMILIES.get(cls)
        if family is not None:
            return family[_tag(values)].model_construct(_fields_set, **values)
        return super().model_construct(_fields_set, **values)

    @model_validator(mode="before")
    @classmethod
    def _empty_forms(cls, data: Any) -> Any:
        """A form at its empty value counts as not given (``PlanForm(operators=0, shifts=[...])``)."""
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if k in cls.model_fields or form_of({k: v}) != "none"
                    or k not in PLAN_FORMS}
        return data

    @model_serializer(mode="wrap")
    def _forms_first(self, handler: Any) -> Dict[str, Any]:
        data = handler(self)
        return {**{k: data[k] for k in PLAN_FORMS if k in data}, **{k: v for k, v in data.items()
                                                                    if k not in PLAN_FORMS}}

    def __setattr__(self, name: str, value: Any) -> None:
        """A form set on a plan of another form replaces the plan's form (``plan.shifts = [...]``); an empty one
        changes nothing (the plan has no such form)."""
        if name not in PLAN_FORMS or name in type(self).model_fields:
            return super().__setattr__(name, value)
        if form_of({name: value}) != "none":
            new = self.with_form(**{name: value})
            object.__setattr__(self, "__class__", type(new))
            object.__setattr__(self, "__dict__", new.__dict__)
            object.__setattr__(self, "__pydantic_fields_set__", new.__pydantic_fields_set__)

    def with_form(self, family: Any = None, **values: Any) -> Any:
        """This plan with ``values`` replaced (a form given replaces its form: ``shifts=[...]``); as a plan of
        ``family`` (a group's plan as a :class:`StaffingConfig`), only its form is kept."""
        own = next(f for f, variants in _FAMILIES.items() if type(self) in variants.values())
        data = {k: getattr(self, k) for k in type(self).model_fields if family is None or k in PLAN_FORMS}
        if any(f in values for f in PLAN_FORMS):
            data = {k: v for k, v in data.items() if k not in PLAN_FORMS}
        return (family or own)(**data, **values)


class GroupConfig(PlanForm):
    """An operator group's staffing plan (``routing.groups.<name>``): exactly one form, as in ``staffing``."""

    target: GroupTargetConfig = doc(GroupTargetConfig, "the group's own targets when a staffing policy proposes its "
                                                       "plan (None: staffing.target's)")


class StaffingConfig(PlanForm):
    """A staffing plan with its shrinkage (the feedback team's; the front line's is :class:`FrontStaffingConfig`)."""

    shrinkage: Annotated[Number, Range(0.0, 1.0, hi_open=True)] = doc(
        0.0, "share of scheduled operators not available (breaks, training, meetings)")
    if TYPE_CHECKING:
        headcount_factor: float


class _Factor(BaseModel):
    headcount_factor: Annotated[Number, Range(lo_open=True, ceiling=100.0, why="a what-if multiplier of the plan's "
                                                                             "headcounts")] = doc(
        1.0, "multiplies the plan's headcounts, whatever its form (a what-if: 1.1 = +10%)")


Budget = Annotated[Number, Range(0.0, 1e12, lo_open=True)]
_OPTIMIZE = UsedOnlyWhen(lambda c, o: o.policy == "optimize", "used only with staffing.policy=optimize")


class FrontStaffingConfig(StaffingConfig):
    """The front line's staffing: a plan, or a policy that proposes one."""

    offered_load: Literal["sipp", "lagged", "modified"] = doc("modified", "load per interval of the requirement "
                                                                          "(staffing.csv; the erlang and optimize "
                                                                          "policies)")
    target: StaffingTargetConfig = doc(StaffingTargetConfig, "service targets of every interval")
    cost_per_h: Cost = doc(1.0, "cost of a paid operator-hour (a shift's own cost_per_h takes precedence)")
    currency: str = doc("", "label of every cost (e.g. CNY), at most 16 characters; empty = units of cost_per_h")
    budget_h: Annotated[Optional[Budget], _OPTIMIZE] = doc(
        None, "operator-hours the proposed plan may roster in the measurement window (at the run's scale); None = none")
    budget_cost: Annotated[Optional[Budget], _OPTIMIZE] = doc(None, "the same budget as a cost (in staffing.currency)")

    @rule
    def _currency_and_budget(self) -> None:
        if len(self.currency) > 16 or any(not (ch.isprintable() and ch not in "\"{}") for ch in self.currency):
            raise ConfigError(f"{AT}.currency", self.currency, "must be a short label (at most 16 printable "
                                                               "characters, e.g. CNY)")
        if self.budget_h is not None and self.budget_cost is not None:
            raise ConfigError(f"{AT}.budget_cost", self.budget_cost, f"conflicts with {AT}.budget_h: give one budget")

    if TYPE_CHECKING:
        schedule: str
        patterns: List[ShiftPatternConfig]
        schedule_gap: float
        optimize: OptimizeConfig


class _PlanPolicy(_Factor):
    WHEN: ClassVar[str] = ("used only with staffing.policy=plan: a policy that proposes the plan decides the headcount "
                           "itself")
    policy: Literal["plan"] = doc("plan", f"run the plan given (plan), or propose one ({_PROPOSING})")


_SHIFTS_ONLY = UsedOnlyWhen(lambda c, o: o.schedule == "shifts", "used only to schedule shifts (staffing.schedule="
                                                                 f"shifts, with staffing.policy={_PROPOSING})")


class _Proposing(BaseModel):
    WHEN: ClassVar[str] = f"used only when a policy proposes the plan (staffing.policy={_PROPOSING})"
    headcount_factor: ClassVar[float] = 1.0
    schedule: Literal["intervals", "shifts"] = doc("intervals", "a proposed plan as a half-hourly headcount or shifts")
    patterns: Annotated[List[ShiftPatternConfig], _SHIFTS_ONLY] = doc(default_patterns, "allowed shifts")
    schedule_gap: Annotated[Number, Range(0.0, 1.0, hi_open=True), _SHIFTS_ONLY] = doc(
        0.02, "shift scheduling stops within this share of the optimal cost; 0 = prove it")

    @rule
    def _patterns(self) -> None:
        if self.schedule == "shifts" and not self.patterns:
            raise ConfigError(f"{AT}.patterns", [], "staffing.schedule=shifts needs at least one shift pattern")
        names: set = set()
        for i, p in enumerate(self.patterns):
            if not p.name or p.name in names:
                raise ConfigError(f"{AT}.patterns[{i}].name", p.name, "must be a non-empty name, different from "
                                                                      "the other patterns'")
            names.add(p.name)


class _Erlang(_Proposing):
    policy: Literal["erlang"] = doc("erlang", "the policy")


class _Optimize(_Proposing):
    WHEN: ClassVar[str] = _OPTIMIZE.why
    policy: Literal["optimize"] = doc("optimize", "the policy")
    optimize: OptimizeConfig = doc(OptimizeConfig, "the simulation-based policy")


def _clean(family: type) -> Any:
    """Before a plan is validated: refuse two forms, or an unknown policy; drop the keys of other variants left at
    their defaults, and refuse those that are set (naming the variant they need)."""

    def clean(v: Any, info: ValidationInfo) -> Any:
        if not isinstance(v, dict):
            return v
        policies = {c.model_fields["policy"].default for c in _FAMILIES[family].values() if "policy" in c.model_fields}
        if policies and v.get("policy", "plan") not in policies:
            raise ConfigError(f"{AT}.policy", v.get("policy"), f"unknown staffing policy; use one of "
                                                               f"{', '.join(STAFFING_POLICIES)}")
        given = [f for f in PLAN_FORMS if form_of({f: v.get(f)}) != "none"]
        if len(given) > 1 and not checking(info):  # a scenario file's shape: the command line may replace a form
            v = {k: x for k, x in v.items() if k not in given[1:]}
        elif len(given) > 1:
            if "operators" in given:
                other = f"{AT}.{given[1]}"
                raise ConfigError(f"{AT}.operators", v["operators"], f"conflicts with {other}: give exactly one of "
                                  f"operators, half_hourly, shifts (set {AT}.operators=0, or {other}=[])")
            raise ConfigError(f"{AT}.half_hourly", f"<{len(v['half_hourly'])} values>", f"conflicts with {AT}.shifts: "
                              "give exactly one of operators, half_hourly, shifts")
        variant = _FAMILIES[family][_tag(v)]
        out = {}
        for key, value in v.items():
            if key in variant.model_fields or key not in _SKELETONS[family]:
                out[key] = value  # its own key, or one no variant has (refused as unknown)
                continue
            found = first_difference(value, _SKELETONS[family][key], key)
            if found and checking(info):
                owner = next(c for c in _FAMILIES[family].values() if key in c.model_fields)
                meta = [m for m in owner.model_fields[key].metadata if isinstance(m, UsedOnlyWhen)]
                why = meta[0].why if meta else getattr(owner, "WHEN", f"used only with {key} given")
                raise ConfigError(f"{AT}.{found}", leaf(v, found), why)
        return out

    return clean


def _tag_of(policy: str, form: str) -> str:
    return f"<variant:{policy}|{form}>"


def _tag(v: Any) -> str:
    return _TAGS[type(v)] if type(v) in _TAGS else _tag_of(_get(v, "policy", "plan"), form_of(v))


def tagged(family: type, mixins: Tuple[Optional[type], ...] = (None,)) -> Any:
    """The tagged union of ``family``'s variants: a class per form and mixin (a policy), made and named here."""
    variants: Dict[str, Type[BaseModel]] = {}
    for mixin in mixins:
        for f, form in _FORMS.items():
            name = "_".join(x for x in (family.__name__, mixin.__name__.strip("_") if mixin else "", f) if x)
            cls: Type[BaseModel] = type(name, (form, mixin, family) if mixin else (form, family),
                                        {"__module__": __name__, "__qualname__": name, "__doc__": family.__doc__})
            setattr(sys.modules[__name__], name, cls)  # found by name when a configuration is pickled
            policy = cls.model_fields["policy"].default if "policy" in cls.model_fields else "plan"
            variants[_tag_of(policy, f)] = cls
            _TAGS[cls] = _tag_of(policy, f)
    _FAMILIES[family] = variants
    skeleton: Dict[str, Any] = {}
    for cls in variants.values():
        skeleton.update({k: v for k, v in cls.model_construct().model_dump().items() if k not in skeleton})
    _SKELETONS[family] = skeleton
    union = Union[tuple(Annotated[c, Tag(t)] for t, c in variants.items())]  # type: ignore[valid-type]
    return Annotated[union, Discriminator(_tag), BeforeValidator(_clean(family))]


def skeleton(family: type) -> Dict[str, Any]:
    """Every key of ``family``'s variants with its default (the data a composition starts from)."""
    return dict(_SKELETONS[family])


if TYPE_CHECKING:
    Group = GroupConfig
    Staffing = StaffingConfig
    FrontStaffing = FrontStaffingConfig
else:
    Group = tagged(GroupConfig)
    Staffing = tagged(StaffingConfig, (_Factor,))
    FrontStaffing = tagged(FrontStaffingConfig, (_PlanPolicy, _Erlang, _Optimize))
