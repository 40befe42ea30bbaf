"""From forecast to plan: a dated scenario that runs a forecast (``--base SCENARIO``).

With ``--base SCENARIO``, the forecast command also writes ``scenarios/NAME.yaml`` (``--scenario-dir``
names another folder): a dated scenario (:mod:`sim.config.dated`) that extends the base scenario
and takes the forecast as its demand -

* ``dated.file``: the forecast's ``forecast.csv`` (a path relative to the folder the command runs
  in, where the simulator is then run too);
* ``dated.day_log_sd``: each open day's standard deviation of the log of its total, from
  ``forecast.json``, so that each replication draws the day's demand within the forecast's
  interval (``dated.uncertainty=false`` runs the expected demand only);
* ``experiment.start_weekday`` and ``experiment.horizon_h``: the range's first weekday and its
  length (the run starts at the first day's midnight), ``experiment.warmup_h: 0``;
* ``arrivals.<channel>.per_day``: each forecast channel's mean per day (the file gives the rates;
  this keeps the channel's KPIs), with the template's shape (``hourly_profile``, ``day_cv`` and,
  when every channel with demand is forecast, ``day_of_week``) back at its defaults, which a dated
  channel does not use; a channel of the base the forecast does not hold keeps the base's template.

``hotline-sim scenario=NAME staffing.policy=optimize staffing.schedule=shifts`` then plans the
range with its dates on every figure, table and ``shifts.yaml``.  A file of that name is replaced
only with ``--overwrite`` and only if this command wrote it (never a scenario of the project's).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Dict, List

from sim.config.schema import CHANNELS
from sim.core.errors import ConfigError

#: The first line of a scenario this command writes (an existing file without it is never replaced).
MARK = "# Written by hotline-forecast"


def base_volumes(base: str) -> Dict[str, float]:
    """``arrivals.<channel>.per_day`` of scenario ``base`` (a channel it does not set: 0)."""
    from sim.config.paths import scenario_dirs
    from sim.config.scenario_files import load_scenarios

    arrivals = load_scenarios(scenario_dirs()).data[base].get("arrivals", {})
    return {ch: float(arrivals.get(ch, {}).get("per_day", 0.0)) for ch in CHANNELS}


def check_target(name: str, base: str, folder: Path, overwrite: bool, typed: bool = True) -> Path:
    """The scenario file to write, checked before anything runs: a known base, a folder it can be written in
    (``typed``: ``folder`` is ``--scenario-dir`` as typed, else the default ``scenarios``), a free (or own) file.

    Raises
    ------
    ConfigError
        ``--base`` names no usable scenario (or NAME itself), the folder is a file or cannot be created or
        written, or the file exists and is not this command's to replace.
    """
    from sim.config.paths import scenario_dirs
    from sim.config.scenario_files import load_scenarios

    if base == name:
        raise ConfigError("--base", base, "must be another scenario than --name (the scenario written extends it)")
    found = load_scenarios(scenario_dirs())
    if base in found.errors:
        raise ConfigError("--base", base, f"cannot be used: {found.errors[base]}")
    if base not in found.data:
        raise ConfigError("--base", base, f"unknown scenario; use one of {', '.join(found.names)}")
    target = folder / f"{name}.yaml"
    _check_folder(folder, typed, base)
    if target.exists():
        if not target.is_file():
            raise ConfigError("--scenario-dir", str(folder), f"{target} is not a file")
        first = target.read_text(encoding="utf-8", errors="replace").split("\n", 1)[0]
        if not first.startswith(MARK):
            raise ConfigError("--name", name, f"{target} exists and was not written by this command: not replaced "
                                              f"(choose another --name, or --scenario-dir)")
        if not overwrite:
            raise ConfigError("--name", name, f"{target} exists; give --overwrite to replace it")
    return target


def _check_folder(folder: Path, typed: bool, base_name: str) -> None:
    """Raise unless the scenario file can be written in ``folder`` (made where missing): checked before the
    report folder is written, which a failure afterwards would leave behind.  The error names ``--scenario-dir``
    when it was typed, else ``--base`` (the default folder ``scenarios`` is then the problem)."""
    import os
    import tempfile

    key, shown = ("--scenario-dir", str(folder)) if typed else ("--base", base_name)
    base = folder
    while not base.exists() and base != base.parent:
        base = base.parent
    lead = "" if typed else f"cannot write the scenario in {folder} (give --scenario-dir): "
    if not base.is_dir():
        what = "is" if typed and base == folder else f"{base} is"
        raise ConfigError(key, shown, f"{lead}{what} a file, not a folder")
    try:  # a file can be created here: create and remove a probe
        fd, probe = tempfile.mkstemp(prefix=".hotline-probe-", dir=base)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ConfigError(key, shown, f"{lead}cannot write in {base} ({exc.strerror})") from None


def check_channels(base: str, channels: List[str]) -> None:
    """Raise unless every channel of the forecast is a channel of the simulator (the error names ``--base`` as
    typed, ``base``)."""
    other = [c for c in channels if c not in CHANNELS]
    if other:
        raise ConfigError("--base", base, f"the forecast has channel(s) {', '.join(other)}, which the simulator "
                                          f"does not have ({', '.join(CHANNELS)}): a dated scenario cannot hold "
                                          f"them (forecast without --base, or give a history of those channels)")


def scenario_yaml(name: str, base: str, csv_path: str, data: Dict[str, Any], command: str,
                  base_per_day: Dict[str, float]) -> str:
    """The text of the dated scenario (module docstring) from ``forecast.json``'s data ``data``."""
    first = dt.date.fromisoformat(data["range"]["from"])
    last = dt.date.fromisoformat(data["range"]["to"])
    n_days = (last - first).days + 1
    lines = [f"{MARK} ({command}); rewritten by the same command with --overwrite.",
             f"# The forecast {name} ({first} to {last}) as the demand of scenario {base}:",
             "# arrivals per half-hour from dated.file, each day's spread from the forecast's interval.",
             f"extends: {base}",
             f"description: \"{base} with the forecast {name} as its demand, {first} to {last}\"",
             "experiment:",
             f"  start_weekday: {first.weekday()}          # {first:%A} {first}, the first day of the forecast",
             f"  horizon_h: {n_days * 24}              # {n_days} day(s), to {last}",
             "  warmup_h: 0",
             "dated:",
             f"  file: {csv_path}",
             "  uncertainty: true",
             "  day_log_sd:                # sd of the log of each open day's total (forecast.json)"]
    entries = 0
    for ch, c in data["channels"].items():
        for d in c["days"]:
            if d["log_sd"] > 0:
                lines.append(f"    - {{date: \"{d['date']}\", channel: {ch}, log_sd: {d['log_sd']:.6g}}}")
                entries += 1
    if not entries:
        lines[-1] = "  day_log_sd: []"
    lines.append("arrivals:                    # the file gives the rates; per_day keeps each channel's KPIs")
    flat = ", ".join(["1"] * 24)
    for ch in CHANNELS:
        if ch in data["channels"]:
            mean = sum(d["expected"] for d in data["channels"][ch]["days"]) / n_days
            lines += [f"  {ch}:", f"    per_day: {mean:.6g}            # the forecast's mean per day",
                      f"    hourly_profile: [{flat}]   # not used: the file's half-hours", "    day_cv: 0"]
    if all(ch in data["channels"] for ch in CHANNELS if base_per_day.get(ch, 0.0) > 0):
        lines.append("  day_of_week: [1, 1, 1, 1, 1, 1, 1]   # not used: the file's dates")
    return "\n".join(lines) + "\n"


__all__ = ["MARK", "base_volumes", "check_target", "check_channels", "scenario_yaml"]
