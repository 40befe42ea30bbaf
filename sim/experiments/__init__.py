"""Experiments: replications of one configuration, and where they run.

:mod:`~sim.experiments.runner` runs a fixed number of replications or adds them
until a precision target; :mod:`~sim.experiments.executors` runs them in this
process, in worker processes or on a Dask cluster, with identical results.
"""
