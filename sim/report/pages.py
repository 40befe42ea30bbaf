"""Pages from templates: the Jinja2 environment, figures embedded as data URIs, and the shared page pieces.

Every page of a report (``report.html``, ``report.md``, ``comparison.html``,
``reports/index.html``) is rendered from a template in ``sim/report/templates/``
(shipped as package data) by :func:`render`; no page is assembled from strings
in code.  HTML templates are autoescaped, so a scenario's description or a
unit's name can never inject markup; Markdown templates are not (escaping would
show ``&amp;``), and use the :func:`md_cell` filter in tables.

Pieces any page can use (a calibration page included: pass its own template
folder to :func:`environment`, and ``{% extends "base.html.j2" %}``):

* ``base.html.j2`` - the page: theme colours from :mod:`sim.report.palette`,
  typography, tables whose intervals do not wrap, a header, a table of contents
  and a footer; blocks ``title``, ``header``, ``content``;
* ``macros.html.j2`` - ``figure(fig)`` (an embedded PNG with its caption),
  ``kpi_card(card)``, ``verdict(v)``, ``section(s)`` (an optional section:
  intro, figures and tables);
* :class:`Figure` and :class:`Table`, the objects those macros draw;
* filters: ``data_uri`` (PNG bytes to a ``data:`` URI), ``md_cell``.

A page makes no network request: figures are data URIs, styles are inline, and
no template refers to anything outside the page.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, List, Optional, Sequence

TEMPLATE_PACKAGE = "sim.report"


@dataclass
class Figure:
    """A figure of a page: ``name`` (its file is ``figures/<name>.png``), title, caption and PNG bytes."""

    name: str
    title: str
    caption: str
    png: bytes


@dataclass
class Table:
    """A table of a page: header cells and rows of cells (text; a cell may be a dict with ``text``,
    ``title`` - shown on hover - and ``cls``, a CSS class such as ``num`` or ``met``)."""

    title: str
    header: List[str]
    rows: List[List[Any]]
    note: str = ""
    in_markdown: bool = True  # False: report.md shows the same numbers elsewhere
    folded: bool = False  # the page shows the rows on request (a long table: its title and note stay in view)


@dataclass
class Section:
    """A section of a page: figures and tables under a heading, shown only when it has content."""

    id: str
    title: str
    intro: str = ""
    figures: List[Figure] = field(default_factory=list)
    tables: List[Table] = field(default_factory=list)
    failed: bool = False  # the section could not be drawn (``intro`` says why)

    @property
    def empty(self) -> bool:
        """Whether there is nothing to show."""
        return not self.figures and not self.tables and not self.intro


def data_uri(png: bytes) -> str:
    """``data:image/png;base64,...`` of PNG bytes (the figure travels inside the page)."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def md_cell(value: Any) -> str:
    """Text for a Markdown table cell: pipes escaped, line breaks removed."""
    return str(value).replace("|", "\\|").replace("\n", " ")


def environment(extra_template_dirs: Sequence[Path] = ()) -> Any:
    """The Jinja2 environment of the pages: this package's templates (after ``extra_template_dirs``, whose
    templates may extend ours), autoescape on for ``.html.j2``, undefined names an error."""
    import jinja2

    from sim.report import palette

    loaders: List[Any] = [jinja2.FileSystemLoader([str(p) for p in extra_template_dirs])] if extra_template_dirs \
        else []
    loaders.append(jinja2.PackageLoader(TEMPLATE_PACKAGE, "templates"))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=lambda name: name is not None and name.endswith(".html.j2"),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["data_uri"] = data_uri
    env.filters["md_cell"] = md_cell
    env.globals["css_variables"] = palette.CSS_VARIABLES
    env.globals["status_colours"] = palette.STATUS
    return env


_ENV: Optional[Any] = None


def render(template: str, **context: Any) -> str:
    """Render ``template`` (a file of ``sim/report/templates``) with ``context``."""
    global _ENV
    if _ENV is None:
        _ENV = environment()
    return str(_ENV.get_template(template).render(**context))


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder, so that a reader (or another
    run refreshing the same page) never sees a half-written file."""
    import os
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=str(path.parent))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)  # a page is for reading: not the private mode of a temporary file
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
