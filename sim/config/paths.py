"""Where the configuration and the scenario files are found.

The repository keeps them at its top level (``configs/``, ``scenarios/``); an
installed package (``pip install .``) ships copies inside the package
(``sim/configs``, ``sim/scenarios``, mapped in ``pyproject.toml``).  The
shipped copies are used when present, the repository's otherwise (a source
checkout or an editable install).

Users keep their own scenarios in a ``scenarios/`` folder of the directory they
run from: its files are read after the built-in ones, so they may extend a
built-in scenario, and a file with a built-in scenario's name replaces it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import List, Optional

PACKAGE_DIR = Path(__file__).resolve().parents[1]  # sim/


def data_dir(name: str) -> Path:
    """The folder ``name`` (``configs`` or ``scenarios``) shipped in the package, else the repository's."""
    shipped = PACKAGE_DIR / name
    return shipped if shipped.is_dir() else PACKAGE_DIR.parent / name


CONFIG_DIR = data_dir("configs")
BUILTIN_SCENARIO_DIR = data_dir("scenarios")


def scenario_dirs(cwd: Optional[Path] = None) -> List[Path]:
    """The scenario folders, built-in first, then ``./scenarios`` when it is another existing folder.

    Parameters
    ----------
    cwd : Path, optional
        The directory the command runs from (default: the current working directory).

    Returns
    -------
    list of Path
    """
    folders = [BUILTIN_SCENARIO_DIR]
    local = (cwd if cwd is not None else Path.cwd()) / "scenarios"
    try:
        if local.is_dir() and local.resolve() != BUILTIN_SCENARIO_DIR.resolve():
            folders.append(local)
    except OSError:  # an unreadable working directory: only the built-in scenarios
        pass
    return folders


# ------------------------------------------------------------------------------------------- report folders
#: Characters a report folder's temporary folder adds to its name (``.``, ``.replaced-``, a 7-digit pid).
STAGING_OVERHEAD = 1 + len(".replaced-") + 7
_STAGED = re.compile(r"^\.(?P<name>.+)\.partial-\d+$")


def staging_folder(final: Path, pid: Optional[int] = None) -> Path:
    """The temporary folder a run writes into before it becomes the report folder ``final``.

    ``out/run1`` -> ``out/.run1.partial-<pid>``: beside it (same parent, so renaming it into place is
    atomic) and hidden (the reports' index skips it).  See :mod:`sim.report.folders`.
    """
    final = Path(final)
    if final.name in ("", ".."):  # "." or "..": name the folder itself
        final = Path(os.path.abspath(final))
    return final.parent / f".{final.name}.partial-{os.getpid() if pid is None else pid}"


def is_staging(path: Path) -> bool:
    """Whether ``path``'s name is a temporary folder's (:func:`staging_folder`)."""
    return bool(_STAGED.match(Path(path).name))


def published(path: Path) -> Path:
    """``path`` with every temporary folder in it replaced by the report folder it becomes.

    ``reports/.run1.partial-42/variant_0`` -> ``reports/run1/variant_0``; another path is returned unchanged.
    """
    parts = [m.group("name") if (m := _STAGED.match(p)) else p for p in Path(path).parts]
    return Path(*parts) if parts else Path(path)
