"""The side-by-side table that ends a sweep on the terminal (:mod:`sim.report.sweep_text`).

An interval clipped to its KPI's domain is not symmetric about the mean: shown as mean ± half-width it
would name ends that the interval does not have (a service level of 66.94% with the interval [0%, 100%]
read "66.94% ±50.00", i.e. 16.94% to 116.94%).  Such an interval is shown by its ends.
"""

from __future__ import annotations

from sim.report.sweep_text import sweep_table


def _summary(**kpis: tuple) -> dict:
    return {"kpis": {k: {"mean": m, "ci_low": lo, "ci_high": hi} for k, (m, lo, hi) in kpis.items()}}


def _row(table: str, kpi: str) -> str:
    return next(ln for ln in table.splitlines() if ln.startswith(kpi + " "))


def test_clipped_interval_shows_its_ends_not_a_half_width():
    """Two replications: the service level's t interval runs past both ends of [0, 1] and is clipped to
    [0, 1]; the ASA's runs below 0 and is clipped to [0 s, 81.9 s].  The table shows those ends; an
    unclipped interval keeps mean ± half-width."""
    clipped = _summary(service_level=(0.6694, 0.0, 1.0), asa_s=(14.8, 0.0, 81.9), occupancy=(0.5908, 0.3442, 0.8374))
    plain = _summary(service_level=(0.8149, 0.7, 0.9298), asa_s=(5.52, 3.0, 8.04), occupancy=(0.569, 0.5, 0.638))
    table = sweep_table(["0: a=1", "1: a=2"], [clipped, plain], [{}, {"service_level": True}])
    sl = _row(table, "service_level")
    assert "66.94% [0.00%, 100.00%]" in sl, sl
    assert "±50.00" not in sl, sl
    assert "81.49% ±11.49 *" in sl, sl
    asa = _row(table, "asa_s")
    assert "14.8 s [0.0 s, 81.9 s]" in asa, asa
    assert "5.52 s ±2.52 s" in asa, asa
    occ = _row(table, "occupancy")
    assert "59.08% ±24.66" in occ and "56.90% ±6.90" in occ, occ
    assert "clipped to the KPI's domain" in table, table


def test_one_replication_has_no_interval():
    """No interval (one replication): the mean alone, with no ± and no brackets."""
    table = sweep_table(["0: a=1", "1: a=2"], [_summary(service_level=(0.7, None, None)),
                                                _summary(service_level=(0.8, None, None))], [{}, {}])
    sl = _row(table, "service_level")
    assert "70.00%" in sl and "80.00%" in sl and "±" not in sl and "[" not in sl, sl
