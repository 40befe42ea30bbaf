"""Named random streams: one independent generator per random source.

There is no global random state anywhere in :mod:`sim`.  Each random source
(arrivals of a channel, categories, handle times, patience, redials, ...) has a
*name*; its generator is built from ``SeedSequence(entropy=seed,
spawn_key=(replication, crc32(name)))``.  Because the key is derived from the
name rather than from a position in a list, adding a new stream never changes the
draws of the existing ones, and the same seed and replication give the same
residents under any staffing plan, routing rule or unit capacity (common random
numbers).  ``crc32`` is used instead of Python's ``hash`` because the latter is
salted per process.

Per-resident attributes are drawn in vectorised blocks when residents are
created; draws that depend on the course of events (a redial's new patience, a
return-visit attempt) come from :class:`UniformBuffer`, which serves uniforms one
at a time from blocks of its own stream.
"""

from __future__ import annotations

import zlib
from typing import Callable

import numpy as np


def stream_key(name: str) -> int:
    """Stable 32-bit key of a stream name."""
    return zlib.crc32(name.encode("utf-8"))


class Streams:
    """The random streams of one replication.

    Parameters
    ----------
    seed : int
        Root seed of the experiment (``experiment.seed``).
    replication : int
        Replication number (0-based).
    """

    def __init__(self, seed: int, replication: int) -> None:
        self.seed = int(seed)
        self.replication = int(replication)
        self._gens: dict[str, np.random.Generator] = {}

    def get(self, name: str) -> np.random.Generator:
        """The generator of stream ``name`` (created on first use)."""
        gen = self._gens.get(name)
        if gen is None:
            ss = np.random.SeedSequence(entropy=self.seed, spawn_key=(self.replication, stream_key(name)))
            gen = np.random.Generator(np.random.PCG64(ss))
            self._gens[name] = gen
        return gen

    def buffer(self, name: str, block: int = 4096) -> "UniformBuffer":
        """A :class:`UniformBuffer` over stream ``name``."""
        return UniformBuffer(self.get(name), block)

    @property
    def names(self) -> list[str]:
        """Names of the streams used so far."""
        return sorted(self._gens)


class UniformBuffer:
    """Uniform numbers in [0, 1) served one at a time from blocks of one generator.

    Parameters
    ----------
    gen : numpy.random.Generator
        The stream's generator.
    block : int
        Numbers drawn per refill.
    """

    __slots__ = ("_gen", "_block", "_buf")

    def __init__(self, gen: np.random.Generator, block: int = 4096) -> None:
        self._gen = gen
        self._block = block
        self._buf: list[float] = []

    def next(self) -> float:
        """The next uniform number of the stream."""
        try:
            return self._buf.pop()
        except IndexError:
            self._buf = self._gen.random(self._block).tolist()[::-1]
            return self._buf.pop()


class ValueBuffer:
    """Values of one distribution (by inversion, times ``factor``) served one at a time from one stream.

    Parameters
    ----------
    ppf : callable
        Inverse CDF, vectorised (:meth:`sim.core.distributions.Distribution.ppf`).
    gen : numpy.random.Generator
        The stream's generator.
    factor : float
        Unit conversion applied to every value (e.g. 3600 for hours to seconds).
    """

    __slots__ = ("_ppf", "_gen", "_buf", "_factor")

    def __init__(self, ppf: Callable[[np.ndarray], np.ndarray], gen: np.random.Generator, factor: float = 1.0) -> None:
        self._ppf = ppf
        self._gen = gen
        self._buf: list[float] = []
        self._factor = factor

    def next(self) -> float:
        """The next value."""
        try:
            return self._buf.pop()
        except IndexError:
            self._buf = (self._ppf(self._gen.random(1024)) * self._factor).tolist()[::-1]
            return self._buf.pop()
