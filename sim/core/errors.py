"""Errors raised for bad input.

A :class:`ConfigError` names the offending key, its value and the rule it breaks;
the command line prints it as one line on stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Callable, List, NoReturn, Union


class ConfigError(ValueError):
    """A configuration value breaks a rule.

    Parameters
    ----------
    key : str
        Dotted path of the key, e.g. ``"calls.handle_s.cv"``.
    value : Any
        The offending value.
    rule : str
        The rule it breaks, e.g. ``"must be >= 0"``.
    shown : str, optional
        What the message names instead of ``key=value``: a command-line argument as
        typed (``"staffing.operatrs=4"``) or a place in a file
        (``"scenarios/x.yaml, line 3"``).
    """

    def __init__(self, key: str, value: Any, rule: str, shown: str | None = None) -> None:
        self.key = key
        self.value = value
        self.rule = rule
        self.shown = shown
        super().__init__(f"{shown if shown is not None else f'{key}={_show(value)}'}: {rule}")

    def __reduce__(self) -> tuple:
        return (ConfigError, (self.key, self.value, self.rule, self.shown))


def _show(value: Any) -> str:
    typed = getattr(value, "typed", None)
    if isinstance(typed, str):  # a number of the command line, shown as it was typed (TypedInt, TypedFloat)
        return typed
    if isinstance(value, float) and value.is_integer():
        return repr(value)
    if isinstance(value, (list, tuple)) and len(value) > 8:
        head = ", ".join(_show(v) for v in value[:6])
        return f"[{head}, ... ({len(value)} values)]"
    if isinstance(value, str) and not value.startswith("<"):
        return repr(value)
    return str(value)


class BadInput(BaseException):
    """Raised out of a Hydra task for bad input, so that Hydra does not report it as a failed job."""


class RunFailed(BaseException):
    """A run that passed every check could not finish (out of memory, a disk error): one line, exit status 1.

    Raised out of a Hydra task like :class:`BadInput`; the run's temporary report folder is removed.
    """


INSTALLED_PROGRAMS = ("hotline-sim", "hotline-calibrate", "hotline-forecast")  # pyproject.toml's [project.scripts]


def invoked_as() -> str:
    """The name the running program was invoked by (``sys.argv[0]``'s stem: ``hotline-sim``, ``run_sim``...)."""
    return Path(sys.argv[0] if sys.argv else "").stem


def sim_command() -> str:
    """How a message tells the user to run the simulator: ``hotline-sim`` when one of the installed programs runs
    (the folder it runs in has no run_sim.py), else ``python run_sim.py``."""
    return "hotline-sim" if invoked_as() in INSTALLED_PROGRAMS else "python run_sim.py"


def run_label() -> str:
    """The simulator's name in its message lines: ``hotline-sim`` when run as the installed program (by the
    name of ``sys.argv[0]``), else ``run_sim`` (``python run_sim.py``, the API)."""
    return "hotline-sim" if invoked_as() == "hotline-sim" else "run_sim"


def fail(prog: str, message: str, status: int = 2) -> NoReturn:
    """Refuse bad input as every command of the project does: ``<prog>: error: <message>`` on stderr, one
    line, exit status 2 (or ``status``)."""
    sys.stderr.write(f"{prog}: error: {message}\n")
    sys.exit(status)


def failure_line(exc: BaseException) -> str:
    """One line for a command that passed its checks and could not finish (out of memory, a disk error)."""
    if isinstance(exc, MemoryError):
        return "out of memory: the run needed more memory than this machine could give (docs/experiments.md, " \
               "\"Limits\"); nothing was written"
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        return f"could not write the report: {exc.strerror or exc}{where}; nothing was written"
    return f"{exc}; nothing was written"


def command_main(prog: str, run: Callable[[List[str]], List[str]], argv: List[str]) -> None:
    """Run a command that returns the lines it prints, ending as every command of the project ends: bad input
    (:class:`ConfigError`) one line and exit status 2; out of memory or a disk error one line and status 1;
    Ctrl-C one line and status 130 (the command leaves the disk as it was: its own ``try`` blocks undo)."""
    try:
        lines = run(argv)
    except ConfigError as exc:
        fail(prog, str(exc))
    except KeyboardInterrupt:
        fail(prog, "interrupted; nothing was written", status=130)
    except (MemoryError, OSError) as exc:
        fail(prog, failure_line(exc), status=1)
    for line in lines:
        print(line)


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (:func:`fail`, under :attr:`label`) instead of argparse's
    usage and message; a subclass sets ``label`` (the command's name in error lines)."""

    label = ""

    def error(self, message: str) -> NoReturn:
        fail(self.label or self.prog, message)


class TypedInt(int):
    """A whole number of the command line that remembers its text as typed (``typed``), which an error names."""

    typed: str

    def __new__(cls, text: Union[str, int]) -> "TypedInt":
        obj = super().__new__(cls, text)
        obj.typed = str(text)
        return obj


class TypedFloat(float):
    """A number of the command line that remembers its text as typed (``typed``), which an error names: an
    option typed ``0`` is echoed ``=0``, not ``=0.0``."""

    typed: str

    def __new__(cls, text: Union[str, float]) -> "TypedFloat":
        obj = super().__new__(cls, text)
        obj.typed = str(text)
        return obj


def typed(kind: type) -> Callable[[str], Any]:
    """The ``type=`` of an argparse option of ``kind`` (``int`` or ``float``) whose value remembers its text
    (:class:`TypedInt`, :class:`TypedFloat`); argparse's own error still says ``invalid int value``."""
    cls = {int: TypedInt, float: TypedFloat}[kind]

    def convert(text: str) -> Any:
        return cls(text)

    convert.__name__ = kind.__name__
    return convert
