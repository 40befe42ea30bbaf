"""Malformed scenario files: one guarded loader, one line naming the file, the line and the rule.

Every example of the issue is a file in a temporary scenario folder next to a
good scenario: :func:`sim.config.scenario_files.load_scenarios` keeps the broken one's
error and the good one usable (a broken file only breaks the runs that use it);
:func:`sim.api.compose_config` of the broken one raises that error, of the good
one composes.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support import require

from sim.config.scenario_files import MAX_BYTES, MAX_DEPTH, load_scenarios
from sim.core.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
SQ = (ROOT / "scenarios" / "single_queue.yaml").read_text(encoding="utf-8")
BOMB = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi"))

# name -> (file content (bytes or str), what the one-line message must contain)
CASES = {
    "not_utf8": (b'description: "caf\xe9"\n', "not_utf8.yaml, line 1: not UTF-8 text (byte 0xe9)"),
    "extends_list": ("extends: [a, b]\n", "extends_list.yaml, line 1: extends=['a', 'b']: must be the name of one"),
    "deep": ("x: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n", f"nested more than {MAX_DEPTH} levels"),
    "date_value": ("extends: sq\nexperiment:\n  seed: 2024-01-01\n",
                   "date_value.yaml, line 3: experiment.seed='2024-01-01': must be a whole number"),
    "timestamp_tag": ("extends: sq\nexperiment: {seed: !!timestamp 2024-01-01}\n",
                      "'timestamp' values are not allowed"),
    "binary_tag": ("extends: sq\ndescription: !!binary aGVsbG8=\n", "'binary' values are not allowed"),
    "python_tag": ("extends: sq\ndescription: !!python/object/apply:os.system [ls]\n", "values are not allowed"),
    "alias_bomb": (BOMB, "alias_bomb.yaml, line 1: anchor &a: anchors and aliases are not allowed"),
    "alias": ("extends: sq\ncalls:\n  handle_s: &h {dist: exponential, mean: 1}\n  patience_s: *h\n",
              "anchors and aliases are not allowed"),
    "duplicate_key": ("extends: sq\nstaffing:\n  operators: 3\nstaffing:\n  operators: 4\n",
                      "duplicate_key.yaml, line 4: duplicate key 'staffing' (first at line 2)"),
    "duplicate_nested": ("extends: sq\ncategories:\n  all: {share: 1, share: 0.5}\n", "duplicate key 'share'"),
    "hydra_key": ("extends: sq\nhydra:\n  run: {dir: x}\n", "hydra_key.yaml, line 2: hydra: Hydra settings cannot"),
    "defaults_key": ("defaults:\n  - single_queue\n",
                     "defaults_key.yaml, line 1: defaults: a scenario has no defaults"),
    "scenario_key": ("extends: sq\nscenario: other\n", "scenario_key.yaml, line 2: scenario: a scenario's name is"),
    "unknown_top": ("extends: sq\nstafing: {operators: 3}\n", "unknown_top.yaml, line 2: stafing: unknown key; did you "
                                                              "mean staffing?"),
    "unknown_nested": ("extends: sq\ncalls:\n  handle_s: {dist: exponential, mena: 3}\n",
                       "line 3: calls.handle_s.mena: unknown key; did you mean calls.handle_s.mean?"),
    "bool_yes": ("extends: sq\nreport: {plots: yes}\n", "report.plots='yes': must be true or false"),
    "bool_2": ("extends: sq\nreport: {plots: 2}\n", "report.plots=2: must be true or false"),
    "sexagesimal": ("extends: sq\nkpi: {answer_threshold_s: 1:30}\n",
                    "kpi.answer_threshold_s='1:30': must be a number"),
    "nested_values": ("extends: sq\ncalls:\n  handle_s: {dist: empirical, values: [[1, 2], [3]]}\n",
                      "line 3: calls.handle_s.values[0]: must be a number, not a list"),
    "dist_without_family": ("extends: sq\ncategories:\n  all:\n    handle_s: {mean: 300}\n",
                            "line 4: categories.all.handle_s: a distribution needs its family here"),
    "int_key": ("extends: sq\n1: 2\n", "keys must be names"),
    "two_documents": ("a: 1\n---\nb: 2\n", "expected a single document"),
    "not_a_mapping": ("- 1\n", "must be a mapping"),
    "huge_int": ("extends: sq\nexperiment: {seed: 1" + "0" * 5000 + "}\n", "is not a valid int (Exceeds the limit"),
    "control_char": ("description: \x01\n", "not valid YAML: special characters are not allowed"),
    "child_of_broken": ("extends: duplicate_key\n", "duplicate_key.yaml, line 4: duplicate key 'staffing' (first at "
                                                    "line 2) (scenario 'child_of_broken' extends it)"),
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A scenario folder: a good scenario ``sq`` (single_queue), every broken example, a directory named
    ``dir.yaml``, a dangling link, a FIFO and a file above the size limit."""
    d = tmp_path_factory.mktemp("scenarios")
    (d / "sq.yaml").write_text(SQ, encoding="utf-8")
    for name, (text, _) in CASES.items():
        path = d / f"{name}.yaml"
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    (d / "dir.yaml").mkdir()
    (d / "link.yaml").symlink_to(d / "nowhere.yaml")
    if hasattr(os, "mkfifo"):
        os.mkfifo(d / "fifo.yaml")
    (d / "big.yaml").write_text("# " + "x" * MAX_BYTES + "\n", encoding="utf-8")
    return d


@pytest.fixture(scope="module")
def scenarios(folder):
    return load_scenarios(folder)


def test_good_scenario_survives_the_broken_ones(scenarios):
    """The folder's good scenario loads although every other file is broken."""
    assert list(scenarios.data) == ["sq"], sorted(scenarios.data)
    assert scenarios.data["sq"]["staffing"]["operators"] == 130


@pytest.mark.parametrize("name", list(CASES))
def test_broken_file_is_one_line_naming_file_line_and_rule(scenarios, folder, name):
    """Each malformed file is kept as one ConfigError whose message names the file (and line) and the rule."""
    err = scenarios.errors[name]
    msg = str(err)
    assert "\n" not in msg and msg.startswith(f"{folder.name}/"), msg
    assert CASES[name][1] in msg, msg


@pytest.mark.parametrize("name,rule", [("dir", "not a readable file"), ("link", "not a readable file"),
                                       ("fifo", "not a readable file"), ("big", "too large")])
def test_not_a_regular_file_or_too_large(scenarios, folder, name, rule):
    """A directory named *.yaml, a dangling link, a FIFO (which would block a reader) and an oversized file."""
    if name == "fifo":
        require(hasattr(os, "mkfifo"), "os.mkfifo (FIFOs)", "run the test on a POSIX system")
    msg = str(scenarios.errors[name])
    assert msg.startswith(f"{folder.name}/{name}.yaml: ") and rule in msg, msg


def test_yaml_12_scalars(tmp_path):
    """Scalars follow YAML 1.2's core schema: yes/on are text, 010 is ten, a date is text, 1e3 is a number."""
    d = tmp_path / "scenarios"
    d.mkdir()
    (d / "s.yaml").write_text("description: 2024-05-01\nscale: 1e0\nexperiment: {seed: 010, replications: 1_0}\n"
                              "units: {x: {names: [yes, on, 'off']}}\n", encoding="utf-8")
    data = load_scenarios(d).data["s"]
    assert data["description"] == "2024-05-01" and data["scale"] == 1.0, data
    assert data["experiment"] == {"seed": 10, "replications": 10}, data
    assert data["units"]["x"]["names"] == ["yes", "on", "off"], data


def test_compose_uses_the_good_and_names_the_broken(folder, scenarios):
    """compose_config of the good scenario works with broken files next to it; of a broken one, it raises the
    file's own error."""
    import sim.api
    import sim.config.hydra_setup

    registered = sim.config.hydra_setup.register(folder)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sim.api, "register", lambda *a, **k: registered)
        cfg = sim.api.compose_config("sq", ["experiment.replications=1"])
        assert cfg.staffing.operators == 130
        for name in ("duplicate_key", "child_of_broken", "alias_bomb"):
            with pytest.raises(ConfigError) as info:
                sim.api.compose_config(name, [])
            assert str(info.value) == str(scenarios.errors[name])
