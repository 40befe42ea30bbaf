"""A scenario named by the path of its file (:func:`sim.config.paths.scenario_paths`).

``scenario=scenarios/rainstorm.yaml`` used to answer "no file scenarios/scenarios/rainstorm.yaml.yaml": the
value was taken for a name.  A value with a ``/`` or a ``.yaml`` ending is a path: a file of a scenario folder
is that folder's scenario, any other file is read for the command under its file name, and a path that is no
scenario file is one line saying what to type.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support import ROOT

from sim.config.paths import scenario_paths
from sim.core.errors import ConfigError

FAST = ["experiment.horizon_h=3", "experiment.warmup_h=1", "experiment.replications=2"]


def _my_file(folder: Path, name: str, operators: int) -> Path:
    """single_queue's file with another headcount, saved as ``folder/name.yaml``."""
    text = (ROOT / "scenarios" / "single_queue.yaml").read_text(encoding="utf-8")
    assert "  operators: 130\n" in text
    path = folder / f"{name}.yaml"
    path.write_text(text.replace("  operators: 130\n", f"  operators: {operators}\n"), encoding="utf-8")
    return path


def test_path_into_the_scenario_folder_is_its_name():
    """The example of the issue: the built-in file's path names the built-in scenario, no file to add."""
    assert scenario_paths(["scenario=scenarios/rainstorm.yaml", "scale=0.1"], cwd=ROOT) == (
        ["scenario=rainstorm", "scale=0.1"], [])
    assert scenario_paths([f"scenario={ROOT / 'scenarios' / 'rainstorm.yaml'}"], cwd=Path("/")) == (
        ["scenario=rainstorm"], [])
    assert scenario_paths(["scenario=rainstorm", "-m"], cwd=ROOT) == (["scenario=rainstorm", "-m"], [])


def test_file_elsewhere_is_read_under_its_name(tmp_path):
    """./my_week.yaml, an absolute path and a sweep mixing a path and a name."""
    mine = _my_file(tmp_path, "my_week", 77)
    assert scenario_paths(["scenario=./my_week.yaml"], cwd=tmp_path) == (["scenario=my_week"], [mine])
    assert scenario_paths([f"scenario={mine}"], cwd=ROOT) == (["scenario=my_week"], [mine])
    assert scenario_paths(["scenario=my_week.yaml,single_queue"], cwd=tmp_path) == (
        ["scenario=my_week,single_queue"], [mine])


@pytest.mark.parametrize("value, words", [
    ("rainstorm.yaml", "no such file (in {cwd}); write scenario=rainstorm (the scenario of that name)"),
    ("nope/x.yaml", "no such file (in {cwd}); write the path of a scenario file (.yaml) or one of beijing_baseline"),
    ("notes.txt/", "a folder (in {cwd}); write"),
    ("./notes.txt", "not a .yaml file (in {cwd})"),
    ("./my week.yaml", "a scenario's file name holds only letters, digits, _ and -"),
])
def test_a_path_that_is_no_scenario_file_says_what_to_type(tmp_path, value, words):
    (tmp_path / "notes.txt").mkdir() if value == "notes.txt/" else (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "my week.yaml").write_text("description: x\n")
    with pytest.raises(ConfigError) as info:
        scenario_paths([f"scenario={value}"], cwd=tmp_path)
    assert info.value.key == "scenario" and info.value.value == value, info.value
    assert words.format(cwd=tmp_path) in str(info.value), str(info.value)


def test_two_files_of_one_name_are_refused(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _my_file(tmp_path / "a", "week", 70)
    _my_file(tmp_path / "b", "week", 80)
    with pytest.raises(ConfigError, match="two scenario files named week"):
        scenario_paths(["scenario=a/week.yaml,b/week.yaml"], cwd=tmp_path)


def test_compose_config_reads_the_file_given(tmp_path, monkeypatch):
    """compose_config with a path runs that file's data; a file named like a built-in scenario replaces it for
    that call only (the next call by name gets the built-in again)."""
    from sim.api import compose_config

    monkeypatch.chdir(tmp_path)
    cfg = compose_config(str(_my_file(tmp_path, "my_week", 77)), FAST)
    assert (cfg.scenario, cfg.staffing.operators) == ("my_week", 77)
    _my_file(tmp_path, "single_queue", 66)
    cfg = compose_config("./single_queue.yaml", FAST)
    assert (cfg.scenario, cfg.staffing.operators) == ("single_queue", 66)
    cfg = compose_config("single_queue", FAST)
    assert cfg.staffing.operators == 130, "the built-in single_queue was not restored after a file replaced it"


def test_a_file_given_by_its_path_extends_a_file_beside_it(tmp_path, monkeypatch):
    """A planner's what-ifs kept in one folder: ``study/cut.yaml`` (``extends: base``) given by its path reads
    ``study/base.yaml`` beside it, and that one's own ``extends: single_queue`` the built-in (it used to answer
    "unknown scenario; use one of ..., cut, ..." - offering the file itself). A file beside it named like a
    built-in scenario replaces that one for the chain, as a file given by its path does."""
    from sim.api import compose_config

    monkeypatch.chdir(tmp_path)
    study = tmp_path / "study"
    study.mkdir()
    (study / "base.yaml").write_text("extends: single_queue\nstaffing:\n  operators: 90\n", encoding="utf-8")
    (study / "cut.yaml").write_text("extends: base\nstaffing:\n  headcount_factor: 0.8\n", encoding="utf-8")
    cfg = compose_config(str(study / "cut.yaml"), FAST)
    assert (cfg.scenario, cfg.staffing.operators, cfg.staffing.headcount_factor) == ("cut", 90, 0.8)
    assert cfg.arrivals.phone.per_day == 43200, "the chain's root, the built-in single_queue, was not read"
    _my_file(study, "single_queue", 55)
    (study / "base.yaml").write_text("extends: single_queue\n", encoding="utf-8")
    assert compose_config(str(study / "cut.yaml"), FAST).staffing.operators == 55


@pytest.mark.parametrize("extends, words", [
    ("nowhere", ["extends='nowhere': unknown scenario (nor a file beside this one); use one of", "single_queue"]),
    ("./base.yaml", ["extends='./base.yaml': names a scenario, not a file: write the file's name without .yaml"]),
])
def test_extends_naming_nothing_says_what_to_write(tmp_path, monkeypatch, extends, words):
    """An ``extends`` that names no scenario and no file beside the file: the message does not offer the file
    itself (extending itself would be circular), and a path is answered with what to write instead."""
    from sim.api import compose_config

    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.yaml").write_text(f"extends: {extends}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        compose_config(str(tmp_path / "mine.yaml"), FAST)
    line = str(info.value)
    assert all(w in line for w in words), line
    assert "mine," not in line and not line.endswith("mine"), f"the file is offered as its own parent: {line}"
