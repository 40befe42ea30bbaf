"""The one use of Hydra's private code: its command-line parser, to know its options before it runs.

The command line checks every option before Hydra reads them (an unknown option, a missing value: one
line, exit status 2, :func:`sim.cli.prepare_argv`), and skips the checks of a command that runs no task
(``--help``, ``--cfg``, ``--info``: :mod:`sim.preflight`); both need the options Hydra takes, which Hydra
declares only in ``hydra._internal.utils.get_args_parser``.  tests/unit/test_hydra_private.py pins what is
relied on: the options and their values, and the reading of ``-m``, ``--cfg job``, ``--info`` and overrides.
"""

from __future__ import annotations

import argparse


def args_parser() -> argparse.ArgumentParser:
    """Hydra's parser of the command line (``hydra._internal.utils.get_args_parser``)."""
    from hydra._internal.utils import get_args_parser

    return get_args_parser()
