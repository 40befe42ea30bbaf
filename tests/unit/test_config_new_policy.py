"""A new staffing policy is one more variant of ``staffing.policy``'s tagged union (sim/config/README.md, "How to add
a policy"): the rules written for every proposing policy must hold for it without naming it.  Here the union is
extended by a test variant ``toy`` (the schema's file is not edited by a test) and put in place of the schema's
``Config``, as ``test_config_new_setting`` does for a setting."""

from __future__ import annotations

from typing import Literal

import pytest

import sim.config.schema as schema
import sim.config.staffing_policy as sp
from sim.config.fields import doc
from sim.core.errors import ConfigError

FAST = ["experiment.horizon_h=2", "experiment.warmup_h=0", "experiment.replications=1"]


class _Toy(sp._Proposing):
    policy: Literal["toy"] = doc("toy", "a proposing policy added by a test")


@pytest.fixture
def compose(monkeypatch):
    """``compose_config`` with ``staffing.policy=toy`` known to the schema; the module's tables restored after."""
    import sim.api
    from sim.config.paths import BUILTIN_SCENARIO_DIR
    from sim.config.scenario_files import load_scenarios

    family = sp.FrontStaffingConfig
    for table in (sp._FAMILIES, sp._SKELETONS):
        monkeypatch.setitem(table, family, table[family])
    for name in [n for n in vars(sp) if n.startswith(f"{family.__name__}_")]:
        monkeypatch.setattr(sp, name, getattr(sp, name))  # tagged() names its classes in the module
    monkeypatch.setattr(sp, "STAFFING_POLICIES", (*sp.STAFFING_POLICIES, "toy"))
    union = sp.tagged(family, (sp._PlanPolicy, sp._Erlang, sp._Optimize, _Toy))

    class ConfigWithToy(schema.Config):
        staffing: union = doc(family, "front-line operators")  # type: ignore[valid-type]

    monkeypatch.setattr(schema, "Config", ConfigWithToy)
    scenarios = load_scenarios(BUILTIN_SCENARIO_DIR)
    monkeypatch.setattr(sim.api, "register", lambda *a, **k: scenarios)
    return sim.api.compose_config


def test_the_new_policy_is_composed(compose):
    assert compose("single_queue", [*FAST, "staffing.policy=toy"]).staffing.policy == "toy"


def test_a_proposed_half_hourly_plan_needs_half_hour_intervals_whatever_the_policy(compose):
    """The rule named erlang: a new proposing policy with schedule=intervals and 20-minute reporting intervals ran,
    its half-hourly plan read against 20-minute intervals."""
    with pytest.raises(ConfigError) as info:
        compose("single_queue", [*FAST, "staffing.policy=toy", "kpi.interval_min=20"])
    assert (info.value.key, info.value.value) == ("kpi.interval_min", 20)
    assert "staffing.policy=toy" in info.value.rule and "multiple of 30 minutes" in info.value.rule
    compose("single_queue", [*FAST, "staffing.policy=plan", "kpi.interval_min=20"])  # a plan as given: any interval


def test_messages_name_the_proposing_policies_from_the_list_of_policies():
    """Three texts said "erlang or optimize" in words: a policy added to STAFFING_POLICIES went unnamed."""
    proposing = [p for p in sp.STAFFING_POLICIES if p != "plan"]
    assert sp._PROPOSING == " or ".join(proposing)
    assert sp._Proposing.WHEN.endswith(f"(staffing.policy={' or '.join(proposing)})")
