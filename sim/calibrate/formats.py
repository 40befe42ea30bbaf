"""Log formats as column mappings: which column of an export holds which field of a call or a request.

A format is a small YAML file (the shipped ones are in ``sim/calibrate/formats/``:
``anonymous_bank``, ``generic`` and ``open311``); a user with another export
copies one, renames the columns and passes the file's path as ``--format``, so a
new export needs a mapping, not code.  A mapping says

* ``kind``: ``calls`` (one row per call attempt) or ``requests`` (one row per
  service request);
* ``times``: how timestamps are written - ``iso`` (``2024-01-01T08:30:00``, with
  or without a UTC offset: ``+01:00``, ``-0500`` or ``Z``), a
  :func:`datetime.datetime.strptime` pattern (``%z`` reads an offset), or
  ``clock``: times of day (``H:MM:SS``) on the date of a ``date_column`` (read
  with ``date_format``), where a time more than 12 hours earlier than the
  ``day_starts_at`` column's is on the next day (past midnight; a smaller gap is
  a clock skew); ``empty`` lists values that mean "no time".  Offsets are
  converted and times without one are read by the command's ``--timezone``
  (:mod:`sim.calibrate.timestamps`), so a mapping names no time zone;
* ``columns``: the column of each field (:data:`CALL_FIELDS`,
  :data:`REQUEST_FIELDS`); ``arrival`` may list several columns, the first
  non-empty one counts;
* for calls, ``outcomes`` (the log's values -> ``answered``, ``abandoned`` or
  ``open``), ``unknown_caller`` and ``unknown_agent`` (values meaning "not
  identified"), ``priority_labels`` (the values of the ``priority`` column that
  mark priority customers; any other value is a regular caller, and without the
  list the log marks no priority class) and ``no_arrival`` (what a row without an
  arrival time means: such calls never asked for an agent and are counted, not
  read); for requests,
  ``channels`` (the log's values -> ``phone``, ``online``, ``other``,
  ``unknown`` or ``internal``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml

from sim.core.errors import ConfigError

FORMAT_DIR = Path(__file__).resolve().parent / "formats"
UNITS_DIR = Path(__file__).resolve().parent / "units"
#: Fields of a call-log row: (name, required).
CALL_FIELDS = (("arrival", True), ("outcome", True), ("left_queue", False), ("answered", False), ("ended", False),
               ("category", False), ("priority", False), ("caller", False), ("agent", False), ("run", False))
#: Fields of a request-log row: (name, required).
REQUEST_FIELDS = (("created", True), ("closed", False), ("agency", False), ("category", False),
                  ("channel", False), ("status", False), ("run", False))
OUTCOMES = ("answered", "abandoned", "open")
CHANNEL_CLASSES = ("phone", "online", "other", "unknown", "internal")
TIME_FIELDS = {"arrival", "left_queue", "answered", "ended", "created", "closed"}


@dataclass
class LogFormat:
    """A validated column mapping (see the module docstring)."""

    name: str
    kind: str
    description: str
    time_format: str
    columns: Dict[str, List[str]]
    date_column: Optional[str] = None
    date_format: Optional[str] = None
    day_starts_at: Optional[str] = None
    empty: List[str] = field(default_factory=list)
    outcomes: Dict[str, str] = field(default_factory=dict)
    unknown_caller: List[str] = field(default_factory=list)
    unknown_agent: List[str] = field(default_factory=list)
    priority_labels: List[str] = field(default_factory=list)
    no_arrival: str = "no arrival time"
    channels: Dict[str, str] = field(default_factory=dict)

    def needed_columns(self) -> List[str]:
        """Every column of the export the mapping reads."""
        cols = [c for cs in self.columns.values() for c in cs]
        cols += [c for c in (self.date_column, self.day_starts_at) if c]
        return list(dict.fromkeys(cols))


def shipped_formats() -> List[str]:
    """Names of the formats shipped with the package."""
    return sorted(p.stem for p in FORMAT_DIR.glob("*.yaml"))


def load_format(spec: str, kind: str) -> LogFormat:
    """The mapping named ``spec`` (a shipped format) or in the file ``spec``, checked for ``kind``.

    Raises
    ------
    ConfigError
        Naming ``--format`` (an unknown name, an unreadable file, a mapping of another kind) or the
        mapping's key that breaks a rule.
    """
    path = FORMAT_DIR / f"{spec}.yaml"
    if not (spec in shipped_formats() and path.is_file()):
        path = Path(spec)
        if not (spec.endswith((".yaml", ".yml")) and path.is_file()):
            raise ConfigError("--format", spec, f"unknown format; use one of {', '.join(shipped_formats())} "
                                                f"or the path of a mapping file (.yaml)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError("--format", spec, f"cannot read the mapping: {str(exc).splitlines()[0]}") from None
    fmt = parse_format(data, path.stem, spec)
    if fmt.kind != kind:
        raise ConfigError("--format", spec, f"a mapping of {fmt.kind} logs; the {kind} command needs a {kind} mapping")
    return fmt


def _text_list(value: Any, where: str, spec: str) -> List[str]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in items):
        raise ConfigError(where, value, "must be a column name or a list of them", shown=f"{spec}: {where}")
    return [str(v) for v in items]


def _mapping(data: Dict[str, Any], key: str, spec: str) -> Dict[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise ConfigError(key, value, "must be a mapping", shown=f"{spec}: {key}")
    return value


def parse_format(data: Any, name: str, spec: str) -> LogFormat:
    """Check the mapping ``data`` (read from ``spec``) and build its :class:`LogFormat`."""
    if not isinstance(data, dict):
        raise ConfigError("--format", spec, "the mapping file must hold a YAML mapping")
    kind = data.get("kind")
    if kind not in ("calls", "requests"):
        raise ConfigError("kind", kind, "must be calls or requests", shown=f"{spec}: kind={kind!r}")
    times = _mapping(data, "times", spec)
    time_format = str(times.get("format", "iso"))
    fields = CALL_FIELDS if kind == "calls" else REQUEST_FIELDS
    cols_in = _mapping(data, "columns", spec)
    columns: Dict[str, List[str]] = {}
    known = {f for f, _ in fields}
    for key, value in cols_in.items():
        if key not in known:
            raise ConfigError(f"columns.{key}", value, f"unknown field; use {', '.join(sorted(known))}",
                              shown=f"{spec}: columns.{key}")
        columns[key] = _text_list(value, f"columns.{key}", spec)
        if len(columns[key]) > 1 and key != "arrival":
            raise ConfigError(f"columns.{key}", value, "one column (only arrival may list several)",
                              shown=f"{spec}: columns.{key}")
    for f, required in fields:
        if required and f not in columns:
            raise ConfigError(f"columns.{f}", None, "required: the column that holds it", shown=f"{spec}: columns.{f}")
    fmt = LogFormat(name=name, kind=kind, description=str(data.get("description", name)), time_format=time_format,
                    columns=columns, empty=[str(v) for v in times.get("empty", []) or []])
    if time_format == "clock":
        for key in ("date_column", "date_format"):
            if not isinstance(times.get(key), str):
                raise ConfigError(f"times.{key}", times.get(key), "required with format: clock",
                                  shown=f"{spec}: times.{key}")
        fmt.date_column, fmt.date_format = times["date_column"], times["date_format"]
        start = times.get("day_starts_at")
        fmt.day_starts_at = str(start) if start else None
    if kind == "calls":
        outcomes = {str(k): str(v) for k, v in _mapping(data, "outcomes", spec).items()}
        bad = [v for v in outcomes.values() if v not in OUTCOMES]
        if not outcomes or bad:
            raise ConfigError("outcomes", outcomes, f"must map the log's outcome values to {', '.join(OUTCOMES)}",
                              shown=f"{spec}: outcomes")
        fmt.outcomes = outcomes
        fmt.unknown_caller = [str(v) for v in data.get("unknown_caller", []) or []]
        fmt.unknown_agent = [str(v) for v in data.get("unknown_agent", []) or []]
        fmt.priority_labels = [str(v) for v in data.get("priority_labels", []) or []]
        if fmt.priority_labels and "priority" not in columns:
            raise ConfigError("priority_labels", fmt.priority_labels, "used only with a priority column "
                              "(columns.priority)", shown=f"{spec}: priority_labels")
        fmt.no_arrival = str(data.get("no_arrival", fmt.no_arrival))
    else:
        channels = {str(k): str(v) for k, v in _mapping(data, "channels", spec).items()}
        bad = [v for v in channels.values() if v not in CHANNEL_CLASSES]
        if bad:
            raise ConfigError("channels", bad[0], f"use {', '.join(CHANNEL_CLASSES)}", shown=f"{spec}: channels")
        fmt.channels = channels
    return fmt


def load_units(spec: Optional[str]) -> Dict[str, str]:
    """The agency -> unit type mapping in file ``spec`` (default: the shipped ``units/open311.yaml``).

    Raises
    ------
    ConfigError
        Naming ``--units``: a file that cannot be read or is not a mapping of names to names.
    """
    path = Path(spec) if spec else UNITS_DIR / "open311.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError("--units", spec, f"cannot read the mapping: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ConfigError("--units", spec, "must map agency names to unit-type names (agency: unit_type)")
    return {str(k): v for k, v in data.items()}
