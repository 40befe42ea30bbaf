"""Checks of the executor settings that need no connection: the executor's name and a Dask address.

Where replications run is chosen by ``experiment.executor`` (:mod:`sim.experiments.executors`
runs them).  This module holds what the configuration layer can check by itself
- the executor names, the form of a Dask scheduler address, the connection
timeout - so that a malformed setting is rejected with the other configuration
errors; whether a scheduler answers at that address is checked just before a
run (:func:`sim.experiments.executors.check_resources`).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sim.config.schema import ExperimentConfig
from sim.core.errors import ConfigError

#: Names ``experiment.executor`` accepts.
EXECUTORS = ("auto", "serial", "process", "dask")
#: Address schemes of a Dask scheduler (Dask's comm back-ends that need no extra package).
DASK_SCHEMES = ("tcp", "tls", "ws", "wss", "inproc")


def check_scheduler(e: ExperimentConfig) -> None:
    """Check the Dask settings without connecting: timeout, and the address when the executor is dask.

    The address is ``SCHEME://HOST:PORT`` with a scheme of :data:`DASK_SCHEMES` (``HOST:PORT`` alone
    means tcp, as in Dask), a host name or IP address (IPv6 in brackets) and a port in 1..65535;
    ``inproc://`` addresses name a scheduler in this process.

    Raises
    ------
    ConfigError
        ``experiment.connect_timeout_s`` not in (0, 600], or an address that is missing or malformed.
    """
    t = e.connect_timeout_s
    if isinstance(t, bool) or not isinstance(t, (int, float)) or not 0 < t <= 600:
        raise ConfigError("experiment.connect_timeout_s", t, "must be in (0, 600] seconds")
    if e.executor != "dask":
        return
    addr = e.scheduler
    if not addr:
        raise ConfigError("experiment.scheduler", addr, "required with experiment.executor=dask "
                                                        "(the address of a Dask scheduler, e.g. tcp://127.0.0.1:8786)")
    scheme, sep, rest = addr.partition("://")
    if not sep:
        scheme, rest = "tcp", addr
    if scheme not in DASK_SCHEMES:
        raise ConfigError("experiment.scheduler", addr, f"unknown scheme {scheme + '://'!r}; use one of "
                                                        f"{', '.join(s + '://' for s in DASK_SCHEMES)}")
    if scheme == "inproc":
        if not rest:
            raise ConfigError("experiment.scheduler", addr, "an inproc:// address names a scheduler in this process")
        return
    form = "write SCHEME://HOST:PORT, e.g. tcp://10.0.0.5:8786"
    try:
        parts = urlsplit("//" + rest)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise ConfigError("experiment.scheduler", addr, f"the port must be a number in 1..65535; {form}") from None
    if not host or parts.path or parts.query or parts.fragment or parts.username is not None \
            or not all(c.isalnum() or c in ".-_:" for c in host):
        raise ConfigError("experiment.scheduler", addr, f"not a scheduler address; {form}")
    if port is None or not 1 <= port <= 65535:
        raise ConfigError("experiment.scheduler", addr, f"needs a port in 1..65535 (Dask's default is 8786); {form}")
