"""Where the configuration and the scenario files are found.

The repository keeps them at its top level (``configs/``, ``scenarios/``); an
installed package (``pip install .``) ships copies inside the package
(``sim/configs``, ``sim/scenarios``, mapped in ``pyproject.toml``).  The
shipped copies are used when present, the repository's otherwise (a source
checkout or an editable install).

Users keep their own scenarios in a ``scenarios/`` folder of the directory they
run from: its files are read after the built-in ones, so they may extend a
built-in scenario, and a file with a built-in scenario's name replaces it.  A
scenario may also be named by the path of its file (:func:`scenario_paths`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

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


#: A scenario named by a file's path: its file name (without .yaml) becomes the scenario's name.
_FILE_NAME = re.compile(r"[A-Za-z0-9_][\w-]*")


def _is_path(value: str) -> bool:
    return "/" in value or "\\" in value or value.endswith((".yaml", ".yml"))


def scenario_paths(args: Sequence[str], cwd: Optional[Path] = None) -> Tuple[List[str], List[Path]]:
    """``args`` with each scenario given as the path of a YAML file replaced by its name, and the files to read.

    ``scenario=scenarios/rainstorm.yaml``, ``scenario=./my_week.yaml`` and ``scenario=/abs/path/x.yaml``
    name a scenario by its file: the file name without ``.yaml`` (``.yml``) is the scenario's name.  A
    file of a scenario folder (:func:`scenario_dirs`) is that folder's scenario; any other file is
    returned to be read beside the folders (a file with a scenario's name replaces that scenario, as a
    file of ``./scenarios`` replaces a built-in one).  A value without ``/`` and without a YAML ending is
    a scenario name and stays as it is; so does a ``glob(...)`` sweep.

    Parameters
    ----------
    args : sequence of str
        Overrides as typed (``scenario=a.yaml,b`` is a sweep over two scenarios).
    cwd : Path, optional
        The folder relative paths start from (default: the current working directory).

    Returns
    -------
    (list of str, list of Path)
        The overrides with scenario names only, and the files outside the scenario folders.

    Raises
    ------
    ConfigError
        Naming ``scenario``: a path that is not a file, not a ``.yaml``/``.yml`` file, or whose name
        cannot be a scenario's; two different files of the same name.
    """
    from sim.core.errors import ConfigError

    base = cwd if cwd is not None else Path.cwd()
    folders = scenario_dirs(base)
    extra: Dict[str, Path] = {}
    out: List[str] = []
    for arg in args:
        key, eq, value = arg.partition("=")
        if key.lstrip("+") != "scenario" or not eq or value.startswith(("glob(", "[", "'", '"')):
            out.append(arg)
            continue
        names = []
        for item in value.split(","):
            if not _is_path(item):
                names.append(item)
                continue
            path = Path(item).expanduser()
            path = path if path.is_absolute() else base / path
            if path.suffix not in (".yaml", ".yml") or not path.is_file():
                why = "not a .yaml file" if path.is_file() else "a folder" if path.is_dir() else "no such file"
                why += "" if Path(item).is_absolute() else f" (in {base})"
                known = sorted({p.stem for f in folders for p in f.glob("*.yaml")})
                hint = (f"scenario={path.stem} (the scenario of that name)" if path.stem in known else
                        f"the path of a scenario file (.yaml) or one of {', '.join(known)}")
                raise ConfigError("scenario", item, f"{why}; write {hint}")
            name = path.stem
            if not _FILE_NAME.fullmatch(name):
                raise ConfigError("scenario", item, "a scenario's file name holds only letters, digits, _ and - "
                                                    "(it becomes the scenario's name): rename the file")
            found = [f / f"{name}.yaml" for f in folders if (f / f"{name}.yaml").is_file()]
            if not (found and found[-1].resolve() == path.resolve()):
                if name in extra and extra[name].resolve() != path.resolve():
                    raise ConfigError("scenario", item, f"two scenario files named {name}: {extra[name]} and "
                                                        f"{path}; rename one")
                extra[name] = path
            names.append(name)
        out.append(f"{key}={','.join(names)}")
    return out, list(extra.values())
