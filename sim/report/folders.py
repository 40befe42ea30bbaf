"""Report folders: a run writes only into a folder that is new, empty, or that it may replace.

A report folder holds one run's files and nothing else, so that every file in
it describes that run.  Before anything is written (the command line checks
before Hydra creates a folder; :func:`sim.api.run` before it simulates):

* the path must name a folder that can be created or written: no part of it may
  be a file, and the nearest existing folder must accept a new folder;
* an existing folder must be empty, unless ``report.overwrite=true``: then its
  contents are removed first, so no file of an earlier run (``units.csv``,
  ``requests.csv``...) is left next to the new ones.  Only a folder that looks
  like a report (it holds ``summary.json``, ``.hydra/`` or ``multirun.yaml``)
  is ever cleared, and never the working directory or one of its parents.

A rejected folder raises :class:`~sim.core.errors.ConfigError` and leaves the disk
as it was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from sim.core.errors import ConfigError

#: Names whose presence marks a folder as a report folder that ``report.overwrite`` may clear.
REPORT_MARKERS: tuple[str, ...] = ("summary.json", ".hydra", "multirun.yaml", "comparison.csv")


def _nearest_existing(path: Path) -> Path:
    p = path
    while not p.exists() and not p.is_symlink() and p != p.parent:
        p = p.parent
    return p


def check_report_folder(path: Path, overwrite: bool, key: str, shown: str) -> bool:
    """Check that a run may write its report into ``path``, without touching the disk's contents.

    Parameters
    ----------
    path : Path
        The report folder (relative to the working directory, or absolute).
    overwrite : bool
        ``report.overwrite``: an existing report folder's contents may be replaced.
    key, shown : str
        The key that chose the folder and its value as typed, for the error message.

    Returns
    -------
    bool
        True when the folder holds files that must be cleared before the run.

    Raises
    ------
    ConfigError
        ``path`` or one of its parents is a file; the folder cannot be created; it holds
        files and ``overwrite`` is false; or ``overwrite`` would clear a folder that is
        not a report folder.
    """
    path = Path(path)
    base = _nearest_existing(path)
    if not base.is_dir():
        where = "is a file" if base == path else f"{base} is a file"
        raise ConfigError(key, shown, f"{where}, not a folder")
    if base != path:
        try:  # a folder can be created here: create and remove a probe
            os.rmdir(tempfile.mkdtemp(prefix=".hotline-probe-", dir=base))
        except OSError as exc:
            raise ConfigError(key, shown, f"cannot create a folder in {base} ({exc.strerror})") from None
        return False
    try:
        names = sorted(os.listdir(path))
    except OSError as exc:
        raise ConfigError(key, shown, f"cannot read the folder ({exc.strerror})") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise ConfigError(key, shown, "the folder is not writable")
    if not names:
        return False
    if not overwrite:
        raise ConfigError(key, shown, f"the folder exists and holds files ({_few(names)}); choose a new folder, "
                                      "or add report.overwrite=true to replace its contents")
    here = Path.cwd().resolve()
    target = path.resolve()
    if target == here or target in here.parents:
        raise ConfigError(key, shown, "is the working directory or one of its parents; report.overwrite=true "
                                      "never clears it")
    if not any(n in REPORT_MARKERS for n in names):
        raise ConfigError(key, shown, f"report.overwrite=true clears only a report folder (one holding "
                                      f"{', '.join(REPORT_MARKERS)}); this one holds {_few(names)}")
    return True


def _few(names: list[str]) -> str:
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def clear_folder(path: Path) -> None:
    """Remove everything inside ``path`` (the folder itself stays)."""
    for entry in Path(path).iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def prepare_report_folder(path: Path, overwrite: bool, key: str, shown: str) -> None:
    """:func:`check_report_folder`, then clear the folder when it must be replaced."""
    if check_report_folder(path, overwrite, key, shown):
        clear_folder(path)
