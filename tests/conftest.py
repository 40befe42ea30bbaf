"""Shared fixtures: composed configurations and a helper to run the CLI."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
EXPERIMENTS = Path(__file__).resolve().parent / "experiments"  # xp_helpers: injected tasks for Dask workers

from support import ROOT, in_ci, require_module, run_cli  # noqa: E402,F401


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI (``CI=true``) a skipped test is a failed one: every test must run there.

    Tests skip through :func:`support.require`, which already fails under CI; this catches a skip written
    any other way (``pytest.skip``, ``importorskip``, a ``skipif`` mark).
    """
    outcome = yield
    report = outcome.get_result()
    if in_ci() and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under CI=true, where every test must run: {reason}"


@pytest.fixture
def compose():
    """``compose(scenario, overrides)`` -> validated :class:`sim.config.schema.Config`."""
    from sim.api import compose_config

    return compose_config


@pytest.fixture(scope="module")
def compose_once():
    """``compose_config`` with the scenario folder registered once for the whole test module."""
    import sim.api
    import sim.config.hydra_setup

    scenarios = sim.config.hydra_setup.register()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sim.api, "register", lambda *a, **k: scenarios)
        yield sim.api.compose_config


@pytest.fixture
def cli():
    """Run the command line; see :func:`support.run_cli`."""
    return run_cli


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def dask_scheduler(request, tmp_path_factory):
    """Address of a local Dask scheduler with 2 single-threaded workers, started here as subprocesses.

    The workers have tests/experiments on ``PYTHONPATH`` (for injected tasks) and work in a temporary
    folder; all three processes are terminated by the finalizer.
    """
    require_module("distributed", "pip install -e '.[test]' (the test extra holds dask[distributed])")
    from distributed import Client

    work = tmp_path_factory.mktemp("dask")
    port = _free_port()
    addr = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(EXPERIMENTS), *filter(None, [env.get("PYTHONPATH")])])
    procs: list[subprocess.Popen] = []
    logs = []

    def stop() -> None:
        # workers first (they would otherwise keep trying to reach a stopped scheduler), then the scheduler
        for group in (procs[1:], procs[:1]):
            for p in group:
                if p.poll() is None:
                    p.terminate()
            for p in group:
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(timeout=10)
        for fh in logs:
            fh.close()

    request.addfinalizer(stop)

    def start(name: str, args: list[str]) -> None:
        fh = open(work / f"{name}.log", "w")
        logs.append(fh)
        procs.append(subprocess.Popen([sys.executable, "-m", *args], cwd=work, env=env,
                                      stdout=fh, stderr=subprocess.STDOUT))

    start("scheduler", ["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port),
                        "--no-dashboard"])
    for i in range(2):
        start(f"worker{i}", ["distributed.cli.dask_worker", addr, "--nthreads", "1", "--no-dashboard",
                             "--local-directory", str(work / f"worker{i}")])
    try:
        with Client(addr, timeout=60) as client:
            client.wait_for_workers(2, timeout=60)
    except Exception as exc:  # pragma: no cover - only when the cluster does not come up
        for fh in logs:
            fh.flush()
        tails = {p.name: p.read_text()[-2000:] for p in sorted(work.glob("*.log"))}
        raise RuntimeError(f"local Dask cluster at {addr} did not start: {exc}; logs: {tails}") from exc
    return addr
