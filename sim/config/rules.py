"""The basic rules of configuration values: a number in a range, a probability, shares, weights, a plan.

Each check raises a :class:`~sim.core.errors.ConfigError` naming the key, the
value and the rule; :mod:`sim.config.validate` and
:mod:`sim.config.validate_backoffice` apply them to every key.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

from sim.config.schema import StaffingConfig
from sim.core.errors import ConfigError

SHARE_TOLERANCE = 1e-6


def check_number(key: str, value: float, lo: float = 0.0, hi: float = math.inf,
                 lo_open: bool = False, hi_open: bool = False) -> None:
    """Raise unless ``value`` is a finite number in the given range."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ConfigError(key, value, "must be a number") from None
    if not math.isfinite(v):
        raise ConfigError(key, value, "must be a finite number")
    bad_lo = v <= lo if lo_open else v < lo
    bad_hi = v >= hi if hi_open else v > hi
    if bad_lo or bad_hi:
        left = "(" if lo_open else "["
        right = ")" if hi_open else "]"
        if hi == math.inf:
            rule = f"must be {'>' if lo_open else '>='} {_fmt(lo)}"
        else:
            rule = f"must be in {left}{_fmt(lo)}, {_fmt(hi)}{right}"
        raise ConfigError(key, value, rule)


def check_probability(key: str, value: float) -> None:
    """Raise unless ``value`` is in [0, 1]."""
    check_number(key, value, 0.0, 1.0)


def check_shares(key: str, shares: dict[str, float], allowed: Iterable[str] | None = None) -> None:
    """Raise unless the named shares are non-negative, use known names and sum to 1."""
    if not shares:
        raise ConfigError(key, shares, "must not be empty")
    allowed_set = set(allowed) if allowed is not None else None
    for name, v in shares.items():
        if allowed_set is not None and name not in allowed_set:
            raise ConfigError(f"{key}.{name}", v, f"unknown name; use one of {', '.join(sorted(allowed_set))}")
        check_number(f"{key}.{name}", v)
    total = sum(float(v) for v in shares.values())
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise ConfigError(key, dict(shares), f"shares must sum to 1 (they sum to {total:.6g})")


def check_weights(key: str, weights: Sequence[float], length: int) -> None:
    """Raise unless ``weights`` has ``length`` non-negative values with a positive sum."""
    if len(weights) != length:
        raise ConfigError(key, list(weights), f"must have {length} values (has {len(weights)})")
    for i, w in enumerate(weights):
        check_number(f"{key}[{i}]", w)
    if sum(weights) <= 0:
        raise ConfigError(key, list(weights), "must have a positive sum")


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def check_staffing_plan(s: StaffingConfig, prefix: str, required: bool = True) -> None:
    """Check one staffing plan (front line, or the feedback team) whose keys start with ``prefix``.

    ``required=False`` (a staffing policy that proposes the plan) allows a plan with no form given.
    """
    check_number(f"{prefix}.operators", s.operators)
    check_number(f"{prefix}.shrinkage", s.shrinkage, 0.0, 1.0, hi_open=True)
    check_number(f"{prefix}.headcount_factor", s.headcount_factor, lo_open=True)
    if s.operators > 0 and (s.half_hourly or s.shifts):
        other = f"{prefix}.shifts" if s.shifts else f"{prefix}.half_hourly"
        raise ConfigError(f"{prefix}.operators", s.operators,
                          f"conflicts with {other}: give exactly one of operators, half_hourly, shifts "
                          f"(set {prefix}.operators=0, or {other}=[])")
    if s.half_hourly and s.shifts:
        raise ConfigError(f"{prefix}.half_hourly", f"<{len(s.half_hourly)} values>",
                          f"conflicts with {prefix}.shifts: give exactly one of operators, half_hourly, shifts")
    if required and s.operators <= 0 and not s.half_hourly and not s.shifts:
        raise ConfigError(f"{prefix}.operators", s.operators, "no staffing: set operators, half_hourly or shifts")
    if s.half_hourly:
        if len(s.half_hourly) not in (48, 336):
            raise ConfigError(f"{prefix}.half_hourly", f"<{len(s.half_hourly)} values>",
                              "must have 48 values (one day) or 336 (one week, Monday first)")
        for i, n in enumerate(s.half_hourly):
            check_number(f"{prefix}.half_hourly[{i}]", n)
    for i, sh in enumerate(s.shifts):
        key = f"{prefix}.shifts[{i}]"
        check_number(f"{key}.start_h", sh.start_h, 0.0, 24.0, hi_open=True)
        check_number(f"{key}.length_h", sh.length_h, 0.0, 24.0, lo_open=True)
        check_number(f"{key}.count", sh.count)
        for d in sh.days:
            check_number(f"{key}.days", d, 0, 6)
