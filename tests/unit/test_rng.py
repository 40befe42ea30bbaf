"""Unit tests of :mod:`sim.core.rng`: named, independent, reproducible streams and no global random state."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.core.rng import Streams, UniformBuffer, stream_key

SIM_DIR = Path(__file__).resolve().parents[2] / "sim"


def test_same_seed_replication_name_give_identical_draws():
    """Two Streams(12345, 3) objects give identical draws for the stream 'arrivals.phone'."""
    a = Streams(12345, 3).get("arrivals.phone").random(1000)
    b = Streams(12345, 3).get("arrivals.phone").random(1000)
    np.testing.assert_array_equal(a, b, err_msg="Streams(12345, 3)['arrivals.phone'] not reproducible")


def test_get_returns_the_same_generator_object():
    """``get(name)`` twice returns the same generator, so draws continue instead of restarting."""
    s = Streams(1, 0)
    first = s.get("x").random(5)
    second = s.get("x").random(5)
    assert not np.array_equal(first, second), "Streams(1, 0)['x'] restarted on the second get()"
    np.testing.assert_array_equal(np.concatenate([first, second]), Streams(1, 0).get("x").random(10),
                                  err_msg="Streams(1, 0)['x']: two gets of 5 != one block of 10")


@pytest.mark.parametrize("other", [(12345, 3, "arrivals.online"), (12345, 4, "arrivals.phone"),
                                   (12346, 3, "arrivals.phone"), (12345, 3, "arrivals.phone.day")],
                         ids=["other_name", "other_replication", "other_seed", "prefix_name"])
def test_different_name_replication_or_seed_give_different_draws(other):
    """Changing the stream name, the replication or the seed changes the draws (and they are uncorrelated)."""
    base = Streams(12345, 3).get("arrivals.phone").random(20_000)
    seed, rep, name = other
    alt = Streams(seed, rep).get(name).random(20_000)
    assert not np.array_equal(base[:10], alt[:10]), f"{other} gives the same draws as (12345, 3, 'arrivals.phone')"
    r = float(np.corrcoef(base, alt)[0, 1])
    assert abs(r) < 5 / np.sqrt(20_000), f"{other}: correlation {r:.4f} with (12345, 3, 'arrivals.phone')"


def test_adding_or_using_other_streams_leaves_a_stream_unchanged():
    """Draws of 'handle.phone' do not depend on which other streams were created or used before or between."""
    ref = Streams(7, 0).get("handle.phone").random(50)
    s = Streams(7, 0)
    for name in ("arrivals.phone", "new.stream.added.later", "patience.phone"):
        s.get(name).random(1234)
    h = s.get("handle.phone")
    part1 = h.random(20)
    s.get("arrivals.phone").random(99)  # interleaved use of another stream
    s.buffer("retrial").next()
    part2 = h.random(30)
    np.testing.assert_array_equal(np.concatenate([part1, part2]), ref,
                                  err_msg="Streams(7, 0)['handle.phone'] changed when other streams were used")
    assert s.names == sorted(["arrivals.phone", "new.stream.added.later", "patience.phone", "handle.phone",
                              "retrial"]), f"names {s.names}"


def test_stream_key_is_stable_crc32():
    """``stream_key`` is CRC-32 of the UTF-8 name (stable across processes, unlike the salted ``hash``)."""
    # CRC-32 check values: crc32(b"123456789") = 0xCBF43926 is the standard check value of the algorithm
    assert stream_key("123456789") == 0xCBF43926, f"stream_key('123456789') = {stream_key('123456789'):#x}"
    assert stream_key("a") == 0xE8B7BE43, f"stream_key('a') = {stream_key('a'):#x}"
    assert stream_key("") == 0, "stream_key('') must be crc32 of nothing = 0"
    assert stream_key("äöü") == __import__("zlib").crc32("äöü".encode("utf-8")), "stream_key must encode UTF-8"


def test_draws_identical_across_processes_with_different_hash_seeds():
    """A stream's draws are the same in two interpreters with different PYTHONHASHSEED (no salted hashing)."""
    code = ("from sim.core.rng import Streams; "
            "print(repr(Streams(99, 2).get('category.online').random(3).tolist()))")
    here = repr(Streams(99, 2).get("category.online").random(3).tolist())
    outs = []
    for hs in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=hs)
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120,
                           cwd=str(SIM_DIR.parent))
        assert r.returncode == 0, r.stderr
        outs.append(r.stdout.strip())
    assert outs == [here, here], f"Streams(99, 2)['category.online'] differs across processes: {outs} vs {here}"


@pytest.mark.parametrize("block", [1, 3, 7, 4096])
def test_uniform_buffer_equals_generator_random_blocks(block):
    """``UniformBuffer(gen, block).next()`` x 20 equals ``gen.random(block)`` blocks concatenated, in order."""
    buf = UniformBuffer(np.random.Generator(np.random.PCG64(11)), block)
    got = [buf.next() for _ in range(20)]
    g = np.random.Generator(np.random.PCG64(11))
    n_blocks = -(-20 // block)
    want = np.concatenate([g.random(block) for _ in range(n_blocks)])[:20]
    np.testing.assert_array_equal(got, want, err_msg=f"UniformBuffer(block={block}) order differs from random()")
    assert all(0.0 <= x < 1.0 for x in got), f"block={block}: value outside [0, 1)"


def test_streams_buffer_uses_the_named_stream():
    """``Streams.buffer(name)`` serves the uniforms of ``Streams.get(name)``."""
    buf = Streams(3, 1).buffer("retrial", block=16)
    got = [buf.next() for _ in range(40)]
    g = Streams(3, 1).get("retrial")
    want = np.concatenate([g.random(16) for _ in range(3)])[:40]
    np.testing.assert_array_equal(got, want, err_msg="Streams(3, 1).buffer('retrial') != get('retrial') blocks")


# --------------------------------------------------------------------------- no global random state
ALLOWED_NP_RANDOM = {"Generator", "SeedSequence", "PCG64", "PCG64DXSM", "Philox", "SFC64", "MT19937",
                     "BitGenerator", "default_rng"}


def global_random_uses(source: str, filename: str = "<src>") -> list[str]:
    """Places in ``source`` that use global random state: the ``random`` module, ``numpy.random.<func>``
    global-state functions, or a scipy ``.rvs(...)`` call without ``random_state``."""
    tree = ast.parse(source, filename)
    numpy_names = {"numpy"}
    np_random_names = set()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "random" or a.name.startswith("random."):
                    found.append(f"{filename}:{node.lineno}: import {a.name}")
                if a.name == "numpy":
                    numpy_names.add(a.asname or "numpy")
                if a.name == "numpy.random":
                    np_random_names.add(a.asname or "numpy.random")
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if mod == "random":
                found.append(f"{filename}:{node.lineno}: from random import ...")
            if mod == "numpy":
                for a in node.names:
                    if a.name == "random":
                        np_random_names.add(a.asname or "random")
            if mod == "numpy.random":
                for a in node.names:
                    if a.name not in ALLOWED_NP_RANDOM:
                        found.append(f"{filename}:{node.lineno}: from numpy.random import {a.name}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            v = node.value
            # np.random.<attr>
            if (isinstance(v, ast.Attribute) and v.attr == "random" and isinstance(v.value, ast.Name)
                    and v.value.id in numpy_names and node.attr not in ALLOWED_NP_RANDOM):
                found.append(f"{filename}:{node.lineno}: numpy.random.{node.attr}")
            # alias.<attr> where alias is numpy.random
            if isinstance(v, ast.Name) and v.id in np_random_names and node.attr not in ALLOWED_NP_RANDOM:
                found.append(f"{filename}:{node.lineno}: numpy.random.{node.attr}")
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "rvs"
                and not any(k.arg == "random_state" for k in node.keywords)):
            found.append(f"{filename}:{node.lineno}: .rvs() without random_state")
    return found


@pytest.mark.parametrize("snippet", [
    "import random\nx = random.random()",
    "from random import gauss",
    "import numpy as np\nnp.random.seed(1)",
    "import numpy as np\nx = np.random.rand(3)",
    "import numpy\nx = numpy.random.exponential(2.0)",
    "from numpy import random as npr\nx = npr.poisson(3)",
    "from numpy.random import normal",
    "from scipy import stats\nx = stats.norm.rvs(size=3)",
])
def test_global_random_checker_detects_violations(snippet):
    """The source checker used below flags each kind of global-random use (so the next test can fail)."""
    assert global_random_uses(snippet), f"checker missed: {snippet!r}"


def test_global_random_checker_accepts_generators():
    """Generator, SeedSequence, PCG64 and default_rng are allowed; so are annotations ``np.random.Generator``."""
    ok = ("import numpy as np\n"
          "def f(g: np.random.Generator) -> None:\n"
          "    ss = np.random.SeedSequence(1)\n"
          "    g = np.random.Generator(np.random.PCG64(ss))\n"
          "    h = np.random.default_rng(2)\n"
          "    g.random(3); h.poisson(3)\n")
    assert global_random_uses(ok) == [], global_random_uses(ok)


def test_no_module_in_sim_uses_global_random_state():
    """No file in sim/ imports ``random`` or calls numpy/scipy global-state random functions."""
    files = sorted(SIM_DIR.rglob("*.py"))
    assert len(files) >= 10, f"expected the sim package at {SIM_DIR}, found {len(files)} files"
    bad = []
    for path in files:
        bad += global_random_uses(path.read_text(encoding="utf-8"), str(path.relative_to(SIM_DIR.parent)))
    assert not bad, "global random state used:\n" + "\n".join(bad)


def test_value_buffer_serves_ppf_of_stream_blocks_in_order():
    """``ValueBuffer(ppf, gen, factor)`` yields factor x ppf(gen.random(1024)) in order, block after block."""
    from sim.core.rng import ValueBuffer

    ppf = lambda u: -10.0 * np.log1p(-u)  # noqa: E731 - exponential, mean 10
    buf = ValueBuffer(ppf, np.random.Generator(np.random.PCG64(21)), factor=3600.0)
    got = [buf.next() for _ in range(1500)]
    g = np.random.Generator(np.random.PCG64(21))
    want = np.concatenate([ppf(g.random(1024)), ppf(g.random(1024))])[:1500] * 3600.0
    np.testing.assert_allclose(got, want, rtol=1e-15, err_msg="ValueBuffer(exp(10), seed 21, x3600) order/values")
