"""External resources: a Dask scheduler address is checked when validated and probed before a run starts.

``experiment.scheduler=tcp://127.0.0.1:1`` waited 60 s and printed an 80-line
traceback; ``not-an-address`` and unknown schemes were tracebacks.  Now the
address syntax is a validation rule (:func:`sim.config.experiment.check_scheduler`) and
:func:`sim.experiments.executors.probe_scheduler` connects within
``experiment.connect_timeout_s`` before any replication, telling apart nothing
listening, a service that is not Dask, and a scheduler without workers.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest
from support import require_module

from sim.core.errors import ConfigError
from sim.experiments.executors import probe_scheduler

FAST = ["experiment.horizon_h=1", "experiment.warmup_h=0", "experiment.replications=1", "experiment.progress=false"]


@pytest.fixture(scope="module")
def compose():
    import sim.api
    import sim.config.hydra_setup

    scenarios = sim.config.hydra_setup.register()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sim.api, "register", lambda *a, **k: scenarios)
        yield sim.api.compose_config


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("address,rule", [
    ("not-an-address", "needs a port"),
    ("foo://1.2.3.4:5", "unknown scheme 'foo://'"),
    ("http://1.2.3.4:5", "unknown scheme 'http://'"),
    ("tcp://127.0.0.1:99999", "the port must be a number in 1..65535"),
    ("tcp://127.0.0.1:0", "needs a port in 1..65535"),
    ("tcp://127.0.0.1:abc", "the port must be a number"),
    ("tcp://:8786", "not a scheduler address"),
    ("tcp://127.0.0.1", "needs a port"),
    ("tcp://127.0.0.1:8786/path", "not a scheduler address"),
    ("tcp://user@127.0.0.1:8786", "not a scheduler address"),
    ("tcp://bad host:8786", "not a scheduler address"),
    ("inproc://", "names a scheduler in this process"),
])
def test_malformed_address_is_a_validation_error(compose, address, rule):
    """A malformed scheduler address is a ConfigError on experiment.scheduler naming the address and the rule."""
    with pytest.raises(ConfigError) as info:
        compose("single_queue", [*FAST, "experiment.executor=dask", f"experiment.scheduler='{address}'"])
    assert info.value.key == "experiment.scheduler" and info.value.value == address, info.value
    assert rule in info.value.rule, info.value


@pytest.mark.parametrize("address", ["tcp://10.0.0.5:8786", "10.0.0.5:8786", "tls://sched.example.org:8786",
                                     "ws://[::1]:8786", "inproc://10.0.0.5/1234/1"])
def test_wellformed_address_validates(compose, address):
    """Well-formed addresses of each scheme validate (nothing connects at validation)."""
    cfg = compose("single_queue", [*FAST, "experiment.executor=dask", f"experiment.scheduler='{address}'"])
    assert cfg.experiment.scheduler == address


@pytest.mark.parametrize("value", ["0", "-1", "601", "nan"])
def test_connect_timeout_range(compose, value):
    """experiment.connect_timeout_s must be in (0, 600] seconds."""
    with pytest.raises(ConfigError) as info:
        compose("single_queue", [*FAST, f"experiment.connect_timeout_s={value}"])
    assert info.value.key == "experiment.connect_timeout_s", info.value


def test_refused_connection_fails_at_once():
    """Nothing listening: one ConfigError with the system's reason, without waiting for the timeout."""
    addr = f"tcp://127.0.0.1:{_free_port()}"
    start = time.monotonic()
    with pytest.raises(ConfigError) as info:
        probe_scheduler(addr, 30.0)
    assert time.monotonic() - start < 15, "a refused connection waited for the timeout"
    assert info.value.key == "experiment.scheduler" and "refused" in info.value.rule.lower(), info.value


@pytest.mark.parametrize("reply", [b"HTTP/1.1 400 Bad Request\r\n\r\n" * 4, None], ids=["garbage", "silent"])
def test_a_service_that_is_not_dask(reply):
    """A listening service that is not a Dask scheduler (answers garbage, or nothing): one ConfigError."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    conns = []

    def serve() -> None:
        server.settimeout(5)
        try:
            while True:
                conn, _ = server.accept()
                conns.append(conn)
                if reply is not None:
                    conn.sendall(reply)
        except OSError:
            return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        with pytest.raises(ConfigError) as info:
            probe_scheduler(f"tcp://127.0.0.1:{server.getsockname()[1]}", 1.0)
    finally:
        server.close()
        for c in conns:
            c.close()
    rule = info.value.rule
    assert "not a Dask scheduler" in rule or "no Dask scheduler answered within 1 s" in rule, rule


def test_scheduler_without_workers_then_with_one():
    """A scheduler with no worker would make a run wait for ever: refused after the timeout; with one worker the
    probe passes."""
    distributed = require_module("distributed", "pip install -e '.[test]' (the test extra holds dask[distributed])")
    with distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as cluster:
        with pytest.raises(ConfigError) as info:
            probe_scheduler(cluster.scheduler_address, 0.5)
        assert "has no workers" in info.value.rule, info.value
        cluster.scale(1)
        cluster.wait_for_workers(1, timeout=30)
        probe_scheduler(cluster.scheduler_address, 5.0)


def test_cli_unreachable_scheduler_one_line_no_folder(cli, tmp_path):
    """``run_sim.py experiment.executor=dask experiment.scheduler=tcp://127.0.0.1:PORT`` with nothing there: exit
    2, one stderr line naming the key and the address, no report folder."""
    out = tmp_path / "report"
    addr = f"tcp://127.0.0.1:{_free_port()}"
    r = cli(["scenario=single_queue", *FAST, "report.plots=false", "report.html=false", f"report.dir={out}",
             "experiment.executor=dask", f"experiment.scheduler={addr}"], timeout=120)
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == 2 and len(lines) == 1, r.stderr[-2000:]
    assert lines[0].startswith(f"run_sim: error: experiment.scheduler={addr}: cannot connect"), lines[0]
    assert not out.exists(), sorted(p.name for p in out.iterdir())


def test_api_run_probes_before_any_replication(compose, tmp_path):
    """sim.api.run on an unreachable scheduler raises the same ConfigError before running or writing anything."""
    from sim.api import run

    cfg = compose("single_queue", [*FAST, "experiment.executor=dask", f"experiment.scheduler=tcp://127.0.0.1:"
                                                                       f"{_free_port()}"])
    with pytest.raises(ConfigError) as info:
        run(cfg, tmp_path / "out")
    assert info.value.key == "experiment.scheduler" and not (tmp_path / "out").exists()
