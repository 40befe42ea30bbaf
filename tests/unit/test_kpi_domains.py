"""Every KPI has a domain in one registry, and every interval of KPI values is clipped to it.

The registry (:func:`sim.analysis.kpis.kpi_domain`): counts, times and levels are >= 0,
shares lie in [0, 1]; breakdowns (``closeout_on_time_rate.emergency``,
``time_to_close_p90_h.education``) take their base KPI's domain.  The examples:
``calls_abandoned 40 [-9, 88]`` and ``asa_s [-0.00, 0.04]`` - a t interval of
a few replications of a count or a time reaching below zero.  Differences of KPIs
(the comparison of a sweep) are not KPIs and keep their sign.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.analysis.kpis import clip_to_domain, confidence_interval, headline_kpis, kpi_domain, summarise
from sim.report.comparison import compare
from sim.report.figures.common import band
from sim.report.text import kpi_table


def test_calls_abandoned_interval_does_not_go_below_zero():
    """Three replications with 0, 95 and 25 abandoned calls: mean 40, sample variance 4850 / 2 = 2425, half-width
    t(0.975, 2) x sqrt(2425 / 3) = 4.3026527 x 28.43120 = 122.33; the t interval [-82.33, 162.33] (worked out by
    hand, not by the code) has its low end clipped to 0, its high end kept; unclipped without a KPI name."""
    rows = [{"calls_abandoned": v} for v in (0.0, 95.0, 25.0)]
    half = 4.3026527 * math.sqrt(2425.0 / 3.0)
    raw = confidence_interval([r["calls_abandoned"] for r in rows], 0.95)
    assert (raw["mean"], raw["ci_low"], raw["ci_high"]) == (
        40.0, pytest.approx(40.0 - half, rel=1e-7), pytest.approx(40.0 + half, rel=1e-7)), raw
    ci = summarise(rows, 0.95)["calls_abandoned"]
    assert (ci["mean"], ci["ci_low"], ci["ci_high"]) == (40.0, 0.0, pytest.approx(162.3296, abs=1e-3)), ci


def test_asa_interval_is_not_printed_below_zero():
    """asa_s of 0, 0 and 0.06 s: the printed interval starts at 0.00, not -0.00."""
    ci = summarise([{"asa_s": v} for v in (0.0, 0.0, 0.06)], 0.95)["asa_s"]
    assert ci["ci_low"] == 0.0, ci
    summary = {"confidence": 0.95, "scenario": "x", "replications": 3, "horizon_h": 1, "warmup_h": 0, "seed": 1,
               "scale": 1, "kpis": {"asa_s": ci}, "accounting": {"states": {}, "total_per_replication": [],
                                                                  "balanced": True}}
    line = next(line for line in kpi_table(summary).splitlines() if line.startswith("asa_s"))
    assert "[0.00 s," in line and "-0" not in line, line


@pytest.mark.parametrize("name, kind", [
    ("closeout_on_time_rate.emergency", "share"), ("time_to_close_p90_h.education", "time"),
    ("response_rate.street", "share"), ("orders_received.district", "count"), ("open_orders.street", "level"),
    ("closed.education", "count"), ("bounces_per_order", "ratio"), ("mean_operators", "level"),
    ("feedback_occupancy", "share"), ("calls_abandoned", "count"), ("asa_s", "time"),
])
def test_breakdown_names_resolve(name, kind):
    """Dotted breakdown names take their base KPI's domain."""
    assert kpi_domain(name).kind == kind, f"{name}: {kpi_domain(name)}"


def test_unknown_kpi_has_no_domain():
    """A name outside the registry is an error, not a silent default."""
    with pytest.raises(KeyError, match="happiness"):
        kpi_domain("happiness")


def test_every_kpi_of_a_run_has_a_domain_and_a_clipped_interval():
    """Every KPI (headline and breakdown) of a small Beijing run (with callbacks, so that theirs are computed)
    resolves, and its interval lies in its domain."""
    from sim.api import compose_config
    from sim.experiments.runner import run_experiment

    cfg = compose_config("beijing_baseline", ["scale=0.01", "experiment.horizon_h=24", "experiment.drain_h=48",
                                              "experiment.replications=3", "experiment.jobs=1",
                                              "experiment.progress=false", "routing.callback.enabled=true"])
    exp = run_experiment(cfg)
    from sim.config.kpi_catalog import is_pooled

    names = set(exp.per_replication[0]) | {k for k in exp.summary if is_pooled(k)}
    assert set(headline_kpis()) <= names, f"headline KPIs missing from a run: {set(headline_kpis()) - names}"
    for name, ci in exp.summary.items():
        d = kpi_domain(name)
        for b in ("mean", "ci_low", "ci_high"):
            if ci[b] is not None:
                assert d.lo <= ci[b] <= d.hi, f"{name} {b}={ci[b]} outside {d}"


def test_comparison_clips_intervals_but_not_differences():
    """A variant's summary with a negative count bound (an older report) is clipped; the negative difference is kept."""
    def variant(name, seed, values):
        reps = {r: {"calls_abandoned": v} for r, v in enumerate(values)}
        ci = confidence_interval(values, 0.95)  # unclipped, as an older version wrote it
        return {"folder": __import__("pathlib").Path(name), "overrides": [f"x={name}"], "job_num": None,
                "summary": {"scenario": "s", "seed": seed, "replications": len(values),
                            "kpis": {"calls_abandoned": ci}}, "reps": reps}

    header, rows = compare([variant("a", 1, [50.0, 90.0, 70.0]), variant("b", 1, [0.0, 95.0, 25.0])])
    col = {h: i for i, h in enumerate(header)}
    b = rows[1]
    assert b[col["calls_abandoned_ci_low"]] == 0.0, b
    assert b[col["calls_abandoned_diff"]] == pytest.approx(-30.0), "the difference keeps its sign"
    assert b[col["calls_abandoned_diff_ci_low"]] < 0, "the difference's interval is not clipped"


def test_figure_bands_are_clipped_through_the_same_function():
    """The figure's band edges for a share stay in [0, 1], for a time above 0; NaN (no calls) stays NaN."""
    m, h = np.array([0.98, 0.5, math.nan, 0.01]), np.array([0.05, 0.1, 0.0, 0.03])
    lo, hi = band("service_level", m, h)
    np.testing.assert_allclose(hi[[0, 1, 3]], [1.0, 0.6, 0.04], err_msg="upper band edge of service_level")
    np.testing.assert_allclose(lo[[0, 1, 3]], [0.93, 0.4, 0.0], err_msg="lower band edge of service_level")
    assert hi[0] == 1.0 and lo[3] == 0.0, (lo, hi)
    assert math.isnan(lo[2]) and math.isnan(hi[2])
    lo, _ = band("asa_s", np.array([0.01]), np.array([0.5]))
    assert lo[0] == 0.0
    assert clip_to_domain("asa_s", -0.3) == 0.0 and clip_to_domain("occupancy", 1.2) == 1.0
