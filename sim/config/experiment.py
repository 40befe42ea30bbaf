"""How a run is carried out: its replications, horizon, seed and executor.

Sections of :class:`sim.config.schema.Config` (see there for how a setting states its rules).
"""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import StrictBool

from sim.config.fields import AT, Count, Hours, Model, Number, Open01, Range, UsedOnlyWhen, Weekday, Whole, doc, rule
from sim.config.limits import LIMITS
from sim.core.errors import ConfigError

_YEAR = "a year of simulated time at most"

#: Address schemes of a Dask scheduler (its comm back-ends that need no extra package).
DASK_SCHEMES = ("tcp", "tls", "ws", "wss", "inproc")
_DASK = UsedOnlyWhen(lambda c, o: o.executor == "dask", "used only with experiment.executor=dask")
_PRECISION = UsedOnlyWhen(lambda c, o: o.precision is not None, "used only with a precision target "
                                                                "(experiment.precision)")


class ExperimentConfig(Model):
    """Replications, horizon and random seed."""

    seed: Count = doc(12345, "root seed; every random stream derives from it and the replication number")
    replications: Annotated[Whole, Range(1, ceiling=LIMITS["replications"], why="the size limit of a run")] = doc(
        5, "independent replications")
    horizon_h: Annotated[Number, Range(lo_open=True, ceiling=LIMITS["horizon_h"], why=_YEAR)] = doc(
        24.0, "simulated time per replication, hours")
    warmup_h: Hours = doc(0.0, "initial hours excluded from every KPI (steady-state studies)")
    drain_h: Annotated[Number, Range(ceiling=LIMITS["horizon_h"], why=_YEAR)] = doc(
        0.0, "after the horizon, hours without new arrivals to let open contacts finish")
    start_weekday: Weekday = doc(0, "weekday at time 0 (0 = Monday)")
    precision: Optional[Open01] = doc(None, "target relative CI half-width of precision_kpi; None = fixed replications")
    precision_kpi: Annotated[str, _PRECISION] = doc("service_level", "KPI whose precision decides when to stop adding "
                                                                     "replications")
    max_replications: Annotated[Whole, Range(2, ceiling=LIMITS["replications"], why="the size limit of a run"),
                                _PRECISION] = doc(100, "cap on replications when a precision target is set")
    confidence: Open01 = doc(0.95, "confidence level of the intervals across replications (Student t)")
    jobs: Annotated[Whole, Range(1, ceiling=LIMITS["jobs"], why="worker processes on one machine"), UsedOnlyWhen(
        lambda c, o: o.executor != "serial", "ignored by experiment.executor=serial, which runs one replication at a "
                                             "time (set experiment.jobs=1, or experiment.executor=auto)")] = doc(
        1, "worker processes running replications in parallel (executor auto/process)")
    executor: Literal["auto", "serial", "process", "dask"] = doc("auto", "auto (process if jobs > 1, else serial), "
                                                                         "serial, process, dask")
    scheduler: Annotated[Optional[str], _DASK] = doc(None, "Dask scheduler address (executor=dask), e.g. "
                                                           "tcp://10.0.0.5:8786")
    connect_timeout_s: Annotated[Number, Range(0.0, 600.0, lo_open=True), _DASK] = doc(
        5.0, "longest wait for the Dask scheduler to answer before the run starts, seconds")
    progress: StrictBool = doc(True, "show progress: a bar on a terminal, else a line per replication after 10 s")

    @rule
    def _order(self) -> None:
        if self.warmup_h >= self.horizon_h:
            raise ConfigError(f"{AT}.warmup_h", self.warmup_h,
                              f"must be shorter than {AT}.horizon_h ({self.horizon_h})")
        if self.precision is not None and self.max_replications < self.replications:
            raise ConfigError(f"{AT}.max_replications", self.max_replications,
                              f"must be >= {AT}.replications ({self.replications})")
        if self.executor == "dask":
            check_scheduler(self.scheduler)


def check_scheduler(addr: Optional[str]) -> None:
    """Check a Dask scheduler's address without connecting: ``SCHEME://HOST:PORT`` with a scheme of
    :data:`DASK_SCHEMES` (``HOST:PORT`` alone means tcp, as in Dask), a host name or IP address (IPv6 in
    brackets) and a port in 1..65535; ``inproc://`` addresses name a scheduler in this process."""
    from urllib.parse import urlsplit

    key = f"{AT}.scheduler"
    if not addr:
        raise ConfigError(key, addr, "required with experiment.executor=dask (the address of a Dask scheduler, e.g. "
                                     "tcp://127.0.0.1:8786)")
    scheme, sep, rest = addr.partition("://")
    scheme, rest = (scheme, rest) if sep else ("tcp", addr)
    if scheme not in DASK_SCHEMES:
        raise ConfigError(key, addr, f"unknown scheme {scheme + '://'!r}; use one of "
                                     f"{', '.join(s + '://' for s in DASK_SCHEMES)}")
    if scheme == "inproc":
        if not rest:
            raise ConfigError(key, addr, "an inproc:// address names a scheduler in this process")
        return
    form = "write SCHEME://HOST:PORT, e.g. tcp://10.0.0.5:8786"
    try:
        parts = urlsplit("//" + rest)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise ConfigError(key, addr, f"the port must be a number in 1..65535; {form}") from None
    if not host or parts.path or parts.query or parts.fragment or parts.username is not None \
            or not all(c.isalnum() or c in ".-_:" for c in host):
        raise ConfigError(key, addr, f"not a scheduler address; {form}")
    if port is None or not 1 <= port <= 65535:
        raise ConfigError(key, addr, f"needs a port in 1..65535 (Dask's default is 8786); {form}")

