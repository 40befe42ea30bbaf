"""Outputs of a run or a sweep: files, tables, figures, pages and the terminal's text.

Everything here is computed from results already simulated (an
:class:`~sim.experiments.runner.ExperimentResult`, or the files of a sweep's
variants); a report never simulates.
"""
