"""The report's routing section: shown with operator groups or callbacks, absent without; its numbers are the
run's (summary.json ``groups`` and the callback KPIs); the flow of contacts keeps callbacks in the balance."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sim.report.figures.flow import flow_graph
from sim.report.rundata import routing_series


@pytest.fixture(scope="module")
def routing_page(routing_report):
    out, _ = routing_report
    return (out / "report.html").read_text(encoding="utf-8"), (out / "report.md").read_text(encoding="utf-8"), \
        json.loads((out / "summary.json").read_text())


def test_routing_section_shows_groups_and_callbacks(routing_report, routing_page):
    """Both figures embedded, a row per group with summary.json's values, the callbacks' fate, in HTML and
    Markdown; the KPI tables hold the callbacks' group; the terminal table lists the groups."""
    from sim.report.text import format_value, kpi_table

    html, md, summary = routing_page
    assert '<section id="routing">' in html and "<h2>Operator groups and callbacks</h2>" in html
    for fig in ("groups", "callbacks"):
        assert f'<figure id="fig-{fig}">' in html and (routing_report[0] / "figures" / f"{fig}.png").is_file()
    assert set(summary["groups"]) == {"general", "enterprise"}, summary["groups"]
    for g, table in summary["groups"].items():
        sl = format_value("service_level", table["service_level"]["mean"])
        assert f">{g}</td>" in html and sl in html, f"group {g}: service level {sl} not on the page"
        assert any(line.startswith(f"| {g} |") and sl in line for line in md.splitlines()), f"{g} not in report.md"
    offered = format_value("callbacks_offered", summary["kpis"]["callbacks_offered"]["mean"])
    assert "What became of the callbacks" in html and "**What became of the callbacks**" in md
    assert f"| call attempts offered a callback | {offered} (" in md, md[md.find("What became"):][:600]
    assert "<h3>Callbacks</h3>" in html and "### Callbacks" in md
    printed = kpi_table(summary)
    assert "By operator group" in printed and "service_level.enterprise" in printed, printed[-1500:]


def test_routing_section_absent_without_routing(run_report):
    """A run without operator groups or callbacks has no routing section and no callbacks' KPI table."""
    html = (run_report[0] / "report.html").read_text(encoding="utf-8")
    assert 'id="routing"' not in html and "<h3>Callbacks</h3>" not in html


def test_routing_series_from_counters():
    """Per-group ratios are ratios of the summed counters (NaN without calls); on duty = staffed time / window;
    the callbacks' delay is per reaching callback."""
    s = {"group.a.attempts": np.array([10.0, 0.0]), "group.a.answered": np.array([8.0, 0.0]),
         "group.a.answered_in_threshold": np.array([6.0, 0.0]), "group.a.abandoned": np.array([2.0, 0.0]),
         "group.a.wait_answered_s": np.array([40.0, 0.0]), "group.a.busy_s": np.array([900.0, 0.0]),
         "group.a.staffed_s": np.array([1800.0, 0.0]),
         **{f"callback.{k}": np.array([v]) for k, v in (("offered", 5.0), ("accepted", 2.0), ("completed", 2.0),
                                                        ("missed_window", 1.0), ("delay_s", 600.0))}}
    out = routing_series(s, 1800.0)
    assert out["service_level.a"][0] == pytest.approx(0.6) and np.isnan(out["service_level.a"][1])
    assert out["abandon_rate.a"][0] == pytest.approx(0.2) and out["asa_s.a"][0] == pytest.approx(5.0)
    assert out["occupancy.a"][0] == pytest.approx(0.5) and out["on_duty.a"][0] == pytest.approx(1.0)
    assert out["callbacks_offered"][0] == 5.0 and out["callback_delay_s"][0] == pytest.approx(300.0)


def test_flow_keeps_callbacks_in_the_balance():
    """A callback that never reached the resident leaves the phone flow on its own; one still pending stays
    at the front line: every node's inflow equals its outflow."""
    states = {"ended:answered_direct": 60.0, "ended:abandoned": 5.0, "ended:callback_not_reached": 3.0,
              "open:awaiting_callback": 2.0, "ended:closed_rated": 20.0, "open:in_progress": 10.0}
    summary = {"accounting": {"states": {k: {"mean": v} for k, v in states.items()}},
               "kpis": {"calls_offered": {"mean": 100.0}, "online_offered": {"mean": 0.0}}}
    nodes, links = flow_graph(summary)
    by = {n.key: n.value for n in nodes}
    assert by["cb_lost"] == 3.0 and by["front_open"] == 2.0 and by["reached"] == 92.0, by
    for key in ("reached", "work_order"):
        assert sum(v for a, _, v in links if a == key) == pytest.approx(by[key]), key
    assert sum(v for a, _, v in links if a == "phone") == pytest.approx(by["phone"])
