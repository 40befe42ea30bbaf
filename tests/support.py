"""Helpers shared by test folders (importable as ``support``; tests/conftest.py puts tests/ on sys.path)."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Sequence

ROOT = Path(__file__).resolve().parent.parent


def in_ci() -> bool:
    """Whether the tests run in CI (``CI=true``: ``.ci/run`` exports it, as CI services do)."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def require(present: object, what: str, how: str) -> None:
    """Go on when the prerequisite ``what`` is ``present``; else skip the test, saying ``how`` to provide it.

    Under CI (:func:`in_ci`) a missing prerequisite fails the test instead: a test CI cannot run would
    otherwise pass unseen (a browser that failed to install, the public logs, a test extra).  Every test
    that depends on something outside the repository checks it with this function (tests/conftest.py
    turns any other skip under CI into a failure too).
    """
    if present:
        return
    import pytest

    message = f"{what} is missing: {how}"
    if in_ci():
        pytest.fail(f"CI=true: {message}", pytrace=False)
    pytest.skip(message)


def require_module(name: str, how: str):
    """The module ``name``, imported; a missing one is a missing prerequisite (:func:`require`)."""
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError as exc:
        require(False, f"the Python module {name} ({exc})", how)


def layered(*groups: Sequence[str]) -> list[str]:
    """Override lists joined in order, a later list's key replacing an earlier list's.

    A key may be given only once on the command line and to ``compose_config`` (a repeated key is an
    error), so tests that layer variants on a base list join them with this.
    """
    out: dict[str, str] = {}
    for group in groups:
        for arg in group:
            out[arg.split("=", 1)[0].lstrip("+~")] = arg
    return list(out.values())


def run_cli(args: Sequence[str], cwd: Path = ROOT, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``python run_sim.py ARGS`` in a subprocess and capture its output."""
    env = dict(os.environ)
    env.pop("HYDRA_FULL_ERROR", None)
    return subprocess.run([sys.executable, str(ROOT / "run_sim.py"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


# Runs sim.cli.main (what run_sim.py runs) for each case of a JSON file [[folder, args], ...], in that folder;
# prints one JSON line [[exit status, stdout, stderr], ...].
_BATCH_DRIVER = """
import contextlib, io, json, os, sys
from sim.cli import main
out = []
for folder, args in json.load(open(sys.argv[1])):
    os.chdir(folder)
    std, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(std):
        try:
            main(args)
            code = 0
        except SystemExit as exc:
            code = exc.code
    out.append([code, std.getvalue(), err.getvalue()])
sys.stdout.write(json.dumps(out) + "\\n")
"""


def run_cli_batch(cases: Sequence[tuple[Path, Sequence[str]]], timeout: float = 900) -> list:
    """Run the command line for each ``(folder, args)`` in one interpreter (the imports paid once).

    Each case calls :func:`sim.cli.main` with ``args`` in ``folder``, one after another, as
    ``run_sim.py`` would; returns a :class:`subprocess.CompletedProcess` per case (exit status, stdout,
    stderr of that case).
    """
    import json
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "cases.json"
        spec.write_text(json.dumps([[str(folder), list(args)] for folder, args in cases]))
        env = {k: v for k, v in os.environ.items() if k != "HYDRA_FULL_ERROR"}
        proc = subprocess.run([sys.executable, "-c", _BATCH_DRIVER, str(spec)], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise RuntimeError(f"batch driver failed (exit {proc.returncode}): {proc.stderr[-3000:]}")
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    return [subprocess.CompletedProcess(list(args), code, out, err)
            for (_, args), (code, out, err) in zip(cases, results)]


def idle_beside_work(pool, now: float) -> list:
    """``(group index, item)`` for every free operator's group and waiting item it may take at ``now``.

    The pool's rules stated plainly, from its configuration and its waiting items (every live lane
    entry, not only heads): an operator of a group may take an item whose class (its own class, the
    kind of work) is open, whose route lists the group with a wait already over, and - if the item's
    class *at ``now``* (after priority aging) is blended - only while ``reserve`` other operators of
    the group stay idle.  Outside the instant of a change the list is empty: a free operator never
    stays idle beside work it may take.
    """
    inf = float("inf")
    esc, n_routes = pool.escalate, len(pool.routes)

    def aged(c: int, queued: float) -> int:
        total = 0.0
        while esc[c][0] >= 0 and esc[c][1] < inf:
            total += esc[c][1]
            if queued + total > now:
                break
            c = esc[c][0]
        return c

    found = []
    for lane, entries in enumerate(pool.lanes):
        cls, route = divmod(lane, n_routes)
        if not pool.class_open[cls]:
            continue
        for item, attempt, queued in entries:
            if item.state != 1 or item.attempt != attempt:  # 1: waiting (sim.core.engine.WAITING)
                continue  # served, gone, or queued again under a later attempt
            blended = pool.blended[aged(cls, queued)]
            for g, wait_s in pool.routes[route]:
                grp = pool.groups[g]
                if grp.free and queued + wait_s <= now and (not blended or len(grp.free) - 1 >= grp.reserve):
                    found.append((g, item))
    return found


def step_watching(env, until: float, watch) -> None:
    """Run ``env`` event by event up to ``until``, calling ``watch(now)`` each time the clock is about to
    move on (after every event of an instant, never between two events of the same instant)."""
    while env.peek() < until:
        env.step()
        if env.peek() > env.now:
            watch(env.now)


def out_of_memory(cfg, replication: int):
    """Replication task that runs out of memory (module-level: a spawned worker process unpickles it)."""
    raise MemoryError(f"injected: replication {replication} ran out of memory")


#: Two-sided Student t quantiles t_{(1+level)/2, dof} from a printed table (not from scipy, which the code under
#: test uses), keyed by (confidence level, degrees of freedom).
T_QUANTILE = {(0.95, 1): 12.7062047, (0.95, 2): 4.3026527, (0.95, 3): 3.1824463, (0.95, 4): 2.7764451,
              (0.95, 9): 2.2621572, (0.90, 2): 2.9199856, (0.90, 4): 2.1318468, (0.99, 2): 9.9248432,
              (0.99, 4): 4.6040949}


def hand_interval(values: Sequence[float], level: float = 0.95, lo: float = -math.inf,
                  hi: float = math.inf) -> tuple[float, float, float]:
    """(mean, low, high) of the textbook t interval of ``values``, its bounds clipped to ``[lo, hi]``.

    Written out here - mean, sample standard deviation, a tabulated quantile - so that the expected value of
    a test is not computed by the code it tests.
    """
    n = len(values)
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = T_QUANTILE[(level, n - 1)] * sd / math.sqrt(n)
    return mean, min(max(mean - half, lo), hi), min(max(mean + half, lo), hi)


def erlang_c_agents(load: float, handle_s: float, threshold_s: float, service_level: float, asa_s: float) -> int:
    """The fewest agents whose Erlang C service level P(wait <= threshold) reaches ``service_level`` and whose mean
    wait is at most ``asa_s``: the textbook formulas, with C(c, a) = (a^c/c! x c/(c-a)) / (sum_{k<c} a^k/k! +
    a^c/c! x c/(c-a)), P(wait <= t) = 1 - C e^{-(c-a) t / handle}, ASA = C x handle / (c - a)."""
    c = int(load) + 1
    while True:
        top = load ** c / math.factorial(c) * c / (c - load)
        wait_p = top / (sum(load ** k / math.factorial(k) for k in range(c)) + top)
        if (1.0 - wait_p * math.exp(-(c - load) * threshold_s / handle_s) >= service_level
                and wait_p * handle_s / (c - load) <= asa_s):
            return c
        c += 1
