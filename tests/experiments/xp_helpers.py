"""Helpers of the experiment-layer tests (importable as ``xp_helpers``, also by spawned and Dask workers).

The task functions here are module-level so that a process pool (spawn start
method, which passes the parent's ``sys.path``) or a Dask worker (started with
this folder on ``PYTHONPATH``) can unpickle them by reference.
"""

from __future__ import annotations

import copy
import math
import os
import subprocess
import sys
import typing
from pathlib import Path
from typing import Dict, List, Mapping, Sequence, Tuple

import numpy as np
from scipy import stats as st

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent

#: A small steady-state ``single_queue`` run: 4 h, 1 h warm-up, no figures.
QUIET = ["report.plots=false", "report.html=false", "report.print_table=false"]
SQ_SMALL = ["experiment.horizon_h=4", "experiment.warmup_h=1", *QUIET]
#: ``single_queue`` with every front-line random source in use (redials, lognormal times, online items).
SQ_RICH = [
    "experiment.horizon_h=6", "experiment.warmup_h=1", "experiment.seed=4711",
    "calls.retrial.probability=0.5", "staffing.operators=118",
    "calls.handle_s.dist=lognormal", "calls.handle_s.cv=0.8",
    "calls.patience_s.dist=lognormal", "calls.patience_s.cv=1.5",
    "arrivals.online.per_day=5000", "online.expire_h=0.5", "online.deadline_h=0.5", *QUIET,
]
#: The Beijing hotline at 2% scale: one day of contacts followed to the end of their work orders.
BJ_SMALL = ["scale=0.02", "experiment.horizon_h=24", "experiment.drain_h=120", *QUIET]

FAILING_REPLICATION = 2
#: Output files every run writes and that must not depend on where replications ran.
DATA_FILES = ("kpis.csv", "intervals.csv", "accounting.csv", "warmup.csv")
#: Keys of summary.json that would legitimately differ between runs (wall-clock); none exist today.
TIMING_KEYS = frozenset({"wall_s", "elapsed_s", "started", "finished", "started_at", "finished_at"})


def fail_on_two(cfg, replication: int):
    """Task: raise for replication 2, otherwise :func:`sim.model.replication.run_replication`."""
    from sim.model.replication import run_replication

    if replication == FAILING_REPLICATION:
        raise RuntimeError(f"injected failure in replication {replication}")
    return run_replication(cfg, replication)


def injected_error(replication: int = FAILING_REPLICATION) -> str:
    """The error text :class:`sim.experiments.executors.Failure` should carry for :func:`fail_on_two`."""
    return f"RuntimeError: injected failure in replication {replication}"


def rel_half_width(values: Sequence[float], confidence: float) -> float:
    """Relative half-width of the Student-t interval of ``values`` (half-width / |mean|), computed here."""
    x = np.asarray(values, dtype=float)
    if len(x) < 2 or x.mean() == 0:
        return math.inf
    half = st.t.ppf(0.5 + confidence / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x))
    return float(half / abs(x.mean()))


def same_kpis(a: Mapping[str, float], b: Mapping[str, float]) -> List[str]:
    """Names of the KPIs that differ between two per-replication dicts (NaN equals NaN)."""
    out = sorted(set(a) ^ set(b))
    for k in set(a) & set(b):
        x, y = a[k], b[k]
        if not ((isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y)) or x == y):
            out.append(k)
    return out


def write(exp, folder: Path) -> Dict:
    """Write the report folder of ``exp`` with :func:`sim.report.outputs.write_outputs`; return the summary."""
    from sim.api import config_yaml
    from sim.report.outputs import write_outputs

    return write_outputs(exp, folder, config_yaml(exp.cfg))


def strip_timings(obj):
    """``obj`` (parsed JSON) without wall-clock keys, recursively."""
    if isinstance(obj, dict):
        return {k: strip_timings(v) for k, v in obj.items() if k not in TIMING_KEYS}
    if isinstance(obj, list):
        return [strip_timings(v) for v in obj]
    return obj


def run_cli_env(args: Sequence[str], env_extra: Mapping[str, str] = (), timeout: float = 600,
                pythonpath: Sequence[str] = ()) -> subprocess.CompletedProcess:
    """``python run_sim.py ARGS`` in a subprocess, with extra environment variables and PYTHONPATH entries."""
    env = dict(os.environ)
    env.pop("HYDRA_FULL_ERROR", None)
    env.update(dict(env_extra))
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join([*pythonpath, *filter(None, [env.get("PYTHONPATH")])])
    return subprocess.run([sys.executable, str(ROOT / "run_sim.py"), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


#: Keys that :class:`FastCompose` sets on a copy of a composed configuration instead of composing again.
SCALAR_PREFIXES = ("experiment.", "report.", "kpi.", "staffing.operators", "staffing.shrinkage")


def _coerce(node, name: str, text: str):
    """``text`` converted to the declared type of field ``name`` of the dataclass ``node``."""
    hint = typing.get_type_hints(type(node))[name]
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) is typing.Union and len(args) == 1:  # Optional[X]
        if text in ("null", "None"):
            return None
        hint = args[0]
    if hint is bool:
        return {"true": True, "false": False}[text.lower()]
    return hint(text) if hint in (int, float, str) else text


def derive(cfg, changes: Mapping[str, str]):
    """A validated deep copy of ``cfg`` with dotted keys set from override text (``{"experiment.jobs": "2"}``)."""
    from sim.model.checks import validate

    new = copy.deepcopy(cfg)
    for key, text in changes.items():
        *path, last = key.split(".")
        node = new
        for part in path:
            node = getattr(node, part)
        if not hasattr(node, last):
            raise KeyError(f"unknown key {key}")
        setattr(node, last, _coerce(node, last, str(text)))
    validate(new)
    return new


class FastCompose:
    """``compose_config`` with a cache: Hydra composes each scenario (with its structural overrides) once;
    scalar overrides (:data:`SCALAR_PREFIXES`) are set on a validated copy.  A Hydra composition takes
    ~1.5 s, so this keeps the suite within its time budget; the command-line tests compose for real."""

    def __init__(self) -> None:
        self._cache: Dict[Tuple[str, Tuple[str, ...]], object] = {}

    def __call__(self, scenario: str, overrides: Sequence[str] = ()):
        from sim.api import compose_config

        structural, scalar = [], {}
        for o in overrides:
            key, _, value = o.partition("=")
            if key.startswith(SCALAR_PREFIXES) and not value.startswith(("[", "{")):
                scalar[key] = value
            else:
                structural.append(o)
        k = (scenario, tuple(structural))
        if k not in self._cache:
            self._cache[k] = compose_config(scenario, structural)
        return derive(self._cache[k], scalar)
