"""``reports/index.html``: every run and sweep under a reports folder, newest first, with links.

Refreshed at the end of every run and sweep whose folder lies in a folder named
``reports`` (the default ``reports/<scenario>/<timestamp>``, or a ``report.dir``
under ``reports/``): :func:`refresh_index_for`.  The index is rebuilt from the
folders themselves, never from a list kept elsewhere, so deleting or moving a
run folder is all it takes to remove it.

What counts (:func:`scan`): a folder holding ``summary.json`` is a run; one
holding ``comparison.csv`` or ``multirun.yaml`` is a sweep, listed with its
variants; any other folder is searched (to a depth of :data:`MAX_DEPTH`).  A
folder whose ``summary.json`` cannot be read is listed as unreadable with the
reason, and hidden folders (``.hydra``) are skipped: a stray or broken folder
never stops the index.  Each run links to its page, its workbook (``report.xlsx``),
``report.md`` and ``summary.json``; each sweep to ``comparison.html``, ``comparison.xlsx``,
``comparison.md`` and ``comparison.csv`` (those that exist: a run with ``report.xlsx=false`` has
no workbook).  The page is written through a temporary file, so runs finishing together (a
parallel sweep) never leave a half-written index.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

from sim.core.errors import run_label
from sim.report.pages import render, write_atomically
from sim.report.text import format_value

#: How deep under the reports folder runs are looked for (reports/<scenario>/<timestamp> is depth 2).
MAX_DEPTH = 4
#: The KPIs of the index's columns.
INDEX_KPIS = ("answer_rate", "service_level", "abandon_rate", "response_rate", "resolution_rate",
              "satisfaction_rate")

#: The files of a run and of a sweep the index links to, where they exist: the page, then its workbook beside it.
RUN_FILES = ("report.html", "report.xlsx", "report.md", "summary.json")
SWEEP_FILES = ("comparison.html", "comparison.xlsx", "comparison.md", "comparison.csv")


@dataclass
class Entry:
    """A run (or a sweep's variant) or a sweep, as the index lists it."""

    kind: str  # run, sweep, variant, unreadable
    path: str  # relative to the index, with "/" separators
    when: str = ""
    mtime: float = 0.0
    scenario: str = ""
    detail: str = ""
    kpis: List[Dict[str, str]] = field(default_factory=list)  # per INDEX_KPIS: text, status
    links: List[Dict[str, str]] = field(default_factory=list)  # text, href
    variants: List["Entry"] = field(default_factory=list)
    settings: str = ""  # a sweep variant's overrides (those that differ between the variants)
    plan: str = ""  # the staffing policy, operator-hours and cost


def _plan(summary: Mapping[str, Any]) -> str:
    """``staffing.policy=erlang, 42,513 operator-hours, 42,513 CNY`` of a run's summary ("" without them)."""
    from sim.report.text import currency_of, with_unit

    parts = []
    policy = (summary.get("staffing") or {}).get("policy")
    if policy:
        parts.append(f"staffing.policy={policy}")
    for k, word in (("operator_hours", " operator-hours"), ("staffing_cost", "")):
        m = (summary["kpis"].get(k) or {}).get("mean")
        if m is not None:
            parts.append(with_unit(k, m, currency_of(summary)).removesuffix(" h") + word)
    return ", ".join(parts)


def _overrides(folder: Path) -> List[str]:
    """The Hydra overrides of a sweep's variant (``.hydra/overrides.yaml``; none when unreadable)."""
    import yaml

    try:
        found = yaml.safe_load((folder / ".hydra" / "overrides.yaml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []
    return [str(o) for o in found] if isinstance(found, list) else []


def _when(path: Path) -> tuple[str, float]:
    try:
        t = path.stat().st_mtime
    except OSError:
        return "", 0.0
    return _dt.datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M"), t


def _links(folder: Path, root: Path, names: tuple[str, ...]) -> List[Dict[str, str]]:
    return [{"text": n, "href": (folder / n).relative_to(root).as_posix()} for n in names if (folder / n).is_file()]


def _run(folder: Path, root: Path, kind: str = "run") -> Entry:
    rel = folder.relative_to(root).as_posix()
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        if not isinstance(summary, dict) or not isinstance(summary.get("kpis"), dict):
            raise ValueError("not a run's summary (no kpis)")
        when, t = _when(folder / "summary.json")
        targets = summary.get("targets") or {}
        kpis = []
        for k in INDEX_KPIS:
            ci = summary["kpis"].get(k) or {}
            status = (targets.get(k) or {}).get("status", "none")
            kpis.append({"text": format_value(k, ci.get("mean")), "status": status})
        drain = f" + {summary['drain_h']:g} h drain" if summary.get("drain_h") else ""
        detail = (f"{summary.get('horizon_h', 0):g} h{drain}, {summary.get('replications', '?')} replications, "
                  f"seed {summary.get('seed', '?')}, scale {summary.get('scale', 1):g}")
        return Entry(kind, rel, when, t, str(summary.get("scenario", "")), detail, kpis,
                     _links(folder, root, RUN_FILES), plan=_plan(summary))
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        reason = f"{type(exc).__name__}: {str(exc).splitlines()[0][:100] if str(exc) else ''}"
        when, t = _when(folder)
        return Entry("unreadable", rel, when, t, detail=f"summary.json cannot be read ({reason})")


def _sweep(folder: Path, root: Path) -> Entry:
    when, t = _when(folder / "comparison.csv") if (folder / "comparison.csv").exists() else _when(folder)
    variants = [_run(p, root, "variant") for p in sorted(folder.iterdir(), key=_natural)
                if p.is_dir() and not p.name.startswith(".") and (p / "summary.json").is_file()]
    overrides = {v.path: _overrides(root / v.path) for v in variants}
    shared = set.intersection(*(set(o) for o in overrides.values())) if len(variants) > 1 else set()
    for v in variants:
        v.settings = " ".join(o for o in overrides[v.path] if o not in shared)
    scen = sorted({v.scenario for v in variants if v.scenario})
    done = "" if (folder / "comparison.csv").exists() else " (no comparison yet: running, or stopped)"
    return Entry("sweep", folder.relative_to(root).as_posix(), when, t, ", ".join(scen),
                 f"{len(variants)} variants{done}", [],
                 _links(folder, root, SWEEP_FILES), variants)


def _natural(p: Path) -> tuple:
    import re

    return tuple(int(s) if s.isdigit() else s for s in re.split(r"(\d+)", p.name))


def scan(root: Path) -> List[Entry]:
    """Every run and sweep under ``root``, newest first."""
    found: List[Entry] = []

    def walk(folder: Path, depth: int) -> None:
        try:
            children = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
        except OSError:
            return
        for p in children:
            if (p / "comparison.csv").is_file() or (p / "multirun.yaml").is_file():
                found.append(_sweep(p, root))
            elif (p / "summary.json").exists():
                found.append(_run(p, root))
            elif depth < MAX_DEPTH:
                walk(p, depth + 1)

    walk(root, 1)
    return sorted(found, key=lambda e: (-e.mtime, e.path))


def refresh_index(root: Path) -> Path:
    """Write ``root/index.html`` listing every run and sweep under ``root``; return its path."""
    from sim import __version__
    from sim.config.kpi_catalog import kpi_display

    entries = scan(root)
    html = render("index.html.j2", entries=entries, root=str(root.resolve()), version=__version__,
                  columns=[kpi_display(k).label for k in INDEX_KPIS],
                  generated=_dt.datetime.now().strftime("%Y-%m-%d %H:%M"))
    path = root / "index.html"
    write_atomically(path, html)
    return path


def reports_root(out_dir: Path) -> Optional[Path]:
    """The nearest folder named ``reports`` that holds ``out_dir`` (or is it), or None."""
    p = Path(os.path.abspath(out_dir))
    for q in (p, *p.parents):
        if q.name == "reports":
            return q
    return None


def refresh_index_for(out_dir: Path) -> Optional[Path]:
    """Refresh the index of the reports folder holding ``out_dir``, if there is one; a failure (a read-only
    folder) is a note on stderr, never the run's failure.  Returns the index's path, or None."""
    root = reports_root(out_dir)
    if root is None:
        return None
    try:
        return refresh_index(root)
    except OSError as exc:
        sys.stderr.write(f"{run_label()}: note: could not refresh {root / 'index.html'}: {exc.strerror or exc}\n")
        return None


def entry_json(e: Entry) -> Dict[str, Any]:
    """An entry as plain data (tests and tools)."""
    return {"kind": e.kind, "path": e.path, "scenario": e.scenario, "variants": [entry_json(v) for v in e.variants]}
