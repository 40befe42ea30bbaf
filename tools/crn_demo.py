"""How much common random numbers narrow a comparison: paired (same seed) versus independent seeds.

Runs a scenario at two values of one setting (by default ``staffing.operators``),
first with the same seed for both (common random numbers: replication r of one
variant meets the same residents as replication r of the other), then with a
different seed for the second variant, and prints the difference of a KPI with
its confidence interval both ways and the ratio of the half-widths.

Usage::

    python tools/crn_demo.py [--scenario single_queue] [--key staffing.operators] [--values 125 130]
        [--kpi mean_wait_s] [--replications 10] [extra overrides ...]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Dict, List, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim.analysis.differences import compare_replications  # noqa: E402
from sim.api import compose_config  # noqa: E402
from sim.core.errors import ConfigError  # noqa: E402
from sim.experiments.runner import ExperimentResult, run_experiment  # noqa: E402


def crn_configs(scenario: str, key: str, values: Sequence[str], kpi: str, overrides: List[str],
                seed_b: int = 99991) -> List[Any]:
    """The three configurations :func:`crn_ratio` runs (a, b with a's seed, b with ``seed_b``), composed and
    checked before anything runs.

    Raises
    ------
    sim.core.errors.ConfigError
        An override, ``key=value`` or ``kpi`` breaks a rule (``kpi``: not a KPI with a value per replication).
    """
    from sim.config.kpi_catalog import headline_kpis, is_pooled

    if kpi not in headline_kpis() or is_pooled(kpi):
        raise ConfigError("--kpi", kpi, "not a KPI with a value per replication; use one of "
                          + ", ".join(k for k in headline_kpis() if not is_pooled(k)))
    others = [o for o in overrides if o.split("=", 1)[0].lstrip("+") != "experiment.seed"]  # each key once
    return [compose_config(scenario, [*overrides, f"{key}={values[0]}"]),
            compose_config(scenario, [*overrides, f"{key}={values[1]}"]),
            compose_config(scenario, [*others, f"{key}={values[1]}", f"experiment.seed={seed_b}"])]


def crn_ratio(scenario: str, key: str, values: Sequence[str], kpi: str, overrides: List[str],
              seed_b: int = 99991) -> Dict[str, float]:
    """Half-widths of the paired (CRN) and independent-seed intervals of a KPI difference, and their ratio."""
    a, b_crn, b_ind = (run_experiment(c) for c in crn_configs(scenario, key, values, kpi, overrides, seed_b))
    conf = a.cfg.experiment.confidence

    def by_replication(exp: ExperimentResult) -> Dict[int, float]:  # by replication number: a failed one leaves a hole
        return {r.replication: k[kpi] for r, k in zip(exp.replications, exp.per_replication)}

    paired = compare_replications(by_replication(a), by_replication(b_crn), True, conf)
    indep = compare_replications(by_replication(a), by_replication(b_ind), False, conf)
    hw_p = (paired["diff_ci_high"] - paired["diff_ci_low"]) / 2
    hw_i = (indep["diff_ci_high"] - indep["diff_ci_low"]) / 2
    return {"diff_crn": paired["diff"], "half_width_crn": hw_p, "diff_independent": indep["diff"],
            "half_width_independent": hw_i, "ratio": hw_p / hw_i if hw_i > 0 else float("nan")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="single_queue")
    ap.add_argument("--key", default="staffing.operators")
    ap.add_argument("--values", nargs=2, default=["125", "130"])
    ap.add_argument("--kpi", default="mean_wait_s")
    ap.add_argument("--replications", type=int, default=10)
    ap.add_argument("overrides", nargs="*")
    args = ap.parse_intermixed_args()  # overrides may come before or after the options
    ov = [f"experiment.replications={args.replications}", *args.overrides]
    try:
        crn_configs(args.scenario, args.key, args.values, args.kpi, ov)  # every input checked before the runs
    except ConfigError as err:
        ap.exit(2, f"{ap.prog}: error: {err}\n")
    r = crn_ratio(args.scenario, args.key, args.values, args.kpi, ov)
    print(f"{args.kpi}: {args.key} {args.values[0]} -> {args.values[1]}, {args.replications} replications each")
    print(f"  common random numbers : difference {r['diff_crn']:+.4g} +/- {r['half_width_crn']:.4g}")
    print(f"  independent seeds     : difference {r['diff_independent']:+.4g} +/- {r['half_width_independent']:.4g}")
    print(f"  half-width ratio (CRN / independent): {r['ratio']:.3f}")


if __name__ == "__main__":
    main()
