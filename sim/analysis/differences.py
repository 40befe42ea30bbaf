"""The difference of a KPI between two variants: paired on the replications they share, or Welch's.

Replication ``r`` of a run draws its random streams from ``(experiment.seed, r)``
(:class:`sim.core.rng.Streams`), so two variants run with the same seed face the
same residents in replication ``r`` (common random numbers), and replication
``r`` of one is paired with replication ``r`` of the other.  A pair exists
only where *both* variants have replication ``r``: a precision target
(``experiment.precision``) stops each variant after its own number of
replications, ``experiment.replications`` may differ between variants, and a
failed replication leaves a hole.  :func:`compare_replications` therefore

* pairs the replications the two variants have in common, when they share the
  seed and at least two such replications exist: the paired-t interval of the
  differences (:func:`sim.analysis.kpis.difference_ci`).  Its difference is the
  difference of the two variants' means *over those replications*; when either
  variant has more replications than the pairs, its reported mean covers more than
  the pairs, and the result says so (``subset``, with both means over the pairs);
* otherwise (different seeds: independent streams; fewer than two replications in
  common) compares all replications of each with Welch's unequal-variance
  interval, whose difference is the difference of the reported means;
* gives no interval with fewer than two replications on a side (the difference
  of the means alone, ``why`` saying so), and no value when the KPI is undefined
  (NaN) in a replication, as its mean is then undefined too.

When the paired differences are all equal (the variants differ by a constant, or
not at all: identical settings), the interval is that single value; it is
significant when the value is not 0.  :func:`method_text` says in words which
method a difference used; every output of a comparison (``comparison.csv``,
``.md``, ``.html``, the forest plot, the terminal) shows it.
"""

from __future__ import annotations

import math
from typing import Any, Dict, Mapping, Optional

import numpy as np

from sim.analysis.kpis import difference_ci

__all__ = ["compare_replications", "pairs", "pairing", "unpaired_why", "method_text", "replication_ranges"]


def compare_replications(ref: Mapping[int, float], var: Mapping[int, float], same_streams: bool,
                         confidence: float, name: Optional[str] = None) -> Dict[str, Any]:
    """The difference ``var - ref`` of one KPI with its confidence interval, and how it was computed.

    Parameters
    ----------
    ref, var : mapping of int to float
        The KPI's value per replication number of the reference variant and of the other one (the
        replications each variant has; a failed replication is absent).
    same_streams : bool
        Whether replication ``r`` of both variants drew from the same random streams (same
        ``experiment.seed``).
    confidence : float
        Confidence level of the interval, in (0, 1).
    name : str, optional
        The KPI's name: its interval is then clipped to the differences its domain allows (two shares
        differ by at most 1; :func:`sim.analysis.kpis.clip_difference`).

    Returns
    -------
    dict
        ``diff``, ``diff_ci_low``, ``diff_ci_high``, ``significant`` (None where undefined);
        ``method``: ``"paired-t"``, ``"welch"`` or None (no interval); ``pairs``: the replication
        numbers paired (empty unless paired); ``n_ref``, ``n``: the replications each variant has;
        ``ref_mean``, ``mean``: the two means ``diff`` is the difference of (over the pairs when
        paired); ``subset``: True when the pairs leave out replications a variant has; ``why``: why the
        difference is unpaired or has no interval ("" when paired).
    """
    out: Dict[str, Any] = {"diff": None, "diff_ci_low": None, "diff_ci_high": None, "significant": None,
                           "method": None, "pairs": [], "n_ref": len(ref), "n": len(var),
                           "ref_mean": None, "mean": None, "subset": False, "why": ""}
    if any(math.isnan(float(v)) for v in (*ref.values(), *var.values())):
        return {**out, "why": "undefined (NaN) in some replication"}
    if not ref or not var:
        return {**out, "why": "no replication"}
    how = pairing(ref, var, same_streams)
    out.update(how)
    if how["method"] == "paired-t":
        x, y = [float(ref[r]) for r in how["pairs"]], [float(var[r]) for r in how["pairs"]]
        return {**out, **difference_ci(x, y, True, confidence, name), "ref_mean": float(np.mean(x)),
                "mean": float(np.mean(y))}
    x, y = [float(v) for v in ref.values()], [float(v) for v in var.values()]
    out.update(ref_mean=float(np.mean(x)), mean=float(np.mean(y)))
    if how["method"] is None:  # fewer than 2 replications on a side: the difference of the means alone
        return {**out, "diff": out["mean"] - out["ref_mean"]}
    return {**out, **difference_ci(x, y, False, confidence, name)}


def pairs(ref: Any, var: Any, same_streams: bool) -> list[int]:
    """The replication numbers to pair: those both variants have, when they share their streams and at least
    two exist; else none (the comparison is unpaired).  ``ref`` and ``var`` are collections of replication
    numbers (or mappings keyed by them)."""
    common = sorted(set(ref) & set(var))
    return common if same_streams and len(common) >= 2 else []


def unpaired_why(ref: Any, var: Any, same_streams: bool) -> str:
    """Why two variants' replications are not paired (see :func:`pairs`)."""
    if not same_streams:
        return "the variants' seeds differ"
    n = len(set(ref) & set(var))
    return f"{n} replication{'s' if n != 1 else ''} in common, too few to pair"


def pairing(ref: Any, var: Any, same_streams: bool) -> Dict[str, Any]:
    """How every difference between two variants is computed, as :func:`compare_replications` reports it
    (``method``, ``pairs``, ``n_ref``, ``n``, ``subset``, ``why``) without the values; for
    :func:`method_text`.  ``ref`` and ``var`` are collections of replication numbers."""
    common = pairs(ref, var, same_streams)
    n_ref, n = len(set(ref)), len(set(var))
    if common:
        return {"method": "paired-t", "pairs": common, "n_ref": n_ref, "n": n,
                "subset": len(common) < max(n_ref, n), "why": ""}
    if n_ref < 2 or n < 2:
        m = min(n_ref, n)
        return {"method": None, "pairs": [], "n_ref": n_ref, "n": n, "subset": False,
                "why": f"no interval ({m} replication{'s' if m != 1 else ''})"}
    return {"method": "welch", "pairs": [], "n_ref": n_ref, "n": n, "subset": False,
            "why": unpaired_why(ref, var, same_streams)}


def replication_ranges(numbers: Any) -> str:
    """``0-5, 7`` for the replication numbers 0, 1, 2, 3, 4, 5, 7."""
    nums = sorted(int(n) for n in numbers)
    parts = []
    i = 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        parts.append(f"{nums[i]}" if i == j else f"{nums[i]}-{nums[j]}")
        i = j + 1
    return ", ".join(parts)


def method_text(d: Mapping[str, Any], short: bool = False, reference: str = "the reference") -> str:
    """How difference ``d`` (:func:`compare_replications`) was computed, in words.

    ``reference`` names the variant the differences are from (``variant 2 (staffing.policy=plan)``: the one
    ``report.compare_to`` chose); ``paired-t on the 6 replications both variants have (0-5; variant 2
    (staffing.policy=plan) has 8, this one 6)``, ``Welch, unpaired (8 replications of variant 2
    (staffing.policy=plan), 6 of this one; the variants' seeds differ)``, ``no interval (1 replication)``;
    with ``short``, a few words for a table cell or a plot label (``paired on 6 of 8/6``, ``Welch``, ``no
    interval (1 replication)``).
    """
    method = d.get("method")
    if method == "paired-t":
        n = len(d["pairs"])
        if short:
            return f"paired on {n} of {d['n_ref']}/{d['n']}" if d.get("subset") else f"paired on {n}"
        if d.get("subset"):
            return (f"paired-t on the {n} replications both variants have ({replication_ranges(d['pairs'])}; "
                    f"{reference} has {d['n_ref']}, this one {d['n']})")
        return f"paired-t on {n} replications ({replication_ranges(d['pairs'])}; common random numbers)"
    if method == "welch":
        return "Welch" if short else (f"Welch, unpaired ({d['n_ref']} replications of {reference}, {d['n']} of this "
                                      f"one; {d['why']})")
    return str(d.get("why") or "no interval")
