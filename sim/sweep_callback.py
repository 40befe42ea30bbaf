"""The Hydra callback that ends a sweep: the comparison of its variants.

Registered in ``configs/config.yaml`` (``hydra.callbacks.comparison``), so it
runs whichever launcher ran the jobs (basic, joblib, submitit, Ray): when a
``-m`` sweep ends, it writes ``comparison.csv``, ``comparison.md`` and
``comparison.html`` (:func:`sim.report.comparison.write_comparison`) in the
sweep folder, renames the sweep's temporary folder to the report folder (a sweep's
folder appears whole, with every variant and the comparison, or not at all:
:mod:`sim.report.folders`), prints the variants side by side, refreshes the
reports' index, and tells the command line which variants lost replications.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback

from sim.cli import note_failed_run
from sim.config.paths import is_staging, published
from sim.core.errors import run_label
from sim.report.folders import publish


class ComparisonCallback(Callback):
    """Hydra callback: at the end of a multirun, write the comparison of its variants and publish the folder."""

    def on_multirun_end(self, config: Any, **kwargs: Any) -> None:
        """Write the sweep folder's comparison files, rename the sweep's temporary folder to the report folder;
        note variants whose replications failed."""
        # imported here: Hydra builds this callback for every run, and a run that is no sweep never needs them
        from sim.report.comparison import reference_of, scan_sweep, write_comparison

        sweep_dir = Path(str(config.hydra.sweep.dir))  # the temporary folder (sim.report.folders)
        if not sweep_dir.is_dir():
            return
        final = published(sweep_dir)
        variants, skipped = scan_sweep(sweep_dir)
        for note in skipped:
            sys.stderr.write(f"{run_label()}: note: comparison: skipped {final / note}\n")
        ref_at, ref_note = reference_of(variants)  # report.compare_to, read before the folder moves
        if ref_note:
            sys.stderr.write(f"{run_label()}: note: comparison: {ref_note}\n")
        path = write_comparison(sweep_dir)
        if is_staging(sweep_dir):
            final = publish(sweep_dir, final, bool(config.report.overwrite))
        for v in variants:  # jobs may have run in other processes
            if v["summary"].get("failed_replications"):
                note_failed_run(str(final / v["folder"].name))
        if path is not None:
            from sim.report.comparison import compared
            from sim.report.comparison_page import terminal_summary
            from sim.report.index import refresh_index_for

            path = final / path.name
            print(f"\nThe {len(variants)} variants side by side:")
            print(terminal_summary(compared(variants, ref_at=ref_at)), end="")
            print(f"Comparison of the variants written to {path} and {path.with_suffix('.md')}; the page: "
                  f"{path.with_suffix('.html')}")
            refresh_index_for(final)
