"""A planner's first what-if is one key, whatever form the scenario's staffing plan takes.

* ``staffing.headcount_factor`` multiplies the scenario's own plan (constant, half-hourly or
  shifts): its headcounts are those of the plan at ``scale x factor``.
* A plan form given on the command line (``staffing.operators``, ``half_hourly``, ``shifts``)
  replaces the scenario's form - in :func:`sim.api.compose_config` and on the command line alike -
  so ``-m staffing.operators=600,650,700`` (docs/experiments.md) runs on ``beijing_baseline``,
  whose plan is shifts (that command itself is run by tests/e2e/test_docs_commands.py).  Two forms
  given together, or a scenario file giving two, stay an error.
"""

from __future__ import annotations

import pytest

from sim.config.schema import ShiftConfig, StaffingConfig
from sim.core.errors import ConfigError
from sim.model.staffing import staffing_changes

FAST = ["scale=0.02", "experiment.horizon_h=2", "experiment.warmup_h=0", "experiment.drain_h=0",
        "experiment.replications=2", "experiment.progress=false"]
PLANS = {
    "constant": StaffingConfig(operators=130),
    "half_hourly": StaffingConfig(half_hourly=[10 + (i % 7) for i in range(48)], shrinkage=0.2),
    "shifts": StaffingConfig(shifts=[ShiftConfig(start_h=8, length_h=8, count=265),
                                     ShiftConfig(start_h=20, length_h=12, count=52, days=[0, 2, 4])],
                             shrinkage=0.25),
}


@pytest.mark.parametrize("form", list(PLANS))
@pytest.mark.parametrize("factor", [0.9, 1.1, 1.5])
def test_headcount_factor_scales_every_form(form, factor):
    """A plan with headcount_factor f has the headcount changes of the same plan at scale x f."""
    plan = PLANS[form]
    scaled = StaffingConfig(**{**plan.__dict__, "headcount_factor": factor})
    got = staffing_changes(scaled, 0.5, 7 * 86400.0)
    ref = staffing_changes(plan, 0.5 * factor, 7 * 86400.0)
    assert got == ref, f"{form}, factor {factor}: {got[:4]} vs {ref[:4]}"
    base = staffing_changes(plan, 0.5, 7 * 86400.0)
    assert got != base, f"{form}: headcount_factor={factor} changed nothing"


@pytest.mark.parametrize("value", ["0", "-1", "inf", "nan"])
def test_headcount_factor_must_be_positive(compose, value):
    with pytest.raises(ConfigError) as info:
        compose("single_queue", [f"staffing.headcount_factor={value}"])
    assert info.value.key == "staffing.headcount_factor", str(info.value)


def test_command_line_operators_replace_the_scenarios_shifts(compose):
    """compose_config: staffing.operators=650 on beijing_baseline (shifts) is 650 operators, no shifts."""
    base = compose("beijing_baseline", [])
    assert base.staffing.shifts, "beijing_baseline is expected to staff by shifts"
    cfg = compose("beijing_baseline", ["staffing.operators=650"])
    assert (cfg.staffing.operators, list(cfg.staffing.shifts), list(cfg.staffing.half_hourly)) == (650, [], [])
    assert cfg.staffing.shrinkage == base.staffing.shrinkage, "the scenario's shrinkage is kept"
    hh = compose("beijing_baseline", [f"staffing.half_hourly=[{','.join(['400'] * 48)}]"])
    assert (hh.staffing.operators, list(hh.staffing.shifts), len(hh.staffing.half_hourly)) == (0, [], 48)


def test_feedback_team_plan_replaced_too(compose):
    """The rule holds for every staffing plan: feedback.staffing.operators=40 replaces the team's shifts."""
    cfg = compose("beijing_baseline", ["feedback.staffing.operators=40"])
    assert (cfg.feedback.staffing.operators, list(cfg.feedback.staffing.shifts)) == (40, [])
    assert cfg.staffing.shifts, "the front line's plan must not change"


def test_two_forms_on_the_command_line_conflict(compose):
    with pytest.raises(ConfigError) as info:
        compose("beijing_baseline", ["staffing.operators=650", "staffing.shifts=[{count:3}]"])
    assert info.value.key == "staffing.operators" and "conflicts" in info.value.rule, str(info.value)


def test_scenario_file_with_two_forms_is_an_error(tmp_path, monkeypatch):
    """A scenario file that gives operators and shifts is rejected; the command line may still replace both."""
    import sim.api
    import sim.config.hydra_setup

    (tmp_path / "utest_two_forms.yaml").write_text(
        "extends: utest_sq_base\nstaffing:\n  operators: 130\n  shifts: [{start_h: 0, length_h: 24, count: 5}]\n")
    (tmp_path / "utest_sq_base.yaml").write_text(
        (sim.config.hydra_setup.scenario_dirs()[0] / "single_queue.yaml").read_text())
    scenarios = sim.config.hydra_setup.register(tmp_path)
    monkeypatch.setattr(sim.api, "register", lambda *a, **k: scenarios)
    with pytest.raises(ConfigError) as info:
        sim.api.compose_config("utest_two_forms", FAST)
    assert info.value.key == "staffing.operators" and "staffing.shifts" in info.value.rule, str(info.value)
    cfg = sim.api.compose_config("utest_two_forms", [*FAST, "staffing.operators=120"])
    assert (cfg.staffing.operators, list(cfg.staffing.shifts)) == (120, [])  # a form not given reads as empty
