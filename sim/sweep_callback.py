"""The Hydra callback that ends a sweep: the comparison of its variants.

Registered in ``configs/config.yaml`` (``hydra.callbacks.comparison``), so it
runs whichever launcher ran the jobs (basic, joblib, submitit, Ray): when a
``-m`` sweep ends, it writes ``comparison.csv``, ``comparison.md`` and
``comparison.html`` (:func:`sim.report.comparison.write_comparison`) in the
sweep folder, prints the variants side by side, refreshes the reports' index,
and tells the command line which variants lost replications.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback

from sim.cli import note_failed_run
from sim.report.comparison import scan_sweep, write_comparison


class ComparisonCallback(Callback):
    """Hydra callback: at the end of a multirun, write the comparison of its variants."""

    def on_multirun_end(self, config: Any, **kwargs: Any) -> None:
        """Write the sweep folder's comparison files; note variants whose replications failed."""
        sweep_dir = Path(str(config.hydra.sweep.dir))
        if not sweep_dir.is_dir():
            return
        variants, skipped = scan_sweep(sweep_dir)
        for v in variants:  # jobs may have run in other processes
            if v["summary"].get("failed_replications"):
                note_failed_run(str(v["folder"]))
        for note in skipped:
            sys.stderr.write(f"run_sim: note: comparison: skipped {sweep_dir / note}\n")
        path = write_comparison(sweep_dir)
        if path is not None:
            from sim.report.comparison import compared
            from sim.report.comparison_page import terminal_summary
            from sim.report.index import refresh_index_for

            print(f"\nThe {len(variants)} variants side by side:")
            print(terminal_summary(compared(variants)), end="")
            print(f"Comparison of the variants written to {path} and {path.with_suffix('.md')}; the page: "
                  f"{path.with_suffix('.html')}")
            refresh_index_for(sweep_dir)
