"""The package's layering: no import cycles, and no import up the layers.

``sim/`` is organised in sub-packages that follow the data, lowest layer first
(README, "Layout").  This test builds the import graph of every module of
``sim/`` with :mod:`ast` (module-level imports and the imports inside
functions alike) and fails on

* an import cycle between modules (a strongly connected component of more than
  one module, or a module importing itself);
* an import from a higher layer into a lower one, or between two packages of
  the same rank that must stay independent (the model and the statistics);
* a module of more than :data:`MAX_LINES` lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SIM = ROOT / "sim"

#: Rank of each part of ``sim``: a module may import only from parts of lower or equal rank.
LAYERS: dict[str, int] = {
    "core": 0,          # the event core, random streams, distributions, calendars: knows no hotline
    "config": 1,        # schema, KPI catalogue, scenario files, validation, Hydra wiring
    "records": 2,       # what a replication records: the seam between the model and the statistics
    "policies": 3,      # decisions the model consults during a run (routing, dispatch), behind a registry
    "model": 4,         # the hotline: arrivals, residents, front line, units, back office, return visits
    "analysis": 4,      # pure functions of records: KPIs, confidence intervals, warm-up, queueing theory
    "experiments": 5,   # replications, executors
    "planning": 6,      # policies that plan before a run and may simulate to do it (staffing)
    "report": 7,        # tables, figures, pages: never simulates
    "calibrate": 10,    # scenarios from real logs: a consumer of the API (sim.api), like the command line
    "forecast": 10,     # demand forecasts from history: a consumer like calibrate (reads logs with its readers)
    "api": 9,
    "cli": 10,
    "preflight": 10,
    "sweep_callback": 10,
}
#: Pairs of parts of equal rank that must not import each other.
SEPARATE = {("analysis", "model"), ("model", "analysis")}
#: Imports that go up the layers on purpose, with the reason.
ALLOWED_UP: dict[tuple[str, str], str] = {}
MAX_LINES = 400


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path, module: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name == "sim" or a.name.startswith("sim."))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target == "sim" or target.startswith("sim."):
                found.add(target)
                for a in node.names:  # "from sim.core import engine" imports the module sim.core.engine
                    found.add(f"{target}.{a.name}")
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in SIM.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for t in _imports(path, name):
            while t not in modules and "." in t:  # "sim.core.engine.Pool" -> "sim.core.engine"
                t = t.rsplit(".", 1)[0]
            if t in modules and t != name and not modules[t].name == "__init__.py":
                targets.add(t)
            elif t in modules and modules[t].name == "__init__.py" and t != name and t != "sim":
                targets.add(t)
        graph[name] = targets
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_every_part_has_a_layer() -> None:
    """Every module of sim/ belongs to a part listed in LAYERS (a new sub-package needs a rank)."""
    parts = {_part(m) for m in _graph()} - {"__init__"}
    assert parts <= set(LAYERS), f"parts without a layer: {sorted(parts - set(LAYERS))}"


def test_no_import_cycles() -> None:
    """No two modules of sim/ import each other, directly or through others."""
    cycles = _cycles(_graph())
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_no_import_up_the_layers() -> None:
    """A module imports only from its own part or from parts of lower rank."""
    bad = []
    for module, targets in _graph().items():
        src = _part(module)
        for t in targets:
            dst = _part(t)
            if src in ("__init__",) or dst == src:
                continue
            if (src, dst) in ALLOWED_UP:
                continue
            if LAYERS.get(dst, 99) > LAYERS.get(src, -1) or (src, dst) in SEPARATE:
                bad.append(f"{module} -> {t}")
    assert not bad, "imports up the layers: " + ", ".join(sorted(bad))


@pytest.mark.parametrize("path", sorted(SIM.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_size(path: Path) -> None:
    """No module over MAX_LINES lines (split by concept before it grows further)."""
    n = len(path.read_text(encoding="utf-8").splitlines())
    assert n <= MAX_LINES, f"{path.relative_to(ROOT)} has {n} lines (> {MAX_LINES})"


def test_every_sub_package_ships():
    """Every sub-package of sim/ is listed in pyproject.toml's packages (a non-editable install would lack it)."""
    import re

    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    block = re.search(r"^packages = \[(.*?)\]", text, flags=re.M | re.S)
    assert block, "pyproject.toml lists no packages"
    listed = set(re.findall(r'"([\w.]+)"', block.group(1)))
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in SIM.rglob("__init__.py")}
    assert found <= listed, f"sub-packages missing from pyproject.toml: {sorted(found - listed)}"


def test_docstrings_name_modules_that_exist():
    """Every ``sim.x.y`` a docstring or comment of sim/ names in backquotes resolves (a move updates them)."""
    import importlib
    import re

    bad = []
    for path in sorted(SIM.rglob("*.py")):
        for m in re.finditer(r"`~?(sim(?:\.[A-Za-z_]\w*)+)`", path.read_text(encoding="utf-8")):
            parts = m.group(1).split(".")
            for i in range(len(parts), 0, -1):
                try:
                    obj = importlib.import_module(".".join(parts[:i]))
                except ImportError:
                    continue
                for attr in parts[i:]:
                    obj = getattr(obj, attr, None)
                break
            if obj is None:
                bad.append(f"{path.relative_to(ROOT)}: {m.group(1)}")
    assert not bad, "references to nothing: " + ", ".join(bad)
