"""The command's time, as its last line tells it: the wall-clock time of the whole command and where it went.

A run plans (a staffing policy; ``staffing.policy=plan`` still computes every interval's offered load, for
``staffing.csv`` and the staffing position), simulates, then writes its report folder; on a long horizon the
report can take longer than the simulation (a year of half-hours is 17,568 intervals per replication in
``intervals.csv`` and the workbook).  :func:`timing_text` gives the total and each stage, so that the
parts add up to what the user waited.
"""

from __future__ import annotations

from typing import Mapping

#: The parts of the report :func:`sim.report.outputs.write_outputs` clocks, in the order shown: they can take long.
PARTS = ("staffing position", "figures, pages and workbook", "workbook")


def duration_text(seconds: float) -> str:
    """A duration as read on a clock: ``6.0 s``, ``43 s``, ``2 min 10 s``, ``1 h 02 min``."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def timing_text(total_s: float, parts: Mapping[str, float], report_parts: Mapping[str, float]) -> str:
    """``Took <total>: <part> <time>, ...``: the command's wall-clock time and where it went.

    ``parts`` are consecutive stages (planning, simulation, report), each shown when it took at least a
    twentieth of a second; what they leave of ``total_s`` (start-up, reading the scenario, the checks) is
    shown as ``start-up and checks``.  ``report_parts`` are the report's costly parts
    (:data:`PARTS`), shown after the report's time; the workbook is written with the figures and pages (while a
    child process draws the figures where it can: :mod:`sim.report.drawing`), and shown as a part of theirs.
    """
    shown = [f"{name} {duration_text(s)}" + (_report_detail(report_parts) if name == "report" else "")
             for name, s in parts.items() if s >= 0.05]
    rest = total_s - sum(parts.values())
    if rest >= 0.05:
        shown.append(f"start-up and checks {duration_text(rest)}")
    return f"Took {duration_text(total_s)}: {', '.join(shown)}"


def _report_detail(report_parts: Mapping[str, float]) -> str:
    costly = {k: report_parts[k] for k in PARTS if report_parts.get(k, 0.0) >= 0.5}
    if not costly:
        return ""
    return " (" + ", ".join(f"the workbook {duration_text(v)} of it" if k == "workbook" else
                            f"{k} {duration_text(v)}" for k, v in costly.items()) + ")"
