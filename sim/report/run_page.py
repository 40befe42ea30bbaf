"""The report of a run: ``report.html`` (one self-contained file) and ``report.md`` beside it.

Both are rendered from templates (``run.html.j2``, ``run.md.j2``) with the same
content, in the order a decision-maker reads:

1. the headline: scenario, horizon (with the warm-up and drain stated),
   replications, seed, scale; the KPIs that matter most as large figures with
   their intervals and a verdict against their targets (``kpi.targets``);
2. the KPI tables, grouped (front line, online, work orders, return visits,
   experiment), with human-readable names, definitions on hover and in a
   glossary;
3. the figures, section by section (:mod:`sim.report.sections`; optional
   sections appear only when the run has their data);
4. the configuration, folded: the keys that differ from the defaults first.

Nothing here simulates: the page is a function of the results and the files
already written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

from sim.config.kpi_catalog import KPI_GROUPS, kpi, why_undefined
from sim.config.schema import Config
from sim.model.derive import start_date
from sim.report import config_view
from sim.report.caveats import judged
from sim.report.figures.common import WEEKDAYS
from sim.report.glance import at_a_glance
from sim.report.pages import Section, render, write_atomically
from sim.report.targets import Verdict, legend
from sim.report.text import currency_of, format_level, interval_text, open_note, precision_status, with_unit

#: The KPIs of the headline, in order (those the run defines).
HEADLINE = ("answer_rate", "service_level", "abandon_rate", "response_rate", "resolution_rate", "satisfaction_rate")


@dataclass
class KpiRow:
    """A KPI as the page shows it."""

    key: str
    label: str
    definition: str
    value: str
    interval: str
    verdict: Verdict
    open_note: str = ""  # members still open when the run stopped, and the range they leave (sim.report.caveats)


@dataclass
class KpiGroup:
    """A table of KPIs under a heading."""

    title: str
    rows: List[KpiRow] = field(default_factory=list)


def _duration(h: float) -> str:
    if h <= 0:
        return "0 h"
    if h % 24 == 0:
        days = int(h // 24)
        if days % 7 == 0:
            weeks = days // 7
            return f"{weeks} week{'s' if weeks > 1 else ''} ({h:g} h)"
        return f"{days} day{'s' if days > 1 else ''} ({h:g} h)"
    return f"{h:g} h"


def run_facts(summary: Mapping[str, Any], cfg: Config) -> List[str]:
    """Sentences that say what was run: horizon, warm-up, drain, replications, seed, scale."""
    e = cfg.experiment
    first = start_date(cfg)
    start = f"{first:%A} {first.day} {first:%B %Y}" if first else WEEKDAYS[e.start_weekday % 7]
    facts = [f"Horizon: {_duration(summary['horizon_h'])} of contacts, from {start} 00:00."]
    if first is not None:
        spread = ("each replication draws each day's volume within the forecast's spread (dated.day_log_sd)"
                  if cfg.dated.uncertainty and any(e.log_sd > 0 for e in cfg.dated.day_log_sd)
                  else "the expected volumes only (no day-to-day spread drawn)")
        facts.append(f"Arrivals per date and half-hour from {cfg.dated.file}: {spread}."
                     + (f" Operators per date and half-hour from {cfg.dated.staffing_file}."
                        if cfg.dated.staffing_file and cfg.staffing.policy == "plan" else ""))
    if summary["warmup_h"] > 0:
        facts.append(f"Warm-up: the first {summary['warmup_h']:g} h are left out of every KPI (a steady-state "
                     f"study; the model starts empty).")
    else:
        facts.append("No warm-up: a terminating study from an empty start.")
    if summary.get("drain_h"):
        facts.append(f"Drain: {_duration(summary['drain_h'])} more without new contacts, to follow the horizon's "
                     f"contacts to the end of their work orders and return visits.")
    failed = summary.get("failed_replications") or []
    reps = f"{summary['replications']} replication{'s' if summary['replications'] != 1 else ''}"
    if failed:
        reps += f" ({len(failed)} more failed: see 'Experiment')"
    intervals = (f"intervals are {format_level(summary['confidence'])} confidence intervals across replications"
                 if summary["replications"] > 1 else
                 "no confidence intervals and so no verdicts against the targets (2 or more replications give them)")
    facts.append(f"{reps}, seed {summary['seed']}, scale {summary['scale']:g}; {intervals}.")
    return facts


def _row(name: str, ci: Mapping[str, Any], targets: Mapping[str, Optional[float]],
         summary: Mapping[str, Any]) -> KpiRow:
    d = kpi(name)  # the KPI's record: label, one-line definition, unit
    interval = interval_text(name, ci) if ci.get("mean") is not None else "n/a"
    entry = (summary.get("open_at_end") or {}).get(name)
    return KpiRow(name, d.label, d.definition, with_unit(name, ci.get("mean"), currency_of(summary)),
                  interval.replace("[", "").replace("]", "").replace(", ", " – "),
                  judged(name, ci, targets.get(name), entry), open_note(name, entry, ci.get("mean")))


def headline(summary: Mapping[str, Any], cfg: Config) -> tuple[List[KpiRow], List[str]]:
    """The headline KPIs the run defines, and a note for each one it does not."""
    cards: List[KpiRow] = []
    reasons: Dict[str, List[str]] = {}
    for name in HEADLINE:
        ci = summary["kpis"].get(name)
        if ci is None or ci.get("mean") is None:
            why = why_undefined(cfg, name) or "undefined in some replication"
            reasons.setdefault(why, []).append(kpi(name).label)
            continue
        cards.append(_row(name, ci, cfg.kpi.targets, summary))
    return cards, [f"{', '.join(names)} ({why})" for why, names in reasons.items()]


def kpi_groups(summary: Mapping[str, Any], cfg: Config) -> List[KpiGroup]:
    """The headline KPIs of ``summary.json`` in tables by group (the order of ``summary.json`` within a group)."""
    groups = {g: KpiGroup(g) for g in KPI_GROUPS}
    for name, ci in summary["kpis"].items():
        group = kpi(name).group
        groups.setdefault(group, KpiGroup(group)).rows.append(_row(name, ci, cfg.kpi.targets, summary))
    return [g for g in groups.values() if g.rows]


def experiment_rows(summary: Mapping[str, Any], wall_s: Optional[float]) -> List[tuple[str, str]]:
    """The experiment's facts: replications, failures, precision, executor, redials after the horizon, time."""
    rows = [("replications", str(summary["replications"])), ("root seed", str(summary["seed"])),
            ("confidence level", format_level(summary["confidence"]))]
    for f in summary.get("failed_replications") or []:
        rows.append(("failed replication", f"replication {f['replication']} (seed {f['seed']}): {f['error']}"))
    rows.append(("precision target", precision_status(summary) or "none: a fixed number of replications "
                                                                    "(experiment.precision)"))
    if summary.get("executor_note"):
        rows.append(("executor", str(summary["executor_note"])))
    after = summary.get("after_horizon") or {}
    if summary.get("drain_h") and after:
        words = ", ".join(f"{k.replace('_', ' ')} {v['mean']:,.1f}" for k, v in after.items() if v.get("mean"))
        rows.append(("call attempts during the drain", (words or "none") + " per replication (in no KPI)"))
    acc = summary["accounting"]
    rows.append(("accounting", "balanced: every contact offered ended in one state or was still open"
                 if acc["balanced"] else "NOT BALANCED"))
    if wall_s is not None:
        rows.append(("wall-clock time of the simulation", f"{wall_s:.1f} s (the planning before it and the writing "
                     "of this report not counted: the command's last line gives them)"))
    return rows


def glossary(summary: Mapping[str, Any]) -> List[tuple[str, str, str]]:
    """``(label, key, definition)`` of every KPI of the run."""
    return [(kpi(k).label, k, kpi(k).definition) for k in summary["kpis"]]


def page_context(summary: Mapping[str, Any], cfg: Config, sections: List[Section], config_yaml: str,
                 out_dir: Optional[Path], wall_s: Optional[float], figure_files: bool) -> Dict[str, Any]:
    """Everything the run's templates show."""
    from sim import __version__

    cards, missing = headline(summary, cfg)
    position = next((s for s in sections if s.id == "position"), None)
    sections = [s for s in sections if s.id != "position"]
    level = format_level(summary["confidence"])
    return {
        "summary": summary, "scenario": summary["scenario"], "description": summary.get("description") or "",
        "facts": run_facts(summary, cfg), "overrides": config_view.command_line_overrides(out_dir),
        "position": position, "cards": cards, "missing": missing, "groups": kpi_groups(summary, cfg),
        "experiment": experiment_rows(summary, wall_s), "sections": sections, "glossary": glossary(summary),
        "differences": config_view.differences(cfg), "config_yaml": config_yaml, "figure_files": figure_files,
        "confidence": level, "verdict_legend": legend(level), "version": __version__,
        "failed": summary.get("failed_replications") or [],
        "caveats": [c["text"] for c in summary.get("caveats") or []], "glance": at_a_glance(summary),
    }


def write_run_pages(out_dir: Path, context: Mapping[str, Any], html: bool) -> List[str]:
    """Write ``report.md`` (always) and ``report.html`` (when ``html``); return the names written."""
    write_atomically(out_dir / "report.md", render("run.md.j2", **context))
    names = ["report.md"]
    if html:
        write_atomically(out_dir / "report.html", render("run.html.j2", **context))
        names.insert(0, "report.html")
    return names


def write_report(exp: Any, out_dir: Path, summary: Mapping[str, Any], config_yaml: str,
                 units: Optional[tuple[List[str], List[List[Any]]]] = None,
                 welch: Optional[Mapping[str, Any]] = None,
                 also: Sequence[Callable[[], str]] = ()) -> List[str]:
    """The figures and pages of a run (an :class:`~sim.experiments.runner.ExperimentResult`): the figures
    as ``figures/<name>.png`` when ``report.plots``, ``report.html`` when ``report.html``, and
    ``report.md``; return the names written.

    With neither plots nor HTML the figures are not drawn (the quick runs of tests and sweeps), and
    ``report.md`` holds the tables only.  ``also`` are other files to write, each a function returning
    its name (the workbook): they run beside the drawing (:mod:`sim.report.drawing`), and their names
    follow the figures'.
    """
    from sim.report.rundata import RunData
    from sim.report.sections import build_sections

    rep = exp.cfg.report
    sections: List[Section] = []
    names: List[str] = []
    also_names: List[str] = []
    from sim.report.position_view import position_section

    position = partial(position_section, summary.get("staffing_position"), currency_of(summary), out_dir,
                       exp.replications[0].interval_s / 3600.0, bool(rep.plots or rep.html))
    if rep.plots or rep.html:
        rd = RunData.from_experiment(exp, summary, out_dir, welch, units)
        sections, also_names = build_sections(rd, also, first=[position])  # drawn beside the others
    else:
        also_names = [write() for write in also]
        sections = [s for s in [position()] if s is not None]
    if rep.plots:
        folder = out_dir / "figures"
        folder.mkdir(exist_ok=True)
        for s in sections:
            for fig in s.figures:
                (folder / f"{fig.name}.png").write_bytes(fig.png)
                names.append(f"figures/{fig.name}.png")
    context = page_context(summary, exp.cfg, sections, config_yaml, out_dir, exp.wall_s, bool(rep.plots))
    return write_run_pages(out_dir, context, bool(rep.html)) + names + also_names
