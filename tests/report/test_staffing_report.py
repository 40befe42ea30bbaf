"""The report's staffing section: drawn from staffing.csv when a staffing policy computed a requirement
(``staffing.policy=erlang`` here), absent when the run replays a plan."""

from __future__ import annotations

import csv

import pytest

OVERRIDES = ["scenario=single_queue", "staffing.operators=0", "staffing.policy=erlang", "experiment.horizon_h=4",
             "experiment.warmup_h=0", "experiment.replications=2", "experiment.jobs=1", "experiment.progress=false"]


@pytest.fixture(scope="module")
def erlang_report(reports_root):
    from sim.api import compose_config, run

    cfg = compose_config("single_queue", OVERRIDES[1:])
    out = reports_root / "reports" / "single_queue" / "erlang"
    run(cfg, out_dir=out)
    return out


def test_staffing_section_shows_required_against_scheduled(erlang_report):
    """The figure is on the page and in figures/; staffing.csv holds a requirement for every interval."""
    html = (erlang_report / "report.html").read_text(encoding="utf-8")
    assert '<section id="staffing">' in html and '<figure id="fig-staffing">' in html
    assert (erlang_report / "figures" / "staffing.png").stat().st_size > 5000
    with (erlang_report / "staffing.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 8 and all(float(r["required"]) > 0 for r in rows)


def test_staffing_section_absent_when_a_plan_is_replayed(run_report):
    """A run of the scenario's own plan (staffing.policy=plan) has no requirement to draw."""
    html = (run_report[0] / "report.html").read_text(encoding="utf-8")
    assert 'id="staffing"' not in html
