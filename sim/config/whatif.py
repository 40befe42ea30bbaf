"""One-key what-ifs: all demand (``arrivals.demand_factor``), or every call handle time
(``calls.handle_factor``), multiplied by one factor (README, "Demand and handle-time what-ifs").

Both are applied where the scenario is compiled (:mod:`sim.model.derive`); their ranges are on their
fields.  This module holds the check of the handle times the factor makes (:func:`check_factors`) and the
scaling of a distribution given as data (:func:`scaled_dist`), which the check and the compilation share:
what is checked is what runs.
"""

from __future__ import annotations

from typing import Any, Dict

from sim.config.fields import SIZE_PARAMS, DistConfig
from sim.core.distributions import make_distribution
from sim.core.errors import ConfigError


def scaled_dist(dist: DistConfig, factor: float) -> DistConfig:
    """The distribution of ``factor x X`` for ``X ~ dist``, given as data in the same family and parameter set.

    Each of :data:`sim.config.fields.SIZE_PARAMS` is multiplied by ``factor``, ``cv`` and ``shape`` kept (the
    coefficient of variation is unchanged); ``factor == 1`` returns ``dist`` itself.

    Parameters
    ----------
    dist : DistConfig
        A distribution of the configuration.
    factor : float
        The multiplier, > 0.
    """
    if factor == 1.0:
        return dist
    sizes: Dict[str, Any] = {}
    for p in SIZE_PARAMS:
        value = getattr(dist, p)
        if value is not None:
            sizes[p] = [v * factor for v in value] if p == "values" else value * factor
    return dist.model_copy(update=sizes)


def check_factors(cfg: Any) -> None:
    """Every call handle time, multiplied by ``calls.handle_factor``, a valid distribution (a duration at most a
    century, finite moments); the factors' own ranges are on their fields.

    Raises
    ------
    ConfigError
        Naming the factor, its value and the handle time it makes too long.
    """
    f = cfg.calls.handle_factor
    if f == 1.0:
        return
    settings = [(f"calls.{k}", getattr(cfg.calls, k)) for k in ("handle_s", "handle_work_order_s", "handle_transfer_s")]
    settings += [(f"categories.{n}.{k}", getattr(cat, k)) for n, cat in cfg.categories.items()
                 for k in ("handle_s", "handle_work_order_s")]
    for key, dist in settings:
        if dist is None:
            continue
        try:
            make_distribution(scaled_dist(dist, f), key)
        except ConfigError as exc:
            raise ConfigError("calls.handle_factor", f, f"makes {exc.key}={exc.value}, which {exc.rule}") from None


__all__ = ["scaled_dist", "check_factors"]
