"""A new setting is one field in one file: its type, range and meaning where it is declared.

sim/config/README.md says how to add a setting: declare the field in its section of the schema, e.g.
``max_hold_s: PositiveSeconds = doc(900.0, "...")`` in :class:`sim.config.schema.CallsConfig`.  Here the section
is extended by a subclass (the schema's file is not edited by a test) and put in place of the schema's
``Config``; nothing else changes, and the new key is known to every path of a configuration: the command
line's override check (an unknown key otherwise), composition, the checks (a bad value refused with the usual
line, exit status 2), the "used only when" rule declared on the field, and the typed result.
"""

from __future__ import annotations

from typing import Annotated

import pytest

import sim.config.schema as schema
from sim.config.fields import Range, UsedOnlyWhen, doc
from sim.core.errors import ConfigError

FAST = ["experiment.horizon_h=1", "experiment.warmup_h=0", "experiment.replications=1"]


class CallsWithHold(schema.CallsConfig):
    """The calls section with one more setting (what a new setting looks like in the schema)."""

    max_hold_s: Annotated[float, Range(lo_open=True, ceiling=3600.0, why="an hour on hold at most"), UsedOnlyWhen(
        lambda c, o: o.retrial.probability > 0, "used only when callers redial (calls.retrial.probability > 0)")] = doc(
        900.0, "longest time a caller is kept on hold before being offered a redial, seconds")


class ConfigWithHold(schema.Config):
    calls: CallsWithHold = doc(CallsWithHold, "phone calls")


@pytest.fixture
def compose(monkeypatch):
    """``compose_config`` with the extended schema in place of the schema's ``Config`` (scenarios read anew)."""
    import sim.api
    from sim.config.paths import BUILTIN_SCENARIO_DIR
    from sim.config.scenario_files import load_scenarios

    monkeypatch.setattr(schema, "Config", ConfigWithHold)
    scenarios = load_scenarios(BUILTIN_SCENARIO_DIR)
    monkeypatch.setattr(sim.api, "register", lambda *a, **k: scenarios)
    return sim.api.compose_config


def test_the_new_setting_is_composed_typed_and_used(compose):
    cfg = compose("single_queue", [*FAST, "calls.retrial.probability=0.2", "calls.max_hold_s=120"])
    assert isinstance(cfg.calls, CallsWithHold) and cfg.calls.max_hold_s == 120.0
    assert compose("single_queue", FAST).calls.max_hold_s == 900.0  # the default


@pytest.mark.parametrize("arg, line", [
    ("calls.max_hold_s=-5", "calls.max_hold_s=-5: must be > 0"),
    ("calls.max_hold_s=7200", "calls.max_hold_s=7200: must be <= 3,600 (an hour on hold at most)"),
    ("calls.max_hold_s=abc", "calls.max_hold_s=abc: must be a number"),
])
def test_a_bad_value_is_refused_with_the_usual_line(compose, arg, line):
    from sim.cli import as_typed

    typed = [*FAST, "calls.retrial.probability=0.2", arg]
    with pytest.raises(ConfigError) as info:
        compose("single_queue", typed)
    assert as_typed(info.value, typed) == line


def test_the_rule_on_the_field_applies(compose):
    """Set without redials, the new setting is refused by the "used only when" condition declared on it."""
    with pytest.raises(ConfigError) as info:
        compose("single_queue", [*FAST, "calls.max_hold_s=120"])
    assert (info.value.key, info.value.value) == ("calls.max_hold_s", 120.0)
    assert info.value.rule == "used only when callers redial (calls.retrial.probability > 0)"


def test_the_command_line_refuses_it_in_one_line(compose, capsys, tmp_path, monkeypatch):
    """Through ``sim.cli.main``: exit status 2, one line, no report folder."""
    import sim.config.hydra_setup as hs
    from sim.cli import main

    monkeypatch.setattr(hs, "register", lambda *a, **k: __import__("sim.api").api.register())
    with pytest.raises(SystemExit) as info:
        main(["scenario=single_queue", *FAST, "calls.retrial.probability=0.2", "calls.max_hold_s=0",
              f"report.dir={tmp_path / 'r'}"])
    lines = capsys.readouterr().err.strip().splitlines()
    assert info.value.code == 2 and lines == ["run_sim: error: calls.max_hold_s=0: must be > 0"], lines
    assert not (tmp_path / "r").exists()
