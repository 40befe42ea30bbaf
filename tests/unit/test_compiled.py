"""The model reads one compiled scenario, and every derived quantity is computed in one place.

* The compiled scenario (:class:`sim.model.compile.Compiled`) holds no raw configuration: no
  object of the configuration's classes anywhere inside it, and it cannot be changed once built.
* The modules the model runs (:mod:`sim.model`, :mod:`sim.policies`) read the compiled scenario
  only: none imports the configuration's ``Config`` or reads a ``.cfg`` attribute, except the
  compilation itself and the checks that run before it.
* The configuration keys that a derived quantity comes from - the interval counts
  (``experiment.*_h``, ``kpi.interval_min``), the triage mix (``emergency_transfer_share``),
  the surges, the headcount, demand and handle-time factors - are read in the model, the policies, the planning and the
  experiments only where the quantity is derived (:mod:`sim.model.derive`, or
  :func:`sim.model.staffing.available_factor`); and distributions are built from a setting only
  there and in :mod:`sim.model.compile`.
* The one triage mix is the one the residents are drawn with.
"""

from __future__ import annotations

import ast
import dataclasses
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from sim.core.rng import Streams
from sim.model.compile import compile_config
from sim.model.derive import DIRECT, TRANSFER, WORK_ORDER, triage
from sim.model.residents import COL_CATEGORY, COL_KIND, day_rows

ROOT = Path(__file__).resolve().parents[2]
SIM = ROOT / "sim"
#: Modules that read the configuration to build the compiled scenario, or check it before it is built
#: (sim/model/staffing.py reads the plan forms into timetables, for the compilation and the checks).
COMPILATION = {"sim/model/compile.py", "sim/model/derive.py", "sim/model/checks.py", "sim/model/checks_blending.py",
               "sim/model/staffing.py"}


def _config_objects(obj, path="sc", seen=None):
    """Every object inside ``obj`` (dataclass fields, mappings, sequences) whose class belongs to
    the configuration package, with where it sits."""
    seen = set() if seen is None else seen
    if id(obj) in seen or isinstance(obj, (str, bytes, int, float, bool, np.ndarray, type(None))):
        return
    seen.add(id(obj))
    if type(obj).__module__.startswith("sim.config"):
        yield path, type(obj).__name__
    if dataclasses.is_dataclass(obj):
        for f in dataclasses.fields(obj):
            yield from _config_objects(getattr(obj, f.name), f"{path}.{f.name}", seen)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _config_objects(v, f"{path}[{k!r}]", seen)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from _config_objects(v, f"{path}[{i}]", seen)
    elif hasattr(obj, "__dict__"):
        for k, v in vars(obj).items():
            yield from _config_objects(v, f"{path}.{k}", seen)


@pytest.mark.parametrize("scenario", ["beijing_baseline", "skills_and_callbacks", "single_queue"])
def test_compiled_holds_no_configuration(compose_once, scenario):
    """Nothing inside the compiled scenario is an object of the configuration (the model cannot read it)."""
    sc = compile_config(compose_once(scenario, ["scale=0.1", "experiment.replications=1"]))
    found = list(_config_objects(sc))
    assert not found, f"{scenario}: raw configuration inside the compiled scenario: {found[:5]}"
    assert "cfg" not in {f.name for f in dataclasses.fields(sc)}


def test_compiled_is_immutable(compose_once):
    """A compiled scenario is shared by the replications that run it: its fields cannot be reassigned."""
    sc = compile_config(compose_once("skills_and_callbacks", ["scale=0.1", "experiment.replications=1"]))
    parts = [sc, sc.clock, sc.triage, sc.staffing, sc.callback, sc.backoffice, sc.feedback, sc.routing]
    for part in parts:
        assert part is not None
        name = dataclasses.fields(part)[0].name
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(part, name, None)


def _sources():
    for part in ("model", "policies", "planning", "experiments"):
        for path in sorted((SIM / part).glob("*.py")):
            yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


#: The replication's entry point takes the configuration only to compile it (``run_replication(cfg, r)``).
ENTRY = "sim/model/replication.py"


def test_model_reads_no_raw_configuration():
    """The model's modules take the compiled scenario: none imports ``Config`` (the entry point excepted), reads
    a ``.cfg`` attribute or a key of a configuration (``cfg.<key>``); the compilation and the checks before it
    excepted."""
    bad = []
    for rel, tree in _sources():
        if rel in COMPILATION or not rel.startswith(("sim/model/", "sim/policies/")):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "sim.config.schema" and rel != ENTRY:
                bad += [f"{rel}:{node.lineno} imports {a.name}" for a in node.names if a.name == "Config"]
            elif isinstance(node, ast.Attribute) and (
                    node.attr == "cfg" or (isinstance(node.value, ast.Name) and node.value.id == "cfg")):
                bad.append(f"{rel}:{node.lineno} reads {ast.unparse(node)}")
    assert not bad, "the model reads raw configuration:\n" + "\n".join(bad)


#: Configuration keys a derived quantity comes from -> the modules that derive it.
DERIVED_IN = {
    "interval_min": {"sim/model/derive.py"},  # the interval counts: derive.clock
    "warmup_h": {"sim/model/derive.py"},
    "horizon_h": {"sim/model/derive.py"},
    "drain_h": {"sim/model/derive.py"},
    "emergency_transfer_share": {"sim/model/derive.py"},  # the triage mix: derive.triage
    "surges": {"sim/model/derive.py", "sim/model/arrivals.py"},  # the surges (ChannelArrivals keeps its own)
    "headcount_factor": {"sim/model/staffing.py"},  # headcounts after scale, factor, shrinkage: available_factor
    "demand_factor": {"sim/model/derive.py"},  # every arrival process's volume: derive.demand_volume
    "handle_factor": {"sim/model/derive.py"},  # every call handle time: derive.call_handle, handle_tables
}
#: Reads that name a key in an error message (the value as the user typed it), not a derivation.
NAMING = {("sim/model/checks.py", name) for name in ("horizon_h", "warmup_h", "interval_min", "surges",
                                                      "headcount_factor", "demand_factor")}


def test_derived_quantities_have_one_home():
    """Each configuration key behind a derived quantity is read only where the quantity is derived."""
    bad = []
    for rel, tree in _sources():
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load) and node.attr in DERIVED_IN
                    and rel not in DERIVED_IN[node.attr] and (rel, node.attr) not in NAMING):
                bad.append(f"{rel}:{node.lineno} reads .{node.attr}")
    assert not bad, "a derived quantity is computed outside sim/model/derive.py:\n" + "\n".join(bad)


def test_distributions_are_built_in_one_place():
    """``make_distribution`` on a setting is called by the compilation only (sim/model/derive.py, compile.py)."""
    bad = [f"{rel}:{node.lineno}" for rel, tree in _sources() for node in ast.walk(tree)
           if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) ==
           "make_distribution" and rel not in ("sim/model/derive.py", "sim/model/compile.py")]
    assert not bad, f"distributions built outside the compilation: {bad}"


def test_triage_mix_is_the_drawn_one(compose_once):
    """The triage mix the callback estimator, the staffing requirement and the size check read
    (:func:`sim.model.derive.triage`) is the frequency with which residents are drawn into each kind."""
    cfg = compose_once("beijing_baseline", ["scale=0.1", "experiment.replications=1"])
    sc = compile_config(cfg)
    expected = triage(cfg).kind_share
    assert np.all(expected[:, TRANSFER] >= 0) and expected[:, TRANSFER].max() > 0.01, expected
    rows = [r for day in range(3) for r in day_rows(sc, Streams(cfg.experiment.seed, 0), day)]
    counts = Counter((r[COL_CATEGORY], r[COL_KIND]) for r in rows)
    for k, name in enumerate(sc.categories):
        n = sum(counts[(k, kind)] for kind in (DIRECT, WORK_ORDER, TRANSFER))
        for kind in (DIRECT, WORK_ORDER, TRANSFER):
            p = expected[k, kind]
            sd = max(np.sqrt(p * (1 - p) / n), 1e-9)
            got = counts[(k, kind)] / n
            assert abs(got - p) <= 5 * sd + 1e-12, f"{name}, kind {kind}: drawn {got:.4f} of {n}, mix {p:.4f}"
