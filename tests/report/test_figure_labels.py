"""Figure labels are never cut: every text of a figure lies inside the figure (its own layout, as drawn)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, List

import pytest

from sim.report.figures import sweep


def cut_texts(fig: Any) -> List[str]:
    """Texts of a matplotlib figure whose drawn box passes an edge of the figure."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    width, height = fig.bbox.width, fig.bbox.height
    out = []
    for text in fig.findobj(lambda a: hasattr(a, "get_text") and hasattr(a, "get_window_extent")):
        if not text.get_visible() or not str(text.get_text()).strip():
            continue
        box = text.get_window_extent(renderer)
        if box.x0 < -1 or box.y0 < -1 or box.x1 > width + 1 or box.y1 > height + 1:
            out.append(f"{text.get_text()!r} at x {box.x0:.0f}..{box.x1:.0f} of {width:.0f}, "
                       f"y {box.y0:.0f}..{box.y1:.0f} of {height:.0f}")
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
