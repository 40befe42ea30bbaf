"""Figure labels are never cut: every text of a figure lies inside the figure (its own layout, as drawn)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, List

import pytest

from sim.report.figures import sweep


def cut_texts(fig: Any) -> List[str]:
    """What of a matplotlib figure is drawn past its edges: the figure's own tight box of everything drawn
    (ticks outside the axes' limits are not drawn, so not counted) against the figure; empty when inside."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    tight = fig.get_tightbbox(renderer)  # inches
    w, h = fig.get_size_inches()
    tol = 0.02
    if tight.x0 >= -tol and tight.y0 >= -tol and tight.x1 <= w + tol and tight.y1 <= h + tol:
        return []
    out = [f"drawn box {tight.x0:.2f}..{tight.x1:.2f} x {tight.y0:.2f}..{tight.y1:.2f} in, figure {w:.2f} x {h:.2f}"]
    dpi = fig.dpi
    for ax in fig.axes:
        for text in [*ax.texts, ax.title, ax._left_title, ax.xaxis.label, ax.yaxis.label]:
            if text.get_visible() and str(text.get_text()).strip():
                box = text.get_window_extent(renderer)
                if box.x0 < -tol * dpi or box.x1 > (w + tol) * dpi or box.y0 < -tol * dpi or box.y1 > (h + tol) * dpi:
                    out.append(repr(text.get_text()))
    return out


def _row(index, label, diff, reference=False):
    d = {"diff": diff, "diff_ci_low": diff - 0.01, "diff_ci_high": diff + 0.01, "significant": True,
         "method": "paired-t", "pairs": [0, 1, 2], "n_ref": 3, "n": 3, "subset": False}
    kpis = {k: {"mean": 0.8, "ci_low": 0.79, "ci_high": 0.81} for k in ("service_level", "answer_rate", "asa_s")}
    return SimpleNamespace(index=index, label=label, folder=f"variant_{index}", reference=reference, kpis=kpis,
                           diffs={k: d for k in kpis}, how=d, overrides=[label], summary={"kpis": kpis})


@pytest.mark.parametrize("label", ["staffing.operators=120",
                                   "staffing.headcount_factor=1.15 staffing.policy=erlang staffing.shrinkage=0.3"])
def test_forest_labels_are_whole_and_inside(monkeypatch, label):
    """The issue's example: "2: staffing.headcount_factor=…" was cut; now a long label wraps, whole, and every
    text lies inside the figure."""
    drawn = []
    monkeypatch.setattr(sweep, "png", lambda fig: drawn.append(fig) or b"")
    rows = [_row(0, "staffing.policy=plan", 0.0, reference=True), _row(1, label, 0.05), _row(2, label + " x=1", -0.02)]
    assert sweep.forest(rows) is not None
    fig = drawn[0]
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert all("…" not in t for t in labels) and label.split()[-1].split("=")[0] in "".join(labels), labels
    assert not cut_texts(fig), cut_texts(fig)


def overlapping_texts(fig: Any, space_px: float = 2.0) -> List[str]:
    """Pairs of texts of a figure whose drawn boxes (with their background boxes) overlap or come closer than
    ``space_px`` pixels."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = []
    for text in fig.findobj(lambda a: hasattr(a, "get_text") and hasattr(a, "get_window_extent")):
        if text.get_visible() and str(text.get_text()).strip() and text.get_alpha() != 0:
            patch = text.get_bbox_patch() if hasattr(text, "get_bbox_patch") else None
            box = patch.get_window_extent(renderer) if patch is not None else text.get_window_extent(renderer)
            boxes.append((str(text.get_text()), box))
    out = []
    for i, (a, ba) in enumerate(boxes):
        for b, bb in boxes[i + 1:]:
            w = min(ba.x1, bb.x1) - max(ba.x0, bb.x0)
            h = min(ba.y1, bb.y1) - max(ba.y0, bb.y0)
            if w > -space_px and h > -space_px:
                out.append(f"{a!r} / {b!r}")
    return out


def test_every_figure_of_a_run_keeps_its_labels_inside(monkeypatch, run_report):
    """Every figure of the heating-season run (the staffing position's included): no text passes an edge of the
    figure, and the labels of the flow diagram do not overlap each other."""
    from sim.report import position_view, sections
    from sim.report.figures import backoffice, common, diagnostics, flow, frontline, routing, staffing
    from sim.report.rundata import RunData

    drawn: dict = {}

    def keep(fig):
        drawn[fig.get_suptitle() or (fig.axes[0].get_title(loc="left") if fig.axes else str(len(drawn)))] = fig
        return b"\x89PNG"

    for mod in (backoffice, common, diagnostics, flow, frontline, routing, staffing, sweep):
        if hasattr(mod, "png"):
            monkeypatch.setattr(mod, "png", keep)
    from sim.report import drawing

    monkeypatch.setattr(drawing, "can_fork", lambda tasks: False)  # every figure drawn here, where it is kept
    out, exp = run_report
    import json

    summary = json.loads((out / "summary.json").read_text())
    sections.build_sections(RunData.from_experiment(exp, summary, out))
    position_view.week_figure(out, exp.replications[0].interval_s / 3600.0)
    assert len(drawn) >= 8, sorted(drawn)
    cut = {name: cut_texts(fig) for name, fig in drawn.items()}
    assert not any(cut.values()), {k: v for k, v in cut.items() if v}
    flow_fig = drawn["Where the contacts went"]
    assert not overlapping_texts(flow_fig), overlapping_texts(flow_fig)
    assert not limit_labels_astray(drawn["Time to close by category (orders closed per replication)"])
    legend = [t.get_text() for ax in drawn["Time to close by category (orders closed per replication)"].axes
              if ax.get_legend() for t in ax.get_legend().get_texts()]
    assert legend and not [t for t in legend if "_" in t], f"category keys, not names, in the legend: {legend}"


def limit_labels_astray(fig: Any) -> List[str]:
    """The close-out limits' labels of the time-to-close figure that leave its axes (a limit past the times drawn)
    or cross another limit's line (7 and 15 days, side by side)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    frame = ax.get_window_extent(renderer)
    lines = [ax.transData.transform((line.get_xdata()[0], 0))[0] for line in ax.get_lines()
             if line.get_linestyle() == "--"]
    out = []
    for text in ax.texts:
        if not text.get_text().startswith("limit"):
            continue
        box = text.get_window_extent(renderer)
        if box.x0 < frame.x0 or box.x1 > frame.x1 or box.y1 > frame.y1:
            out.append(f"{text.get_text()!r} leaves the axes")
        out += [f"{text.get_text()!r} crosses the line at {x:.0f} px" for x in lines if box.x0 < x < box.x1]
    assert any(t.get_text().startswith("limit") for t in ax.texts), "no limit drawn: the check checks nothing"
    return out


@pytest.mark.parametrize("which", ["run_report", "routing_report"])
def test_share_axes_show_the_whole_band(monkeypatch, request, which):
    """The issue's example: the service-level axis stopped at ~67% and cut its band. On every axis in percent of
    the runs' service-level figures (the routing run has 2 replications: wide bands), every band drawn lies within
    the axis' limits."""
    import json

    import numpy as np
    from matplotlib.ticker import PercentFormatter

    from sim.report.figures import frontline
    from sim.report.rundata import RunData

    drawn = []
    monkeypatch.setattr(frontline, "png", lambda fig: drawn.append(fig) or b"")
    out, exp = request.getfixturevalue(which)
    rd = RunData.from_experiment(exp, json.loads((out / "summary.json").read_text()), out)
    frontline.service_level(rd)
    checked = 0
    for fig in drawn:
        for ax in fig.axes:
            if not isinstance(ax.yaxis.get_major_formatter(), PercentFormatter):
                continue
            lo, hi = ax.get_ylim()
            for coll in ax.collections:
                ys = np.concatenate([p.vertices[:, 1] for p in coll.get_paths()] or [np.array([])])
                ys = ys[np.isfinite(ys)]
                if len(ys):
                    checked += 1
                    assert ys.min() >= lo - 1e-9 and ys.max() <= hi + 1e-9, (ax.get_title(loc="left"), lo, hi,
                                                                             ys.min(), ys.max())
    assert checked >= 1, "no band drawn on a share axis"


def test_flow_labels_of_small_neighbouring_nodes_do_not_overlap(monkeypatch):
    """The issue's example (Beijing baseline at scale 0.05, no drain): 78 transferred and 3 still at the front
    line, two thin neighbouring nodes whose two-line labels overlapped."""

    states = {"ended:answered_direct": 13255.0, "ended:transferred_emergency": 78.5, "ended:abandoned": 971.0,
              "ended:closed_rated": 2906.0, "ended:closed_not_reached": 373.0, "open:with_operator": 3.0,
              "open:in_dispatch": 45.0,
              "open:in_progress": 3541.5, "open:awaiting_return_visit": 2789.5, "open:queued_at_unit": 167.5}
    fig = _drawn_flow(monkeypatch, states, 20653.0, 3477.0)
    assert not overlapping_texts(fig), overlapping_texts(fig)
    assert not cut_texts(fig), cut_texts(fig)


def test_a_flow_label_pushed_below_the_last_node_stays_in_the_figure(monkeypatch):
    """The Beijing baseline at scale 1 (a week and a 3-week drain): 613 orders still open, a thin last node under
    two others, whose label, pushed down to clear theirs, was cut by the figure's bottom edge."""

    states = {"ended:answered_direct": 277997.25, "ended:transferred_emergency": 1618.5, "ended:abandoned": 2391.75,
              "ended:closed_rated": 178364.0, "ended:closed_not_reached": 26156.75, "open:in_progress": 393.75,
              "open:awaiting_return_visit": 219.25}
    fig = _drawn_flow(monkeypatch, states, 417338.0, 69804.0)
    assert not cut_texts(fig), cut_texts(fig)
    assert not overlapping_texts(fig), overlapping_texts(fig)


def _drawn_flow(monkeypatch, states, calls_offered, online_offered):
    """The figure ``flow.flow`` draws for a summary with these accounting states and offered counts."""
    from sim.report.figures import flow

    summary = {"accounting": {"states": {k: {"mean": v} for k, v in states.items()}},
               "kpis": {"calls_offered": {"mean": calls_offered}, "online_offered": {"mean": online_offered}}}
    drawn = []
    monkeypatch.setattr(flow, "png", lambda fig: drawn.append(fig) or b"")
    assert flow.flow(summary) is not None
    return drawn[0]


def test_the_position_per_group_keeps_its_labels_inside(monkeypatch, routing_report):
    """The staffing position of a run with operator groups: a panel per group or pool of groups sharing calls
    (skills_and_callbacks: one, general + enterprise), titled with its name, every text inside the figure."""
    from sim.report import position_view
    from sim.report.figures import common

    drawn: list = []
    monkeypatch.setattr(common, "png", lambda fig: drawn.append(fig) or b"\x89PNG")
    out, exp = routing_report
    assert position_view.week_figure(out, exp.replications[0].interval_s / 3600.0) is not None
    titles = [ax.get_title(loc="left") for ax in drawn[0].axes]
    assert [t.split(":")[0] for t in titles] == ["general + enterprise"], titles
    assert not cut_texts(drawn[0]), cut_texts(drawn[0])


def test_a_long_time_axis_numbers_the_days_from_0_as_the_tables_do():
    """Three weeks from a Sunday: the axis names each week's first day as the staffing position's tables and
    the CSV files number it (day 0, 7, 14; it said day 1, 8, 15)."""
    from sim.report.figures.common import pyplot, time_axis

    fig, ax = pyplot().subplots()
    ax.set_xlim(0, 21 * 24)
    time_axis(ax, 0.0, 21 * 24.0, 6)
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    pyplot().close(fig)
    assert labels[:3] == ["Sun\nday 0", "Sun\nday 7", "Sun\nday 14"], labels


def test_tradeoff_labels_stay_inside_their_axes(monkeypatch):
    """The label of the variant with the most operator-hours ("headcount_factor=1.1") was written to the right of
    its point, past the axes and over the legend beside them; every label now lies inside its axes."""
    drawn = []
    monkeypatch.setattr(sweep, "png", lambda fig: drawn.append(fig) or b"")
    rows = []
    for i, (factor, hours) in enumerate([(0.9, 4561.0), (1.1, 5575.0)]):
        row = _row(i, f"staffing.headcount_factor={factor}", 0.0, reference=i == 0)
        row.overrides = [f"staffing.headcount_factor={factor}"]
        row.kpis = {**row.kpis, "abandon_rate": {"mean": 0.1 - 0.08 * i, "ci_low": 0.09 - 0.08 * i,
                                                 "ci_high": 0.11 - 0.08 * i},
                    "operator_hours": {"mean": hours, "ci_low": hours, "ci_high": hours}}
        row.summary = {"kpis": row.kpis, "horizon_h": 168.0}
        rows.append(row)
    assert sweep.tradeoff(rows, {"service_level": 0.8, "abandon_rate": 0.05}) is not None
    fig = drawn[0]
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    names = []
    for ax in fig.axes:
        box = ax.get_window_extent(renderer)
        for t in ax.texts:
            names.append(t.get_text())
            e = t.get_window_extent(renderer)
            assert box.x0 - 1 <= e.x0 and e.x1 <= box.x1 + 1, (t.get_text(), e, box)
    assert "headcount_factor=1.1" in names, names
