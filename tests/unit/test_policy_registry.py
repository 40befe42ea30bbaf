"""The policy registry: a policy is found by its name; an unknown name is one clear error listing the valid ones."""

from __future__ import annotations

import pytest

from sim.core.errors import ConfigError
from sim.policies.registry import Registry


def _registry() -> Registry:
    reg: Registry = Registry("assignment policy", "workorders.assignment")

    @reg.register("weights")
    def by_weights() -> str:
        return "weights"

    @reg.register("least_loaded")
    def least_loaded() -> str:
        return "least_loaded"

    return reg


def test_found_by_name_in_registration_order():
    """Registered policies are found by name; names() lists them in registration order."""
    reg = _registry()
    assert reg.get("least_loaded")() == "least_loaded"
    assert reg.names() == ("weights", "least_loaded")
    assert "weights" in reg and "nope" not in reg
    assert list(reg) == ["weights", "least_loaded"]


@pytest.mark.parametrize("name", ["nope", "", "Weights", None])
def test_unknown_name_is_a_config_error_listing_the_valid_ones(name):
    """An unknown name raises ConfigError naming the key, the value and every valid name."""
    reg = _registry()
    with pytest.raises(ConfigError) as info:
        reg.get(name)
    err = info.value
    assert err.key == "workorders.assignment" and err.value == name
    assert "unknown assignment policy" in err.rule and "weights, least_loaded" in err.rule, str(err)
    with pytest.raises(ConfigError) as info:
        reg.check(name, key="routing.groups.general.assignment")
    assert info.value.key == "routing.groups.general.assignment"


def test_a_name_registers_once():
    """Two policies cannot share a name."""
    reg = _registry()
    with pytest.raises(ValueError, match="already registered"):
        reg.register("weights")(lambda: None)


# ---------------------------------------------------------------------------------- a policy added to a registry
_CHOICES: list = []


def _most_loaded(drawn: int, first: int, load):  # the test policy's rule: recorded, then the most loaded unit
    import numpy as np

    _CHOICES.append((first, len(load)))
    return first + int(np.argmax(np.where(np.isfinite(load), load, -1.0)))


def test_an_assignment_policy_added_to_the_registry_is_consulted_for_the_types_named(monkeypatch):
    """sim/policies/dispatch.py: a new assignment rule is an ``Assignment`` with ``by_load=True`` overriding
    ``choose``, registered in ``ASSIGNMENT``.  ``workorders.assignment_types`` was refused with it ("used only with
    workorders.assignment=least_loaded"), though the back office applies it to any policy by load."""
    from dataclasses import dataclass

    from sim.api import compose_config
    from sim.experiments.runner import run_experiment
    from sim.policies.dispatch import ASSIGNMENT, Assignment

    @dataclass(frozen=True)
    class MostLoaded(Assignment):
        def choose(self, drawn, first, load):  # type: ignore[no-untyped-def]
            return _most_loaded(drawn, first, load)

    monkeypatch.setitem(ASSIGNMENT._items, "most_loaded", MostLoaded("most_loaded", by_load=True))
    _CHOICES.clear()
    cfg = compose_config("beijing_baseline", ["scale=0.02", "experiment.horizon_h=6", "experiment.replications=1",
                                              "experiment.jobs=1", "experiment.progress=false",
                                              "workorders.assignment=most_loaded", "workorders.assignment_types=[street]"])
    exp = run_experiment(cfg)
    assert exp.replications and not exp.failures
    streets = cfg.units["street"].count
    assert len(_CHOICES) >= 10 and {n for _, n in _CHOICES} == {streets}, _CHOICES[:5]  # streets only, every time
    with pytest.raises(ConfigError) as info:  # still unused with the drawn unit
        compose_config("beijing_baseline", ["scale=0.02", "workorders.assignment_types=[street]"])
    assert info.value.key == "workorders.assignment_types" and "chooses by load" in info.value.rule
