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
