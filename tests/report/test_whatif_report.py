"""A what-if of one key is on the run's pages: the configuration view lists it beside its default, and the
caveats at the top say that the figures are the scenario's demand or handle times multiplied."""

from __future__ import annotations

import json

from sim.api import compose_config, run


def test_factors_on_the_configuration_view_and_the_caveats(tmp_path):
    folder = tmp_path / "run"
    cfg = compose_config("single_queue", ["arrivals.demand_factor=1.2", "calls.handle_factor=1.1",
                                          "staffing.operators=170", "experiment.horizon_h=1",
                                          "experiment.warmup_h=0", "experiment.replications=1",
                                          "experiment.progress=false", "report.plots=false"])
    run(cfg, out_dir=folder)
    html = (folder / "report.html").read_text(encoding="utf-8")
    md = (folder / "report.md").read_text(encoding="utf-8")
    for key, value in (("arrivals.demand_factor", "1.2"), ("calls.handle_factor", "1.1")):
        row = f"<tr><td><code>{key}</code></td><td><code>{value}</code></td><td><code>1.0</code></td></tr>"
        assert row in html, f"{key} is not on the configuration view of report.html"
        assert f"`{key}` = `{value}` (default `1.0`)" in md, f"{key} is not in report.md's configuration"
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    caveats = {c["key"]: c["text"] for c in summary["caveats"]}
    assert caveats["arrivals.demand_factor"].startswith("arrivals.demand_factor=1.2: every channel's"), caveats
    assert caveats["calls.handle_factor"].startswith("calls.handle_factor=1.1: every call handle time x 1.1"), caveats
    assert "arrivals.demand_factor=1.2: every channel" in html and "calls.handle_factor=1.1: every call" in html
