"""How a setting states its rules where it is declared: type, range, unit, meaning, when it applies.

The reusable types (:data:`Probability`, :data:`Hours`...), the metadata the rules read (:class:`Range`,
:class:`Distinct`, :class:`UsedOnlyWhen`), :func:`doc` and :func:`rule` (how to use them:
``sim/config/README.md``).  Ranges and rules are checked when the configuration is
(:func:`sim.config.errors.config_of`); a model made in code (``ShiftConfig(count=3)``) checks only keys and
types, like a dataclass.  A rule raises :class:`~sim.core.errors.ConfigError` with keys that start at
:data:`AT`, which :mod:`sim.config.errors` replaces by the model's dotted key.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Callable, List, Optional

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError, core_schema

from sim.core.distributions import FAMILY_PARAMS, MAX_SIZE_S, duration_unit, make_distribution
from sim.core.errors import ConfigError

#: Parameters that set a distribution's shape, kept when it is scaled; every other parameter of
#: :data:`sim.core.distributions.FAMILY_PARAMS` sets a size and is multiplied.
SHAPE_PARAMS: tuple[str, ...] = ("cv", "shape")
SIZE_PARAMS: tuple[str, ...] = tuple(dict.fromkeys(
    p for options in FAMILY_PARAMS.values() for option in options for p in option if p not in SHAPE_PARAMS))
#: Stands for the dotted key of the model a rule is raised in (``calls.handle_s`` for ``<at>.cv``).
AT = "<at>"
#: A century (Julian years): the longest duration any setting may have, in hours.
CENTURY_H = MAX_SIZE_S / 3600.0


class FieldRule(ConfigError):
    """A field's own rule is broken (a range, a ceiling, a value listed twice): reported before other rules."""


class TypeRule(ConfigError):
    """A value of the wrong kind (a key the schema lacks, text for a number): reported first."""


def checking(info: Optional[ValidationInfo]) -> bool:
    """Whether this validation checks the rules (:func:`sim.config.errors.config_of`), or keys and types only (a
    model made in code, like a dataclass; a scenario file on its own)."""
    return bool(info is not None and info.context and info.context.get("check"))


def _fmt(x: float) -> str:
    if abs(x) >= 1e7:
        return f"{x:g}"  # 1e+12
    return str(int(x)) if float(x).is_integer() else str(x)


@dataclass(frozen=True)
class Range:
    """The values a number may take: ``[lo, hi]`` (an end may be open) and a ceiling with its reason.

    The ceiling bounds a setting that has no natural upper end, far above any real centre, so that
    every output computed from it stays finite (a cost x hours, hours x 3600).
    """

    lo: float = 0.0
    hi: float = math.inf
    lo_open: bool = False
    hi_open: bool = False
    ceiling: float = math.inf
    why: str = ""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.with_info_after_validator_function(self.check, handler(source))

    def check(self, v: Any, info: Optional[ValidationInfo] = None) -> Any:
        """Return ``v``, or raise :class:`FieldRule` naming the rule it breaks (when the configuration is checked)."""
        return self.apply(v) if v is not None and checking(info) else v

    def at(self, key: str, v: Any) -> Any:
        """:meth:`apply`, the error naming ``key``."""
        try:
            return self.apply(v)
        except ConfigError as exc:
            raise ConfigError(key, v, exc.rule) from None

    def apply(self, v: Any) -> Any:
        """Return ``v``, or raise :class:`FieldRule` naming the rule it breaks."""
        if not math.isfinite(v):
            raise FieldRule(AT, v, "must be a finite number")
        if v > self.ceiling:
            raise FieldRule(AT, v, f"must be <= {self.ceiling:,.0f} ({self.why})")
        if (v <= self.lo if self.lo_open else v < self.lo) or (v >= self.hi if self.hi_open else v > self.hi):
            if self.hi == math.inf:
                raise FieldRule(AT, v, f"must be {'>' if self.lo_open else '>='} {_fmt(self.lo)}")
            raise FieldRule(AT, v, f"must be in {'(' if self.lo_open else '['}{_fmt(self.lo)}, "
                                   f"{_fmt(self.hi)}{')' if self.hi_open else ']'}")
        return v


class Distinct:
    """On a list: its values form a set, so a value listed twice is refused (the repeat would change nothing)."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.with_info_after_validator_function(self.check, handler(source))

    @staticmethod
    def check(items: List[Any], info: Optional[ValidationInfo] = None) -> List[Any]:
        seen: set = set()
        for v in items if checking(info) else ():
            if v in seen:
                raise FieldRule(AT, list(items), f"{v!r} is listed twice: each value counts once, so the repeat "
                                                 "changes nothing (give each value once)")
            seen.add(v)
        return items


@dataclass(frozen=True)
class UsedOnlyWhen:
    """The model reads the field only when ``when(cfg, owner)`` holds (``cfg`` the whole configuration,
    ``owner`` the model holding the field; with ``each``, on a mapping: ``when(cfg, name)`` for each entry).

    ``why`` is the condition as the error says it ("used only with ...").
    """

    when: Callable[[Any, Any], bool]
    why: str
    each: bool = False


def _number(v: Any) -> Any:
    if isinstance(v, bool):
        raise PydanticCustomError("rule", "must be a number, not true/false")
    return v


def _whole(v: Any) -> Any:
    if isinstance(v, bool):
        raise PydanticCustomError("rule", "must be a whole number, not true/false")
    if isinstance(v, float) or (isinstance(v, str) and not v.strip().lstrip("+-").isdigit()):
        raise PydanticCustomError("rule", "must be a whole number")
    return v


Number = Annotated[float, BeforeValidator(_number)]
Whole = Annotated[int, BeforeValidator(_whole)]
#: A number >= 0 / > 0; a probability; a count (a whole number >= 0).
NonNegative = Annotated[Number, Range()]
Positive = Annotated[Number, Range(lo_open=True)]
Probability = Annotated[Number, Range(0.0, 1.0)]
Open01 = Annotated[Number, Range(0.0, 1.0, lo_open=True, hi_open=True)]
Count = Annotated[Whole, Range()]
#: A duration in hours or seconds (>= 0, or > 0), at most a century.
Hours = Annotated[Number, Range(ceiling=CENTURY_H, why="a century, in hours")]
PositiveHours = Annotated[Number, Range(lo_open=True, ceiling=CENTURY_H, why="a century, in hours")]
Seconds = Annotated[Number, Range(ceiling=CENTURY_H * 3600.0, why="a century, in seconds")]
PositiveSeconds = Annotated[Number, Range(lo_open=True, ceiling=CENTURY_H * 3600.0, why="a century, in seconds")]
#: A time of day in hours, ``0 <= h < 24``; a weekday, 0 = Monday.
TimeOfDay = Annotated[Number, Range(0.0, 24.0, hi_open=True)]
Weekday = Annotated[Whole, Range(0, 6)]


def check_half_hours(key: str, values: Any, lengths: tuple = (48, 336)) -> None:
    """Refuse a list per half-hour that is neither a day's (48 values) nor a week's (336, Monday first)."""
    if len(values) not in lengths:
        raise ConfigError(key, f"<{len(values)} values>", "must have 48 values (one day) or 336 (one week, "
                                                           "Monday first)")


def doc(default: Any, text: str) -> Any:
    """A field's default and its one-line meaning; a callable default (``list``, :func:`dist`) makes each value."""
    if isinstance(default, type) and issubclass(default, BaseModel):
        return Field(default_factory=default.model_construct, description=text)  # a section's defaults, unchecked
    if callable(default):
        return Field(default_factory=default, description=text)
    return Field(default, description=text)


def plain(value: Any) -> Any:
    """A model as data (its dump); anything else as it is."""
    return value.model_dump() if isinstance(value, BaseModel) else value


def first_difference(value: Any, default: Any, key: str) -> Optional[str]:
    """The dotted key of the first place where ``value`` differs from ``default`` (None if equal).

    Mappings and models are compared key by key; a distribution, a list or a number is one value.
    """
    value, default = plain(value), plain(default)
    if value == default:
        return None
    if isinstance(value, dict) and isinstance(default, dict) and not isinstance(value.get("dist"), str):
        for name in value:
            if name not in default:
                return f"{key}.{name}"
            found = first_difference(value[name], default[name], f"{key}.{name}")
            if found:
                return found
        return next((f"{key}.{name}" for name in default if name not in value), key)
    return key


def leaf(data: Any, key: str) -> Any:
    """The value at dotted ``key`` of ``data`` as an error shows it (a distribution's set parameters, ``<set>``)."""
    for part in key.split("."):
        data = data.get(part) if isinstance(data, dict) else getattr(data, part, None)
    data = plain(data)
    if isinstance(data, dict) and isinstance(data.get("dist"), str):
        return {k: v for k, v in data.items() if v is not None}
    return "<set>" if isinstance(data, (dict, list)) and len(str(data)) > 60 else data


def rule(fn: Callable[[Any], None]) -> Any:
    """A rule relating fields of one model (an after ``model_validator``), skipped for a scenario file's shape."""

    def check(self: Any, info: ValidationInfo) -> Any:
        if checking(info):
            fn(self)
        return self

    check.__doc__ = fn.__doc__
    return model_validator(mode="after")(check)


class Model(BaseModel):
    """A section of the configuration: unknown keys refused, numbers given as text read as text, and every
    distribution it holds built once to check it (:func:`sim.core.distributions.make_distribution`)."""

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, validate_default=False)

    @model_validator(mode="after")
    def _distributions(self, info: ValidationInfo) -> Any:
        if not checking(info):
            return self
        for name in type(self).model_fields:
            value = getattr(self, name)
            for key, d in [(name, value)] if isinstance(value, DistConfig) else \
                    [(f"{name}.{k}", v) for k, v in value.items()] if isinstance(value, dict) else []:
                if isinstance(d, DistConfig):
                    _in_a_century(d, f"{AT}.{key}")
                    make_distribution(d, f"{AT}.{key}")
        return self


def _in_a_century(d: Any, key: str) -> None:
    """Each size of a distribution (mean, median, bounds, values...) at most a century in its key's unit."""
    unit = duration_unit(key)
    if unit not in ("h", "s"):
        return
    limit = CENTURY_H * (3600.0 if unit == "s" else 1.0)
    for p in SIZE_PARAMS:
        for i, v in enumerate((getattr(d, p) or []) if p == "values" else [getattr(d, p)]):
            if v is not None and math.isfinite(v) and v > limit:
                raise FieldRule(f"{key}.{p}" + (f"[{i}]" if p == "values" else ""), v, f"must be <= {limit:,.0f} "
                                f"(a century, in {'hours' if unit == 'h' else 'seconds'})")


if TYPE_CHECKING:
    from pydantic._internal._model_construction import ModelMetaclass as _FamilyFirst
else:
    class _FamilyFirst(type(BaseModel)):
        """Lets ``DistConfig("exponential", mean=300)`` name the family first (a custom ``__init__`` would lose
        the validation's context)."""

        def __call__(cls, *args: Any, **data: Any) -> Any:
            return super().__call__(**({"dist": args[0]} if args else {}), **data)


class DistConfig(Model, metaclass=_FamilyFirst):
    """A probability distribution given as data, e.g. ``{dist: lognormal, mean: 300, cv: 0.6}``; its unit is the
    unit of the key that holds it (``handle_s`` in seconds, ``resolution_h`` in hours)."""

    dist: str = doc(..., "family: exponential, lognormal, gamma, weibull, uniform, constant or empirical")
    mean: Optional[Number] = doc(None, "mean (exponential; lognormal, gamma, weibull with cv)")
    cv: Optional[Annotated[Number, Range(ceiling=100.0, why="a coefficient of variation")]] = doc(
        None, "coefficient of variation, sd / mean (lognormal, gamma, weibull)")
    median: Optional[Number] = doc(None, "median (lognormal given median and p90)")
    p90: Optional[Number] = doc(None, "90th percentile (lognormal given median and p90)")
    shape: Optional[Annotated[Number, Range(ceiling=1e6, why="a distribution's shape parameter")]] = doc(
        None, "shape parameter (gamma, weibull; with scale)")
    scale: Optional[Number] = doc(None, "scale parameter (gamma, weibull; with shape)")
    low: Optional[Number] = doc(None, "lower bound (uniform)")
    high: Optional[Number] = doc(None, "upper bound (uniform)")
    value: Optional[Number] = doc(None, "the value (constant)")
    values: Optional[List[Number]] = doc(None, "observed values, resampled with equal weight (empirical)")

#: The parameters of a distribution (every field of :class:`DistConfig` but its family).
DIST_PARAMS: tuple[str, ...] = tuple(f for f in DistConfig.model_fields if f != "dist")


def dist(family: str, **params: Any) -> Any:
    """A default distribution (for ``Field(default_factory=...)``)."""
    return lambda: DistConfig(dist=family, **params)
