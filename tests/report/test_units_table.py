"""units.csv says over how many replications each unit's rate is averaged.

A unit's rate is undefined (NaN) in a replication where the unit had no denominator (no order received,
none rated); its mean is then over the other replications and has no interval, and the column
``<rate stem>_replications`` says how many replications the mean covers.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
from scipy import stats

import sim.report.tables as tables
from sim.analysis.kpis_backoffice import UNIT_RATES
from sim.records.backoffice import BackOfficeMeta

NAN = math.nan
#: Per replication, the rates of two units: unit "b" has no response rate in replication 1.
ROWS = {0: [(0.90, 0.5), (0.80, 0.6)], 1: [(0.92, 0.5), (NAN, 0.7)], 2: [(0.88, 0.5), (0.70, 0.8)]}


def _rows(bo):
    out = []
    for response, other in ROWS[bo.rep]:
        row = {k: other for k in UNIT_RATES}
        row["response_rate"] = response
        row.update({k: 3.0 for k in tables.UNIT_COUNTS})
        out.append(row)
    return out


def test_units_table_counts_the_replications_behind_each_mean(monkeypatch):
    """Unit a: response rate over 3 replications with its 90% interval; unit b: over 2 (replication 1 has no
    response rate), no interval; the other rates over 3."""
    monkeypatch.setattr(tables, "unit_rows", _rows)
    meta = BackOfficeMeta(type_of=[0, 0], type_names=["street"], unit_names=["a", "b"], capacity=[2, 2],
                          categories=["c"])
    reps = [SimpleNamespace(backoffice=SimpleNamespace(meta=meta, rep=r)) for r in range(3)]
    exp = SimpleNamespace(replications=reps, cfg=SimpleNamespace(experiment=SimpleNamespace(confidence=0.9)))
    header, rows = tables.units_table(exp)  # type: ignore[arg-type]
    col = {h: i for i, h in enumerate(header)}
    a, b = rows
    ref = stats.t.interval(0.9, 2, loc=0.9, scale=stats.sem([0.90, 0.92, 0.88]))
    assert (a[col["response_rate"]], a[col["response_replications"]]) == (pytest.approx(0.9), 3), a
    assert (a[col["response_rate_ci_low"]], a[col["response_rate_ci_high"]]) == (
        pytest.approx(ref[0], rel=1e-12), pytest.approx(ref[1], rel=1e-12)), a
    assert (b[col["response_rate"]], b[col["response_replications"]], b[col["response_rate_ci_low"]]) == (
        pytest.approx(0.75), 2, None), b
    assert b[col["satisfaction_replications"]] == 3 and b[col["satisfaction_rate_ci_low"]] is not None, b
