"""Maximum-likelihood fits of the model's duration families, chosen by AIC, keeping the mean right.

For complete samples (handle times, redial delays) :func:`fit_durations` fits the
exponential, lognormal, gamma and Weibull families twice:

* by plain maximum likelihood (MLE), and
* by **mean-constrained** MLE: the likelihood maximised over the shape with the
  mean held at the sample mean.  For the exponential and gamma families the
  MLE already has the sample mean (the score equation of the scale says so); for
  the lognormal (``mu = log m - sigma^2 / 2``) and the Weibull (``lambda = m /
  Gamma(1 + 1/k)``) it is a one-dimensional search over ``sigma`` or ``k``.

A simulated centre's offered load is arrival rate x mean handle time, so a fit
whose mean is off by 5% shifts the load by 5% - more than most staffing
decisions are worth.  The family is therefore chosen by the AIC of the
mean-constrained fits (each counted with the same number of parameters as the
plain fit: the mean is estimated from the data), and the result reports how far
the plain MLE's mean is from the sample mean.  The goodness of fit is the
Kolmogorov-Smirnov distance ``D = sup |F_n - F|`` (with tens of thousands of
observations every family is "rejected" by a test; ``D`` says by how much).
The lognormal is what Brown et al. (2005, JASA 100(469)) found for
this kind of data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional

import numpy as np
from scipy import optimize, special, stats

FAMILIES = ("exponential", "lognormal", "gamma", "weibull")
N_PARAMS = {"exponential": 1, "lognormal": 2, "gamma": 2, "weibull": 2}


@dataclass
class Fit:
    """One family fitted to a sample.

    Attributes
    ----------
    family : str
        One of :data:`FAMILIES`.
    params : dict
        The family's natural parameters (``mean``; ``mu``/``sigma``; ``shape``/``scale``).
    loglik, aic : float
        Log-likelihood and Akaike's information criterion ``2k - 2 loglik``.
    mean, cv : float
        Mean and coefficient of variation of the fitted distribution (``inf`` if it has none).
    gof : float
        Kolmogorov-Smirnov distance to the empirical CDF (complete data) or the largest gap
        between the fitted survival and the Kaplan-Meier curve (censored data).
    """

    family: str
    params: Dict[str, float]
    loglik: float
    aic: float
    mean: float
    cv: float
    gof: float = math.nan

    def frozen(self) -> Any:
        """The fitted distribution as a frozen :mod:`scipy.stats` object."""
        return frozen(self.family, self.params)

    def spec(self) -> Dict[str, Any]:
        """The fit as a scenario distribution (``{dist, mean}`` or ``{dist, mean, cv}``)."""
        if self.family == "exponential":
            return {"dist": "exponential", "mean": self.mean}
        return {"dist": self.family, "mean": self.mean, "cv": self.cv}

    def as_dict(self) -> Dict[str, Any]:
        """JSON-ready summary."""
        return {"family": self.family, "params": self.params, "loglik": self.loglik, "aic": self.aic,
                "mean": self.mean, "cv": self.cv, "gof": self.gof}


def frozen(family: str, p: Dict[str, float]) -> Any:
    """A frozen :mod:`scipy.stats` distribution of ``family`` with parameters ``p``."""
    if family == "exponential":
        return stats.expon(scale=p["mean"])
    if family == "lognormal":
        return stats.lognorm(s=p["sigma"], scale=math.exp(p["mu"]))
    if family == "gamma":
        return stats.gamma(a=p["shape"], scale=p["scale"])
    return stats.weibull_min(c=p["shape"], scale=p["scale"])


def moments(family: str, p: Dict[str, float]) -> tuple[float, float]:
    """Mean and coefficient of variation of ``family`` with parameters ``p`` (``inf`` when they do not exist)."""
    if family == "exponential":
        return p["mean"], 1.0
    if family == "lognormal":
        s2 = p["sigma"] ** 2
        if s2 > 700:
            return math.inf, math.inf
        return math.exp(p["mu"] + s2 / 2), math.sqrt(math.expm1(s2))
    if family == "gamma":
        return p["shape"] * p["scale"], 1.0 / math.sqrt(p["shape"])
    k = p["shape"]
    if k < 0.02:
        return math.inf, math.inf
    g1, g2 = special.gamma(1 + 1 / k), special.gamma(1 + 2 / k)
    return p["scale"] * g1, math.sqrt(max(g2 / (g1 * g1) - 1.0, 0.0))


def make_fit(family: str, params: Dict[str, float], loglik: float) -> Fit:
    """A :class:`Fit` with AIC, mean and CV filled in."""
    mean, cv = moments(family, params)
    return Fit(family, {k: float(v) for k, v in params.items()}, float(loglik),
               2.0 * N_PARAMS[family] - 2.0 * float(loglik), float(mean), float(cv))


def _bounded(f: Callable[[float], float], lo: float, hi: float) -> float:
    """Argmax of ``f`` over ``[lo, hi]`` on a log scale (bounded Brent)."""
    res = optimize.minimize_scalar(lambda z: -f(math.exp(z)), bounds=(math.log(lo), math.log(hi)),
                                   method="bounded", options={"xatol": 1e-9})
    return math.exp(float(res.x))


def mle(family: str, x: np.ndarray) -> Fit:
    """Plain maximum-likelihood fit of ``family`` to the positive sample ``x``."""
    lx = np.log(x)
    if family == "exponential":
        p = {"mean": float(x.mean())}
    elif family == "lognormal":
        p = {"mu": float(lx.mean()), "sigma": float(max(lx.std(), 1e-9))}
    elif family == "gamma":
        a, _, scale = stats.gamma.fit(x, floc=0)
        p = {"shape": float(a), "scale": float(scale)}
    else:
        c, _, scale = stats.weibull_min.fit(x, floc=0)
        p = {"shape": float(c), "scale": float(scale)}
    return make_fit(family, p, float(np.sum(frozen(family, p).logpdf(x))))


def mean_constrained(family: str, x: np.ndarray) -> Fit:
    """Maximum likelihood with the mean fixed at the sample mean of ``x`` (see the module docstring)."""
    m = float(x.mean())
    if family in ("exponential", "gamma"):
        fit = mle(family, x)
        p = dict(fit.params)
        if family == "gamma":  # the gamma MLE has shape x scale = mean up to the optimiser's tolerance
            p["scale"] = m / p["shape"]
        return make_fit(family, p, float(np.sum(frozen(family, p).logpdf(x))))
    lx = np.log(x)
    if family == "lognormal":
        def ll_ln(sigma: float) -> float:
            mu = math.log(m) - sigma * sigma / 2
            return float(np.sum(-lx - math.log(sigma) - 0.5 * math.log(2 * math.pi) - (lx - mu) ** 2 / (2 * sigma**2)))
        sigma = _bounded(ll_ln, 1e-3, 20.0)
        p = {"mu": math.log(m) - sigma * sigma / 2, "sigma": sigma}
        return make_fit(family, p, ll_ln(sigma))

    def ll_wb(k: float) -> float:
        lam = m / special.gamma(1 + 1 / k)
        z = x / lam
        return float(np.sum(math.log(k / lam) + (k - 1) * np.log(z) - z**k))
    k = _bounded(ll_wb, 0.05, 50.0)
    p = {"shape": k, "scale": m / float(special.gamma(1 + 1 / k))}
    return make_fit(family, p, ll_wb(k))


def ks_distance(x_sorted: np.ndarray, cdf: Callable[[np.ndarray], np.ndarray]) -> float:
    """Kolmogorov-Smirnov distance between the sample (sorted) and the CDF."""
    n = len(x_sorted)
    f = cdf(x_sorted)
    i = np.arange(1, n + 1)
    return float(max(np.max(i / n - f), np.max(f - (i - 1) / n)))


@dataclass
class FitReport:
    """Fits of every family to one sample, and the choice."""

    n: int
    sample_mean: float
    sample_cv: float
    excluded_nonpositive: int
    constrained: Dict[str, Fit]
    plain: Dict[str, Fit]
    chosen: Fit

    def as_dict(self) -> Dict[str, Any]:
        """The ``handle_s``-style entry of ``calibration.json``."""
        c = self.chosen
        plain = self.plain[c.family]
        return {"family": c.family, "params": c.params, "mean": c.mean, "cv": c.cv, "sample_mean": self.sample_mean,
                "sample_cv": self.sample_cv, "mean_gap": c.mean / self.sample_mean - 1.0,
                "mle_mean": plain.mean, "mle_mean_gap": plain.mean / self.sample_mean - 1.0,
                "gof": {"statistic": "Kolmogorov-Smirnov D", "value": c.gof}, "n": self.n,
                "excluded_nonpositive": self.excluded_nonpositive,
                "estimator": "maximum likelihood with the mean held at the sample mean; family by AIC",
                "aic": {f: self.constrained[f].aic for f in self.constrained},
                "plain_mle": {f: fit.as_dict() for f, fit in self.plain.items()}}


def fit_durations(values: np.ndarray, families: tuple[str, ...] = FAMILIES) -> Optional[FitReport]:
    """Fit every family to the positive values of ``values``; None if fewer than 2 remain.

    Parameters
    ----------
    values : ndarray
        Durations (any unit); values <= 0 or NaN are left out and counted (a duration of 0 is
        below the log's resolution and has no density under these families).

    Returns
    -------
    FitReport or None
    """
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    x = np.sort(v[v > 0])
    if len(x) < 2 or float(np.ptp(x)) <= 0:
        return None
    constrained: Dict[str, Fit] = {}
    plain: Dict[str, Fit] = {}
    for fam in families:
        plain[fam] = mle(fam, x)
        fit = mean_constrained(fam, x)
        fit.gof = ks_distance(x, fit.frozen().cdf)
        constrained[fam] = fit
    chosen = min(constrained.values(), key=lambda f: f.aic)
    return FitReport(n=len(x), sample_mean=float(x.mean()), sample_cv=float(x.std() / x.mean()),
                     excluded_nonpositive=int(len(v) - len(x)), constrained=constrained, plain=plain, chosen=chosen)


def choice_table(reports: Dict[str, FitReport]) -> List[Dict[str, Any]]:
    """Rows ``{name, n, family, mean, sample_mean, mean_gap, cv, gof}`` for the report page."""
    return [{"name": k, "n": r.n, "family": r.chosen.family, "mean": r.chosen.mean, "sample_mean": r.sample_mean,
             "mle_mean_gap": r.plain[r.chosen.family].mean / r.sample_mean - 1.0, "cv": r.chosen.cv,
             "gof": r.chosen.gof} for k, r in reports.items()]
