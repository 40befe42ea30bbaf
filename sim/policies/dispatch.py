"""Dispatch policies of the work-order side: the path of an order, and which unit gets it.

**``workorders.dispatch``** - the path from the hotline to the handling unit:

* ``direct`` - straight to the handling unit.  Beijing's practice since the
  2019 reform: requests with clear jurisdiction go directly to the
  street/township ("whistle-blowing" straight to the street; 431,000 of 3.049 M
  calls in the first half of 2019, ``../shared/facts.md`` section 2).
* ``via_district`` - the practice before: an order for a unit that belongs to a
  district (a street) goes to that district first, which reviews it for
  ``workorders.district_review_h`` (in its working hours) and forwards it; the
  review catches a misrouted order (one sent to a wrong street) with
  ``workorders.district_catch_probability`` and redirects it to the right one.
  Orders for districts, departments and utilities go direct either way.  The
  dispatch time (end of the call to arrival at the handling unit) includes the
  district's review, and the dispatch limit is checked against it.

**``workorders.assignment``** - for a category that several units can handle (a
unit type, not a named unit):

* ``weights`` - the unit drawn by the type's weights (or Zipf law) when the
  resident is created: location decides;
* ``least_loaded`` - the unit of the drawn unit's type (only the types in
  ``workorders.assignment_types``; empty = all) with the fewest open orders per
  case worker at the moment the order is created (orders assigned and not yet
  closed, over the unit's case slots); a tie keeps the drawn unit, then the
  lowest unit number.  A join-the-shortest-queue rule, optimal for identical
  servers (Winston 1977, "Optimality of the shortest line discipline", J.
  Applied Probability 14; Weber 1978, ibid. 15); it treats the units of a type
  as interchangeable, so for streets it is a what-if (pooled handling), not
  Beijing's geography.  A misrouted order keeps its offset within the type
  from the drawn unit, so it still goes to a wrong unit.

A triage-accuracy what-if needs no policy: ``workorders.misroute_probability``
is drawn per resident against one uniform number, so halving it (assisted
classification) misroutes a subset of the same residents.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.policies.registry import Registry


@dataclass(frozen=True)
class Dispatch:
    """The path of an order.

    Attributes
    ----------
    name : str
        The value of ``workorders.dispatch``.
    via_district : bool
        Whether a street's orders pass its district first.
    """

    name: str
    via_district: bool

    def first_stop(self, unit: int, district_of: np.ndarray) -> int:
        """The district an order for ``unit`` passes first, or -1 (straight to the unit)."""
        if not self.via_district:
            return -1
        return int(district_of[unit])


@dataclass(frozen=True)
class Assignment:
    """Which unit of a type gets an order.

    Attributes
    ----------
    name : str
        The value of ``workorders.assignment``.
    by_load : bool
        Whether the choice depends on the units' open orders (the back office then keeps them).  The back office
        calls :meth:`choose` only when it does (:meth:`sim.model.backoffice.BackOffice.create`), for the unit
        types of ``workorders.assignment_types``: a new rule is a subclass overriding :meth:`choose`, registered
        in :data:`ASSIGNMENT` with ``by_load=True``.  ``weights`` is the one policy without (the drawn unit).
    """

    name: str
    by_load: bool

    def choose(self, drawn: int, first: int, load: np.ndarray) -> int:
        """The unit that gets the order.

        Parameters
        ----------
        drawn : int
            The unit drawn for the resident (global id).
        first : int
            Global id of the first unit of the type (``load[i]`` is unit ``first + i``).
        load : ndarray
            Open orders per case slot of each unit of the type (``inf`` for a unit without slots).

        Returns
        -------
        int
            A global unit id.
        """
        if not self.by_load:
            return drawn
        best = float(load.min())
        if load[drawn - first] <= best:
            return drawn
        return first + int(np.argmin(load))


#: Dispatch paths, by ``workorders.dispatch``.
DISPATCH: Registry[Dispatch] = Registry("dispatch policy", "workorders.dispatch")
DISPATCH.register("direct")(Dispatch("direct", via_district=False))
DISPATCH.register("via_district")(Dispatch("via_district", via_district=True))

#: Assignment rules, by ``workorders.assignment``.
ASSIGNMENT: Registry[Assignment] = Registry("assignment policy", "workorders.assignment")
ASSIGNMENT.register("weights")(Assignment("weights", by_load=False))
ASSIGNMENT.register("least_loaded")(Assignment("least_loaded", by_load=True))
