"""The uses of Hydra's private code: its command-line parser, and the caller of a run's callbacks.

The command line checks every option before Hydra reads them (an unknown option, a missing value: one
line, exit status 2, :func:`sim.cli.prepare_argv`), and skips the checks of a command that runs no task
(``--help``, ``--cfg``, ``--info``: :mod:`sim.preflight`); both need the options Hydra takes, which Hydra
declares only in ``hydra._internal.utils.get_args_parser``.  tests/unit/test_hydra_private.py pins what is
relied on: the options and their values, and the reading of ``-m``, ``--cfg job``, ``--info`` and overrides.
A plain run is composed once through Hydra's public API and run by ``hydra.core.utils.run_job``
(:func:`sim.cli.run_once`), which needs the object that calls ``hydra.callbacks``: Hydra's own,
``hydra._internal.callbacks.Callbacks`` (the test pins that it calls them, and turns a callback's
fault into a warning).
"""

from __future__ import annotations

import argparse
from typing import Any


def args_parser() -> argparse.ArgumentParser:
    """Hydra's parser of the command line (``hydra._internal.utils.get_args_parser``)."""
    from hydra._internal.utils import get_args_parser

    return get_args_parser()


def callbacks(cfg: Any) -> Any:
    """Hydra's caller of the ``hydra.callbacks`` of the composed ``cfg`` (``hydra._internal.callbacks.Callbacks``)."""
    from hydra._internal.callbacks import Callbacks

    return Callbacks(cfg)
