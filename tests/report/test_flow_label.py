"""The labels of "where the contacts went": a count and its share, the share never left out."""

from __future__ import annotations

import pytest

from sim.report.figures.flow import flow_label


@pytest.mark.parametrize("value, total, text", [
    (44288.0, 78508.0, "44,288 (56.4%)"),
    (85.0, 208_276.0, "85 (<0.1%)"),  # a 30-day run's orders still open: was "85.0", without a share
    (12.5, 1000.0, "12.5 (1.2%)"),  # a mean over two replications keeps its half
    (0.0, 100.0, "0 (0.0%)"),
])
def test_flow_label(value, total, text):
    assert flow_label(value, total) == text
