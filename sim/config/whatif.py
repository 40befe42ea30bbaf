"""One-key what-ifs: all demand, or every call handle time, multiplied by one factor.

A planner's first questions are "what if demand were 20% higher" and "what if
calls took 10% longer".  Each is one key, which a sweep can move
(``-m arrivals.demand_factor=1.0,1.1,1.2``):

* ``arrivals.demand_factor`` multiplies the volume of every arrival process -
  every channel and, through the category shares, every category - before
  anything else: the weekday factors, the hourly profile (24 or 168 weights) and
  the surges apply to the multiplied volume as they did to the scenario's, so
  the demand's shape over the day, the week and a surge is kept;
* ``calls.handle_factor`` multiplies every call handle-time distribution: the
  direct answer (``calls.handle_s``), the work order
  (``calls.handle_work_order_s``), the transfer to emergency services
  (``calls.handle_transfer_s``, which transferred online items use too) and each
  category's own (``categories.<name>.handle_s``, ``handle_work_order_s``),
  whatever the fall-back chain picks; callbacks and operator groups draw their
  calls' handle times from these.  Each distribution keeps its shape: the new
  handle time is ``f x`` the old one, so its mean is ``f`` times and its
  coefficient of variation (and every shape parameter) unchanged.  Online
  items' operator time (``online.handle_s``) and return-visit talk
  (``feedback.talk_s``) are not call handle times and keep their own keys.

Both are applied where the scenario is compiled (:mod:`sim.model.derive`), so
the model, the staffing policies and the checks before a run read the
multiplied values, computed once.  The range of both is on their fields
(:mod:`sim.config.schema`); this module holds the check of the handle times the
factor makes (:func:`check_factors`) and the scaling of a distribution given as
data (:func:`scaled_dist`), which the check and the compilation share: what is
checked is what runs.  A factor of 1 leaves every value untouched.
"""

from __future__ import annotations

from typing import Any, Dict, Tuple

from sim.config.fields import DistConfig
from sim.core.distributions import FAMILY_PARAMS, make_distribution
from sim.core.errors import ConfigError

#: Parameters that set a distribution's shape, kept when it is scaled; every other parameter of
#: :data:`sim.core.distributions.FAMILY_PARAMS` sets a size and is multiplied.
SHAPE_PARAMS: Tuple[str, ...] = ("cv", "shape")
SIZE_PARAMS: Tuple[str, ...] = tuple(dict.fromkeys(
    p for options in FAMILY_PARAMS.values() for option in options for p in option if p not in SHAPE_PARAMS))


def scaled_dist(dist: DistConfig, factor: float) -> DistConfig:
    """The distribution of ``factor x X`` for ``X ~ dist``, given as data in the same family and parameter set.

    Every size parameter (``mean``, ``median``, ``p90``, ``scale``, ``low``, ``high``, ``value``, each of
    ``values``) is multiplied by ``factor``; ``cv`` and ``shape`` are kept, so the coefficient of variation
    is unchanged.  ``factor == 1`` returns ``dist`` itself.

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


__all__ = ["SHAPE_PARAMS", "SIZE_PARAMS", "scaled_dist", "check_factors"]
