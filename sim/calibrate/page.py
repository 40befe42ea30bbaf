"""The calibration page: one self-contained HTML file rendered by Jinja2 from sections.

A page is a summary line, a box of what the log cannot identify, and sections,
each with paragraphs, tables (optionally folded) and figures embedded as base64
PNG, so ``calibration.html`` can be mailed or archived without its folder.  The
template (``sim/calibrate/templates/calibration.html.j2``) escapes every value
(autoescape), so names taken from a log cannot inject markup.
"""

from __future__ import annotations

import base64
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List

from sim.core.errors import sim_command

TEMPLATES = Path(__file__).resolve().parent / "templates"


def fmt_value(v: Any, fmt: str = "{:.3g}") -> str:
    """``v`` formatted, or "n/a" (None, not finite)."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "n/a"
    return fmt.format(v)


def fmt_s(v: Any) -> str:
    """Seconds of a Kaplan-Meier quantile, or "not reached" (None: the curve stays above it)."""
    return "not reached" if v is None else f"{v:.0f} s"


def fmt_pct(v: Any) -> str:
    """A share as a percentage with one decimal, or "n/a"."""
    # rounded first, + 0.0: a share that rounds to zero reads 0.0%, never -0.0%
    return fmt_value(None if v is None or not math.isfinite(v) else round(100.0 * v, 1) + 0.0, "{:.1f}%")


@dataclass
class Table:
    """A table: header, rows of cells (already formatted), a caption; folded when ``collapsed``."""

    header: List[str]
    rows: List[List[Any]]
    caption: str = ""
    collapsed: bool = False


@dataclass
class Figure:
    """A PNG figure and its caption."""

    png: bytes
    caption: str

    @property
    def b64(self) -> str:
        """The PNG as base64 text."""
        return base64.b64encode(self.png).decode("ascii")


@dataclass
class Section:
    """A titled part of the page."""

    title: str
    paragraphs: List[str] = field(default_factory=list)
    tables: List[Table] = field(default_factory=list)
    figures: List[Figure] = field(default_factory=list)


def text_columns(table: Table) -> List[int]:
    """Columns aligned left: the first, and those whose cells mostly read as words ("lognormal",
    "none"), not numbers ("3.8 pts (-1.3)"); numbers stay right-aligned so that their digits line up."""
    def words(cell: Any) -> bool:
        s = str(cell).strip()
        return bool(s) and s != "n/a" and s[0].isalpha()

    return [0] + [i for i in range(1, len(table.header))
                  if sum(words(r[i]) for r in table.rows if i < len(r)) * 2 > len(table.rows)]


def log_section(info: Any, text: str) -> Section:
    """The page's "The log" section: ``text`` about the log read, how its times were read (time zone,
    offsets), and the first skipped rows (if any) folded.

    ``info`` is the log's :class:`~sim.calibrate.logread.LogInfo` (``skipped``, ``skipped_lines``, ``rule``).
    """
    tables = [Table(["line", "reason"], [[n, r] for n, r in info.skipped_lines],
                    f"first skipped rows ({info.skipped:,} in all)", collapsed=True)] if info.skipped else []
    return Section("The log", [text, f"Times: {info.rule.statement()}."], tables=tables)


def render_page(name: str, summary: str, command: str, scenario_path: str, unidentified: List[str],
                sections: List[Section], notes: List[str]) -> str:
    """The page as HTML text."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "j2"]))
    ctx: Dict[str, Any] = {
        "name": name, "summary": summary, "command": command, "scenario_path": scenario_path,
        "unidentified": unidentified, "notes": notes,
        "run": "hotline-sim" if sim_command() == "hotline-sim" else ".venv/bin/python run_sim.py",
        "sections": [{"title": s.title, "paragraphs": s.paragraphs,
                      "tables": [{**vars(t), "left": text_columns(t)} for t in s.tables],
                      "figures": [{"png": f.b64, "caption": f.caption} for f in s.figures]} for s in sections]}
    return env.get_template("calibration.html.j2").render(**ctx)
