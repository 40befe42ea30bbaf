"""Integer covers of a requirement: the LP bound, a rounded LP cover, and the integer program within a gap.

:func:`sim.planning.shifts.solve` asks for the cheapest non-negative integer ``x`` with
``A x >= required`` (the set-covering model of shift scheduling).  :func:`cheapest_cover`:

1. solves the linear relaxation (HiGHS through :func:`scipy.optimize.linprog`): its cost is a
   lower bound on every integer cover;
2. rounds it: the relaxation's counts rounded down, then the requirement left uncovered filled
   greedily (the column covering most of it per unit of cost, one operator at a time), then every
   operator whose removal keeps the requirement covered removed (the dearest columns first) - a
   cover close to the bound when counts are large (a city's centre), in milliseconds;
3. only when that cover is further than the gap asked for from the bound, runs the integer
   program (HiGHS branch and bound through :func:`scipy.optimize.milp`, within the gap and a time
   limit) and keeps the cheaper of the two covers.  Weekly tours over small requirements have a
   weak relaxation that branch and bound closes slowly and whose first integer solutions can be
   far worse than the rounded cover: the rounded cover is never lost.

The gap reported is the cover's cost over the relaxation's bound, less one: an upper bound on
its distance from the optimum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Rounds of LP diving at most.
DIVES = 40


@dataclass
class Cover:
    """An integer cover: counts per column, cost, the relaxation's bound and how it was found."""

    x: np.ndarray
    cost: float
    bound: float
    method: str

    @property
    def gap(self) -> float:
        """``cost / bound - 1`` (0 for an empty cover): the most the cover can cost over the optimum, relatively."""
        return max(0.0, self.cost / self.bound - 1.0) if self.bound > 0 else 0.0


def _rounded(a: np.ndarray, cost: np.ndarray, req: np.ndarray, x_lp: np.ndarray) -> np.ndarray:
    """The relaxation rounded down, the rest covered greedily, redundant operators removed (module docstring).

    The solver's values may lie a little below 0 (its feasibility tolerance): they count as 0, never -1."""
    x = np.floor(np.maximum(x_lp, 0.0) + 1e-9)
    covered = a @ x
    while True:
        short = np.maximum(req - covered, 0.0)
        if not np.any(short > 1e-9):
            break
        gain = np.minimum(a, short[:, None]).sum(axis=0) / cost
        j = int(np.argmax(gain))
        if gain[j] <= 0:
            raise RuntimeError("shift scheduling: the columns cannot cover the requirement")
        x[j] += 1
        covered += a[:, j]
    for j in np.argsort(-cost):
        while x[j] > 0 and np.all(covered - a[:, j] >= req - 1e-9):
            x[j] -= 1
            covered -= a[:, j]
    return x


def _dive(a: np.ndarray, cost: np.ndarray, req: np.ndarray, x_lp: np.ndarray, rounds: int = DIVES) -> np.ndarray:
    """LP diving: fix the columns the relaxation uses at least half a unit beyond a whole number (or the one with
    the largest fraction) to the next whole number, solve again, and repeat; then round what is left."""
    from scipy.optimize import linprog

    lower = np.zeros(cost.size)
    x = x_lp
    for _ in range(rounds):
        frac = x - np.floor(x + 1e-9)
        if not np.any(frac > 1e-6):
            break
        fix = frac >= 0.5
        if not fix.any():
            fix = frac == frac.max()
        lower = np.where(fix, np.ceil(x - 1e-9), lower)
        lp = linprog(cost, A_ub=-a, b_ub=-(req - 1e-9), bounds=list(zip(lower, [None] * cost.size)),
                     method="highs")
        if lp.x is None:
            break
        x = np.asarray(lp.x)
    return _rounded(a, cost, req, x)


def cheapest_cover(a: np.ndarray, cost: np.ndarray, req: np.ndarray, gap: float, time_limit_s: float) -> Cover:
    """The cheapest integer cover found (module docstring).

    Parameters
    ----------
    a : ndarray, shape (rows, columns)
        Coverage of each row by one unit of each column (>= 0).
    cost : ndarray, shape (columns,)
        Cost of a unit of each column (> 0).
    req : ndarray, shape (rows,)
        The requirement (>= 0); every row that needs something has a column covering it.
    gap, time_limit_s : float
        The integer program runs only when the rounded cover is further than ``gap`` from the bound, and
        stops at that gap or after ``time_limit_s``.

    Raises
    ------
    RuntimeError
        The relaxation could not be solved.
    """
    from scipy.optimize import Bounds, LinearConstraint, linprog, milp

    lp = linprog(cost, A_ub=-a, b_ub=-(req - 1e-9), bounds=(0, None), method="highs")
    if lp.x is None:
        raise RuntimeError(f"shift scheduling: the linear relaxation failed: {lp.message}")
    bound = float(lp.fun)
    x = _rounded(a, cost, req, np.asarray(lp.x))
    best = Cover(x, float(cost @ x), bound, "relaxation rounded")
    if best.gap > gap:
        x = _dive(a, cost, req, np.asarray(lp.x))
        if float(cost @ x) < best.cost:
            best = Cover(x, float(cost @ x), bound, "relaxation rounded by diving")
    if best.gap <= gap:
        return best
    res = milp(c=cost, constraints=LinearConstraint(a, lb=req - 1e-9), integrality=np.ones(cost.size),
               bounds=Bounds(0, np.inf), options={"time_limit": time_limit_s, "mip_rel_gap": gap})
    if res.x is not None:
        x_ip = np.round(np.maximum(res.x, 0.0))
        if np.all(a @ x_ip >= req - 1e-9) and float(cost @ x_ip) < best.cost:
            how = "integer program" + ("" if res.success else " (stopped at its time limit)")
            best = Cover(x_ip, float(cost @ x_ip), bound, how)
    return best
