"""Probability distributions given as data and sampled by inversion.

A scenario never contains code: a distribution is a small mapping such as
``{dist: lognormal, mean: 300, cv: 0.6}`` (any object with the attributes of
:class:`DistSpec`; the configuration's is :class:`sim.config.schema.DistConfig`).
:func:`make_distribution` checks the parameters and returns a
:class:`Distribution` whose :meth:`~Distribution.ppf` maps uniform numbers to
values (inverse-transform sampling).  Sampling by inversion is what makes common
random numbers work well: a resident's uniform draw is fixed by the seed, so the
same resident gets a proportionally longer handle time when the scenario's mean
grows, instead of an unrelated one.  All families are vectorised over NumPy
arrays; draws are never negative.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, NoReturn, Optional, Protocol, Sequence

import numpy as np
from scipy import special

from sim.core import limited
from sim.core.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import ArrayLike

#: Parameter sets each family accepts (each inner tuple is one complete way to specify it).
FAMILY_PARAMS: dict[str, tuple[tuple[str, ...], ...]] = {
    "exponential": (("mean",),),
    "lognormal": (("mean", "cv"), ("median", "p90")),
    "gamma": (("mean", "cv"), ("shape", "scale")),
    "weibull": (("mean", "cv"), ("shape", "scale")),
    "uniform": (("low", "high"),),
    "constant": (("value",),),
    "empirical": (("values",),),
}
#: Distribution families, in the order of :data:`FAMILY_PARAMS`.
DIST_FAMILIES: tuple[str, ...] = tuple(FAMILY_PARAMS)
_ALL_PARAMS = ("mean", "cv", "median", "p90", "shape", "scale", "low", "high", "value", "values")
_Z90 = float(special.ndtri(0.9))


class DistSpec(Protocol):
    """A distribution given as data: its family and the parameters of :data:`FAMILY_PARAMS` (unset ones None)."""

    @property
    def dist(self) -> str: ...

    @property
    def mean(self) -> Optional[float]: ...

    @property
    def cv(self) -> Optional[float]: ...

    @property
    def median(self) -> Optional[float]: ...

    @property
    def p90(self) -> Optional[float]: ...

    @property
    def shape(self) -> Optional[float]: ...

    @property
    def scale(self) -> Optional[float]: ...

    @property
    def low(self) -> Optional[float]: ...

    @property
    def high(self) -> Optional[float]: ...

    @property
    def value(self) -> Optional[float]: ...

    @property
    def values(self) -> Optional[Sequence[float]]: ...


@dataclass(frozen=True)
class Distribution:
    """A validated distribution: inverse CDF plus its first two moments.

    Attributes
    ----------
    family : str
        Family name, e.g. ``"lognormal"``.
    mean : float
        Mean of the distribution.
    variance : float
        Variance of the distribution.
    params : tuple
        Canonical parameters (family specific), for display.
    """

    family: str
    mean: float
    variance: float
    params: tuple
    _ppf: Callable[[np.ndarray], np.ndarray]
    _limited: Callable[[np.ndarray, int], np.ndarray]

    def ppf(self, u: ArrayLike) -> np.ndarray:
        """Return the quantiles of the uniform numbers ``u`` (inverse CDF)."""
        return self._ppf(np.asarray(u, dtype=float))

    def limited_moment(self, x: ArrayLike, n: int = 1) -> np.ndarray:
        """``E[min(S, x)^n]`` for ``n`` = 1 or 2, exactly (:mod:`sim.core.limited`); ``x <= 0`` gives 0.

        ``limited_moment(x, 1) = integral_0^x P(S > s) ds`` is what the infinite-server model of a
        time-varying queue needs (the modified offered load, :mod:`sim.analysis.offered_load`).

        Raises
        ------
        ValueError
            If ``n`` is not 1 or 2.
        """
        if n not in (1, 2):
            raise ValueError(f"n must be 1 or 2, got {n!r}")
        return self._limited(np.asarray(x, dtype=float), n)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` values from ``rng`` by inversion."""
        return self.ppf(rng.random(size))

    @property
    def cv(self) -> float:
        """Coefficient of variation (0 for a constant)."""
        return math.sqrt(self.variance) / self.mean if self.mean > 0 else 0.0

    def scaled(self, factor: float) -> "Distribution":
        """The same distribution with every value multiplied by ``factor`` (a unit change)."""
        f = float(factor)

        def ppf(u: np.ndarray, p: Callable[[np.ndarray], np.ndarray] = self._ppf) -> np.ndarray:
            return p(u) * f

        return Distribution(self.family, self.mean * f, self.variance * f * f, self.params, ppf,
                            limited.scaled(self._limited, f))


def _a(family: str) -> str:
    """The family with its article: "an exponential", "a gamma", "a uniform"."""
    return f"{'an' if family[:1] in 'aeio' else 'a'} {family}"  # a uniform: 'u' as in 'you'


def make_distribution(cfg: DistSpec, key: str) -> Distribution:
    """Validate ``cfg`` and build its :class:`Distribution`.

    Parameters
    ----------
    cfg : DistSpec
        The distribution as data.
    key : str
        Dotted config path of ``cfg``, used in error messages.

    Returns
    -------
    Distribution

    Raises
    ------
    ConfigError
        Unknown family, a missing or superfluous parameter, a value out of range, or parameters whose
        distribution has no finite mean or variance (``median: 1e-300, p90: 1000``).
    """
    if cfg.dist not in DIST_FAMILIES:
        raise ConfigError(f"{key}.dist", cfg.dist, f"unknown distribution; use one of {', '.join(DIST_FAMILIES)}")
    given = tuple(p for p in _ALL_PARAMS if getattr(cfg, p) is not None)
    options = FAMILY_PARAMS[cfg.dist]
    for extra in given:
        if not any(extra in opt for opt in options):
            uses = " or ".join("+".join(o) for o in options)
            raise ConfigError(f"{key}.{extra}", getattr(cfg, extra),
                              f"not a parameter of {_a(cfg.dist)} distribution (it takes {uses}; "
                              f"when changing the family set the others to null, e.g. {key}.{extra}=null)")
    chosen = next((opt for opt in options if all(p in given for p in opt)), None)
    if chosen is None:
        uses = " or ".join("+".join(o) for o in options)
        closest = max(options, key=lambda opt: sum(p in given for p in opt))  # the set the user started
        missing = next(p for p in closest if p not in given)
        raise ConfigError(f"{key}.{missing}", None, f"required: {_a(cfg.dist)} distribution takes {uses}")
    leftover = [p for p in given if p not in chosen]
    if leftover:
        raise ConfigError(f"{key}.{leftover[0]}", getattr(cfg, leftover[0]),
                          f"conflicts with {'+'.join(chosen)}; give one parameter set")
    try:
        with np.errstate(all="ignore"):
            dist = _BUILDERS[cfg.dist](cfg, key, chosen)
    except OverflowError:
        shown = ", ".join(f"{p}: {getattr(cfg, p):g}" for p in chosen)
        rule = "the mean or the variance of this distribution is not a finite number (an overflow): bring its " \
               "parameters closer"
        raise ConfigError(key, f"<{cfg.dist} {shown}>", rule) from None
    _check_moments(dist, cfg, key, chosen)
    return dist


#: Seconds per unit of a duration, by the suffix of its key (``handle_s``, ``delay_h``, ``interval_min``).
UNIT_S: dict[str, float] = {"s": 1.0, "min": 60.0, "h": 3600.0}
_UNIT_NAMES = {"s": "seconds", "min": "minutes", "h": "hours"}
#: The largest size a duration's parameters and median may have, in seconds: a century (of Julian years); every
#: other duration setting has the same ceiling (:mod:`sim.config.fields`).
#: Longer says "never" no better (a patience of 1e9 s, 32 years, is the usual "nobody hangs up"), and
#: draws from it would near the range of a float and overflow the clock.
MAX_SIZE_S = 100 * 365.25 * 86400.0
_UNIT_OF_KEY = re.compile(r"_(s|min|h)(?:_by_\w+)?$")


def duration_unit(key: str) -> Optional[str]:
    """The unit of the duration at dotted ``key``: the suffix of its last part that has one (None if none does).

    ``"calls.handle_s"`` -> ``"s"``; ``"workorders.dispatch_delay_h.general"`` and
    ``"workorders.resolution_h_by_urgency.general"`` -> ``"h"``.
    """
    for part in reversed(re.sub(r"\[\d+\]", "", key).split(".")):
        m = _UNIT_OF_KEY.search(part)
        if m:
            return m.group(1)
    return None


def _check_moments(dist: Distribution, cfg: DistSpec, key: str, chosen: Sequence[str]) -> None:
    """Refuse a distribution of absurd size: a parameter or median beyond :data:`MAX_SIZE_S`, or overflow.

    Each parameter that sets a size (``mean``, ``median``, ``p90``, ``scale``, ``low``, ``high``,
    ``value``, ``values``) and the median must be at most a century in the key's unit
    (``{dist: exponential, mean: 1e308}`` for a delay in hours would overflow the clock); the mean, the
    variance and the largest draw must be finite (a ``gamma`` with ``cv: 1e200`` has neither mean nor
    variance).  A heavy tail with a moderate median stays allowed: a lognormal fitted to close times with
    a median of 4 h and a 90th percentile of 60 years (a mean of 1e19 h) is what a log of requests that
    are often never closed gives, and its draws are finite.
    """
    unit = duration_unit(key)
    ceiling = MAX_SIZE_S / UNIT_S[unit] if unit else math.inf
    name = _UNIT_NAMES[unit] if unit else ""
    spread = [p for p in chosen if p in ("cv", "shape")]
    scales = [p for p in chosen if p not in ("cv", "shape")]
    sizes = {p: max(getattr(cfg, p)) if p == "values" else float(getattr(cfg, p)) for p in scales}
    largest = max(scales, key=lambda p: sizes[p])

    def fail(param: str, rule: str) -> NoReturn:
        value = getattr(cfg, param)
        raise ConfigError(f"{key}.{param}", list(value) if param == "values" else value, rule)

    if sizes[largest] > ceiling:
        fail(largest, f"must be <= {ceiling:,.0f} (a century, in {name})")
    with np.errstate(all="ignore"):
        median, top = (float(x) for x in dist.ppf(np.array([0.5, 1.0 - 2.0**-53])))
    blame = spread[0] if spread else largest
    for what, v in (("mean", dist.mean), ("variance", dist.variance), ("largest draw", top)):
        if not math.isfinite(v):
            fail(blame, f"gives no finite {what} ({cfg.dist} with {'+'.join(chosen)}): use values of a "
                        "sensible size")
    if median > ceiling:
        fail(largest, f"gives a median of {median:.4g} {name}; a duration's median must be at most a century "
                      f"({ceiling:,.0f} {name})")


def _positive(key: str, value: Optional[float], strict: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        what = type(value).__name__ if isinstance(value, (bool, list, dict, tuple)) else "a non-number"
        raise ConfigError(key, value, f"must be a number, not {what}")
    v = float(value)
    if not math.isfinite(v):
        raise ConfigError(key, value, "must be a finite number")
    if v <= 0 if strict else v < 0:
        raise ConfigError(key, value, "must be > 0" if strict else "must be >= 0")
    return v


def _exponential(cfg: DistSpec, key: str, chosen: Sequence[str]) -> Distribution:
    m = _positive(f"{key}.mean", cfg.mean)
    return Distribution("exponential", m, m * m, (m,), lambda u: -m * np.log1p(-u), limited.exponential(m))


def _lognormal(cfg: DistSpec, key: str, chosen: Sequence[str]) -> Distribution:
    if "mean" in chosen:
        m = _positive(f"{key}.mean", cfg.mean)
        cv = _positive(f"{key}.cv", cfg.cv, strict=False)
        sigma = math.sqrt(math.log1p(cv * cv))
        mu = math.log(m) - sigma * sigma / 2
    else:
        med = _positive(f"{key}.median", cfg.median)
        p90 = _positive(f"{key}.p90", cfg.p90)
        if p90 < med:
            raise ConfigError(f"{key}.p90", cfg.p90, f"must be >= median ({cfg.median})")
        mu, sigma = math.log(med), math.log(p90 / med) / _Z90
    mean = _exp(mu + sigma * sigma / 2)  # inf where it overflows: refused by _check_moments
    var = (_exp(sigma * sigma) - 1) * mean * mean
    if sigma == 0.0:  # cv = 0 or p90 = median: a constant (avoids 0 x -inf at u = 0)
        value = float(cfg.mean if "mean" in chosen else cfg.median)  # type: ignore[arg-type]
        return Distribution("lognormal", value, 0.0, (mu, sigma), lambda u: np.full(np.shape(u), value),
                            limited.constant(value))
    return Distribution("lognormal", mean, var, (mu, sigma),
                        lambda u: np.exp(mu + sigma * special.ndtri(u)), limited.lognormal(mu, sigma))


def _exp(x: float) -> float:
    """``exp(x)``, or inf where it overflows (``math.exp`` raises OverflowError)."""
    return math.exp(x) if x < 709.0 else math.inf


def _shape_scale(cfg: DistSpec, key: str, chosen: Sequence[str]) -> tuple[float, float]:
    return _positive(f"{key}.shape", cfg.shape), _positive(f"{key}.scale", cfg.scale)


def _gamma(cfg: DistSpec, key: str, chosen: Sequence[str]) -> Distribution:
    if "mean" in chosen:
        m = _positive(f"{key}.mean", cfg.mean)
        cv = _positive(f"{key}.cv", cfg.cv)
        k, theta = 1.0 / (cv * cv), m * cv * cv
    else:
        k, theta = _shape_scale(cfg, key, chosen)
    return Distribution("gamma", k * theta, k * theta * theta, (k, theta),
                        lambda u: theta * special.gammaincinv(k, u), limited.gamma(k, theta))


def _weibull_cv(k: float) -> float:
    g1, g2 = special.gamma(1 + 1 / k), special.gamma(1 + 2 / k)
    return math.sqrt(max(g2 / (g1 * g1) - 1, 0.0))


def _weibull(cfg: DistSpec, key: str, chosen: Sequence[str]) -> Distribution:
    if "mean" in chosen:
        m = _positive(f"{key}.mean", cfg.mean)
        cv = _positive(f"{key}.cv", cfg.cv)
        if not 0.01 <= cv <= 20:
            raise ConfigError(f"{key}.cv", cfg.cv, "must be in [0.01, 20] for a weibull distribution")
        from scipy import optimize  # here: importing it costs a fifth of a second at the start of every run

        k = optimize.brentq(lambda s: _weibull_cv(s) - cv, 0.05, 500.0, xtol=1e-12)
        lam = m / special.gamma(1 + 1 / k)
    else:
        k, lam = _shape_scale(cfg, key, chosen)
    g1, g2 = special.gamma(1 + 1 / k), special.gamma(1 + 2 / k)
    with np.errstate(over="ignore", invalid="ignore"):  # a tiny shape: no finite moments (refused after)
        mean, var = lam * g1, lam * lam * (g2 - g1 * g1)
    return Distribution("weibull", mean, var, (k, lam),
                        lambda u: lam * np.power(-np.log1p(-u), 1.0 / k), limited.weibull(k, lam))


def _uniform(cfg: DistSpec, key: str, chosen: Sequence[str]) -> Distribution:
    lo = _positive(f"{key}.low", cfg.low, strict=False)
    hi = float(cfg.high)  # type: ignore[arg-type]
    if not math.isfinite(hi) or hi < lo:
        raise ConfigError(f"{key}.high", cfg.high, f"must be >= low ({cfg.low})")
    width = hi - lo
    lim = limited.uniform(lo, hi) if width > 0 else limited.constant(lo)
    return Distribution("uniform", (lo + hi) / 2, width * width / 12, (lo, hi), lambda u: lo + width * u, lim)


def _constant(cfg: DistSpec, key: str, chosen: Sequence[str]) -> Distribution:
    return constant(_positive(f"{key}.value", cfg.value, strict=False))


def constant(value: float) -> Distribution:
    """The distribution that is always ``value`` (finite, >= 0), for a quantity computed from settings.

    Unlike :func:`make_distribution`, it validates no setting and names no key: a computed value
    (a deadline in seconds) is the checks' business where the settings it comes from are typed.

    Raises
    ------
    ValueError
        ``value`` is negative or not finite.
    """
    v = float(value)
    if not (math.isfinite(v) and v >= 0):
        raise ValueError(f"a constant distribution needs a finite value >= 0, not {value!r}")
    return Distribution("constant", v, 0.0, (v,), lambda u: np.full(np.shape(u), v), limited.constant(v))


def _empirical(cfg: DistSpec, key: str, chosen: Sequence[str]) -> Distribution:
    vals = list(cfg.values or [])
    if not vals:
        raise ConfigError(f"{key}.values", vals, "must hold at least one value")
    for i, v in enumerate(vals):
        _positive(f"{key}.values[{i}]", v, strict=False)
    arr = np.sort(np.asarray(vals, dtype=float))
    n = len(arr)

    def ppf(u: np.ndarray) -> np.ndarray:
        return arr[np.minimum((u * n).astype(np.int64), n - 1)]

    return Distribution("empirical", float(arr.mean()), float(arr.var()), (n,), ppf, limited.empirical(arr))


_BUILDERS: dict[str, Callable[[DistSpec, str, Sequence[str]], Distribution]] = {
    "exponential": _exponential, "lognormal": _lognormal, "gamma": _gamma, "weibull": _weibull,
    "uniform": _uniform, "constant": _constant, "empirical": _empirical,
}
