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
