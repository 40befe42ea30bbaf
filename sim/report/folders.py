"""Report folders: a run writes only into a folder that is new, empty, or that it may replace, and a
folder appears whole or not at all.

A report folder holds one run's files and nothing else, so that every file in
it describes that run.  Before anything is written (the command line checks
before Hydra creates a folder; :func:`sim.api.run` before it simulates):

* the path must name a folder that can be created or written: no part of it may
  be a file, the nearest existing folder must accept a new folder, and its names
  must fit the file system (each name at most ``NAME_MAX`` characters - less
  :data:`STAGING_OVERHEAD` for the report folder's own name, whose temporary folder
  is named after it - and the whole path well under ``PATH_MAX``);
* an existing folder must be empty, unless ``report.overwrite=true``: then it is
  replaced as a whole when the run succeeds.  Only a folder that looks like a
  report (it holds ``summary.json``, ``.hydra/`` or ``multirun.yaml``) is ever
  replaced, and never the working directory or one of its parents.

A rejected folder raises :class:`~sim.core.errors.ConfigError` and leaves the disk
as it was.

**Staging.** A run never writes into its report folder directly: it writes into a
temporary folder beside it, ``.<name>.partial-<pid>`` (:func:`staging_folder`: same
parent, so the final rename is atomic), and :func:`publish` renames it to the report
folder once every file is written - replacing an earlier report only then.  A run that
fails after the checks (an exception, ``MemoryError``, Ctrl-C) removes the temporary
folder and any parent folder it created (:func:`discard`), so no half-written report
is ever left.  Only a process killed outright (``kill -9``, the system's out-of-memory
killer) can leave a hidden ``.<name>.partial-<pid>`` folder, which may be deleted.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from sim.config.paths import STAGING_OVERHEAD, is_staging, published, staging_folder
from sim.core.errors import ConfigError

__all__ = ["REPORT_MARKERS", "STAGING_OVERHEAD", "Staging", "check_report_folder", "check_name_lengths", "stage",
           "publish", "discard", "staging_folder", "published", "is_staging"]

#: Names whose presence marks a folder as a report folder that ``report.overwrite`` may replace.
REPORT_MARKERS: tuple[str, ...] = ("summary.json", ".hydra", "multirun.yaml", "comparison.csv")
#: Characters kept free beyond a report folder's path for the deepest file a run writes in it
#: (``variant_<n>/.hydra/overrides.yaml``, ``figures/<name>.png``).
INNER_PATH = 100


def _exists(p: Path) -> bool:
    try:
        return p.exists() or p.is_symlink()
    except OSError:  # a name too long for the file system, a loop of links: nothing there to use
        return False


def _nearest_existing(path: Path) -> Path:
    p = path
    while not _exists(p) and p != p.parent:
        p = p.parent
    return p


def _limit(base: Path, name: str, default: int) -> int:
    try:
        return int(os.pathconf(base, name))
    except (OSError, ValueError):
        return default


def check_name_lengths(path: Path, key: str, shown: str) -> None:
    """Refuse a report folder whose names or whole path the file system cannot hold.

    Each folder still to be created must have a name of at most ``NAME_MAX`` characters, the report
    folder itself ``NAME_MAX - STAGING_OVERHEAD`` (its temporary folder's name is longer), and the absolute
    path with room for the files inside (:data:`INNER_PATH`) must stay under ``PATH_MAX``.

    Raises
    ------
    ConfigError
        Naming the key and the folder as typed, and the limit.
    """
    path = Path(path)
    base = _nearest_existing(path)
    name_max = _limit(base if base.is_dir() else base.parent, "PC_NAME_MAX", 255)
    path_max = _limit(base if base.is_dir() else base.parent, "PC_PATH_MAX", 4096)
    new = path.relative_to(base).parts if base != path else ()
    for part in new[:-1]:  # folders still to be made (existing ones have names that fit)
        if len(part.encode()) > name_max:
            raise ConfigError(key, shown, f"the folder name {part[:20]}... has {len(part.encode())} characters; "
                                          f"this file system allows {name_max}")
    own = len(path.name.encode())
    if own > name_max - STAGING_OVERHEAD:
        raise ConfigError(key, shown, f"the report folder's name has {own} characters; at most "
                                      f"{name_max - STAGING_OVERHEAD} fit ({name_max}, the file system's limit, less "
                                      f"{STAGING_OVERHEAD} for the temporary folder the run writes first)")
    total = len(os.fsencode(os.path.abspath(path))) + STAGING_OVERHEAD + INNER_PATH
    if total >= path_max:
        raise ConfigError(key, shown, f"the folder's path is too long: {len(os.path.abspath(path))} characters, and "
                                      f"the files inside need about {STAGING_OVERHEAD + INNER_PATH} more; this file "
                                      f"system allows {path_max - 1} in all")


def check_report_folder(path: Path, overwrite: bool, key: str, shown: str) -> bool:
    """Check that a run may write its report into ``path``, without touching the disk's contents.

    Parameters
    ----------
    path : Path
        The report folder (relative to the working directory, or absolute).
    overwrite : bool
        ``report.overwrite``: an existing report folder may be replaced.
    key, shown : str
        The key that chose the folder and its value as typed, for the error message.

    Returns
    -------
    bool
        True when the folder holds files that the run will replace.

    Raises
    ------
    ConfigError
        ``path`` or one of its parents is a file; the folder cannot be created; a name or the path is
        too long for the file system; it holds files and ``overwrite`` is false; or ``overwrite``
        would replace a folder that is not a report folder.
    """
    path = Path(path)
    check_name_lengths(path, key, shown)
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
    parent = path.resolve().parent
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError(key, shown, f"cannot create the run's temporary folder beside it in {parent} "
                                      "(not writable)")
    if not names:
        return False
    if not overwrite:
        raise ConfigError(key, shown, f"the folder exists and holds files ({_few(names)}); choose a new folder, "
                                      "or add report.overwrite=true to replace its contents")
    here = Path.cwd().resolve()
    target = path.resolve()
    if target == here or target in here.parents:
        raise ConfigError(key, shown, "is the working directory or one of its parents; report.overwrite=true "
                                      "never replaces it")
    if not any(n in REPORT_MARKERS for n in names):
        raise ConfigError(key, shown, f"report.overwrite=true replaces only a report folder (one holding "
                                      f"{', '.join(REPORT_MARKERS)}); this one holds {_few(names)}")
    return True


#: Names a command's ``--name`` may not take: the scenario folder's own README (``scenarios/README.md``) is not a
#: scenario, and a ``scenarios/README.yaml`` beside it would read as one (compared without case).
RESERVED_NAMES = ("readme",)


def check_command_name(name: str) -> None:
    """Check ``--name`` of a command that writes ``scenarios/NAME.yaml`` or ``reports/<command>/NAME``: a letter,
    then letters, digits, ``_`` or ``-`` (at most 64), and not a reserved name (:data:`RESERVED_NAMES`).

    Raises
    ------
    ConfigError
        Naming ``--name``.
    """
    import re

    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,63}", name):
        raise ConfigError("--name", name, "use a letter, then letters, digits, _ or - (at most 64)")
    if name.lower() in RESERVED_NAMES:
        raise ConfigError("--name", name, "is the name of the scenario folder's documentation (scenarios/README.md); "
                                          "choose another name")


def check_command_folder(report: Path, marker: str, overwrite: bool, name: str) -> None:
    """Check the report folder of a command named by ``--name`` (``reports/calibration/NAME``...): new or empty, or,
    with ``--overwrite``, the command's own earlier folder (one holding ``marker``, e.g. ``calibration.json``).

    Raises
    ------
    ConfigError
        Naming ``--name``: the folder is a file, holds files without ``overwrite``, or is not the command's.
    """
    if not report.exists():
        return
    if not report.is_dir():
        raise ConfigError("--name", name, f"{report} is a file")
    if any(report.iterdir()):
        if not overwrite:
            raise ConfigError("--name", name, f"{report} holds files; give --overwrite to replace them")
        if not (report / marker).is_file():
            raise ConfigError("--name", name, f"{report} is not a {Path(marker).stem} folder (no {marker}): not "
                                              "replaced")


def _few(names: list[str]) -> str:
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


@dataclass(frozen=True)
class Staging:
    """A report folder being written: the temporary folder, the report folder it becomes, and the nearest
    folder that existed before the run (parents created for the run are removed with a failed run)."""

    staging: Path
    final: Path
    existed: Path

    def discard(self) -> None:
        """Remove the temporary folder and the parents created for it (a failed or interrupted run)."""
        discard(self.staging, self.existed)


def stage(final: Path, overwrite: bool, key: str, shown: str, staging: Optional[Path] = None) -> Staging:
    """Check the report folder ``final`` (:func:`check_report_folder`) and plan its temporary folder.

    Nothing is created: Hydra (or :func:`sim.api.run`) creates the temporary folder.  A temporary folder
    of the same name left by a process killed outright is removed.
    """
    final = Path(final)
    check_report_folder(final, overwrite, key, shown)
    tmp = Path(staging) if staging is not None else staging_folder(final)
    if tmp.is_dir() and not tmp.is_symlink() and is_staging(tmp):
        shutil.rmtree(tmp, ignore_errors=True)
    return Staging(tmp, final, _nearest_existing(final.parent))


def publish(staging: Path, final: Path, overwrite: bool) -> Path:
    """Rename the finished temporary folder ``staging`` to the report folder ``final``; return the folder written.

    An empty or absent ``final`` is replaced by the rename itself.  A ``final`` holding an earlier report
    is replaced when ``overwrite`` (``report.overwrite=true``, checked before the run): it is moved aside,
    the new folder renamed in, and the earlier one removed.  Without ``overwrite`` a ``final`` that
    another run filled meanwhile is left alone and the report goes to ``final_2``, ``final_3``...
    Paths inside ``.hydra/hydra.yaml`` that name the temporary folder are rewritten to name the folder written.
    """
    staging, final = Path(staging), Path(final)
    if _holds_files(final) and not overwrite:
        n = 2
        while _exists(final.with_name(f"{final.name}_{n}")):
            n += 1
        final = final.with_name(f"{final.name}_{n}")
    _retarget_hydra_files(staging, final)
    if _holds_files(final):
        old = final.parent / f".{final.name}.replaced-{os.getpid()}"
        os.rename(final, old)
        try:
            os.rename(staging, final)
        except OSError:
            os.rename(old, final)
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(staging, final)
    _move_log_files(staging, final)
    return final


def _holds_files(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink() and any(path.iterdir())


def _log_files_in(folder: Path) -> list[tuple[logging.Logger, logging.FileHandler]]:
    """The logging file handlers writing into ``folder`` (Hydra's ``run_sim.log``), each with its logger."""
    inside = os.path.abspath(folder) + os.sep
    loggers = [logging.getLogger(), *(lg for lg in logging.Logger.manager.loggerDict.values()
                                      if isinstance(lg, logging.Logger))]
    return [(lg, h) for lg in loggers for h in list(lg.handlers)
            if isinstance(h, logging.FileHandler) and h.baseFilename.startswith(inside)]


def _move_log_files(staging: Path, final: Path) -> None:
    """Point the log files that wrote into ``staging`` at the same files in ``final`` (it was renamed): a later
    record is appended there, never written into a folder that no longer exists."""
    old, new = os.path.abspath(staging), os.path.abspath(final)
    for _, h in _log_files_in(staging):
        h.acquire()
        try:
            h.close()
            h.baseFilename = new + h.baseFilename[len(old):]
        finally:
            h.release()


def _retarget_hydra_files(staging: Path, final: Path) -> None:
    """Hydra records its output folder (``hydra.runtime.output_dir``): name the report folder, not the temporary one."""
    old, new = os.path.abspath(staging), os.path.abspath(final)
    for path in staging.glob("**/.hydra/hydra.yaml"):
        text = path.read_text(encoding="utf-8")
        if old in text:
            path.write_text(text.replace(old, new), encoding="utf-8")


def discard(staging: Path, existed: Optional[Path] = None) -> None:
    """Remove the temporary folder ``staging``, and its parents up to ``existed`` (exclusive) when left empty."""
    staging = Path(staging)
    for lg, h in _log_files_in(staging):  # the run's log goes with its folder
        lg.removeHandler(h)
        h.close()
    if staging.is_dir() and not staging.is_symlink():
        shutil.rmtree(staging, ignore_errors=True)
    if existed is None:
        return
    stop = Path(os.path.abspath(existed))
    p = Path(os.path.abspath(staging)).parent
    while p != stop and stop in p.parents:
        try:
            p.rmdir()
        except OSError:
            break
        p = p.parent
