"""A unit staffing proposal can be run back: ``units.yaml`` and exceptions by the names ``units.csv`` uses.

``units.csv`` and the page name the units without a name in ``units.<type>.names`` as ``<type>_<n>``
(``district_005``); an exception by that name (``units.district.case_workers_by_unit.district_005``) was
refused as an unknown unit, so a planner could not give one district more case workers without listing every
district's name, nor paste a proposal back.  ``units.yaml`` is the proposal as a scenario's ``units:`` section;
a scenario that extends the run's and holds it has exactly the case workers the run simulated.
"""

from __future__ import annotations

import pytest
import yaml

from sim.api import compose_config
from sim.core.errors import ConfigError
from sim.model import derive
from sim.planning import make_unit_plan
from sim.report.units_staffing import units_yaml


def _workers(cfg):
    d = derive.unit_directory(cfg, derive.calendars(cfg))
    return {u.name: w for u, w in zip(d.units, d.workers)}


def test_an_unnamed_unit_takes_an_exception_by_the_name_units_csv_gives_it():
    cfg = compose_config("beijing_baseline", ["scale=0.01", "units.district.case_workers_by_unit={district_005:3}"])
    workers = _workers(cfg)
    assert (workers["district_005"], workers["district_004"]) == (3.0, 40.0)
    with pytest.raises(ConfigError) as info:
        compose_config("beijing_baseline", ["scale=0.01", "units.district.case_workers_by_unit={district_017:3}"])
    assert (info.value.key, info.value.rule) == (
        "units.district.case_workers_by_unit.district_017",
        "unknown unit of type district: use a name of units.district.names or district_001 to district_016 (the "
        "units without a name)")


@pytest.mark.parametrize("scale", [0.01, 1.0])
def test_units_yaml_runs_the_proposal_back(tmp_path, scale):
    """The erlang proposal for the department cut, pasted into a scenario extending it, gives every unit the case
    workers the run simulated (streets spread by weight included), and says at which scale it was proposed."""
    plan = make_unit_plan(compose_config("department_staff_cut", [f"scale={scale:g}", "unit_staffing.policy=erlang"]))
    text = units_yaml(plan, "department_staff_cut", scale)
    assert ("at scale 1 these counts are" in text) == (scale != 1), text[:600]
    back = tmp_path / "proposal_back.yaml"
    back.write_text("extends: department_staff_cut\n" + text, encoding="utf-8")
    assert set(yaml.safe_load(text)["units"]) == {"street", "district", "municipal", "utility"}
    cfg = compose_config(str(back), [f"scale={scale:g}"])
    assert cfg.unit_staffing.policy == "plan"
    assert _workers(cfg) == {n: float(w) for n, w in zip(plan.names, plan.required)}
    assert _workers(cfg) != _workers(compose_config("department_staff_cut", [f"scale={scale:g}"]))
