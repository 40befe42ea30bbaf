"""hotline-sim: a discrete-event simulator of a city citizen-service hotline (Beijing 12345).

The sub-packages follow the data, lowest layer first; a module imports only from
its own layer or below (``tests/unit/test_layering.py`` keeps it so):

* :mod:`sim.core` - the event core on SimPy (callback events, the operator pool),
  named random streams, distributions, working calendars; knows no hotline;
* :mod:`sim.config` - the typed schema, the KPI catalogue, scenario files,
  command-line overrides, validation and the Hydra wiring;
* :mod:`sim.records` - what a replication records: the seam between the model
  and the statistics;
* :mod:`sim.policies` - decisions the model consults during a run (routing,
  dispatch), found by name in a registry;
* :mod:`sim.model` - the hotline: arrivals, residents, the front line, staffing
  plans, units, the back office, return visits, and the wiring of one
  replication;
* :mod:`sim.analysis` - pure functions of the records: KPIs and confidence
  intervals, warm-up diagnostics, queueing theory (it never imports the model);
* :mod:`sim.experiments` - replications and where they run (serial, processes, Dask);
* :mod:`sim.planning` - staffing policies that propose a plan before a run (Erlang A
  per interval, simulation-based optimisation, shift scheduling) and may simulate to do it;
* :mod:`sim.report` - tables, figures and pages from the results (never simulates);
* :mod:`sim.api` and :mod:`sim.cli` - the stable surface: the Python API and the
  command line (with :mod:`sim.preflight` and :mod:`sim.sweep_callback`);
* :mod:`sim.calibrate` - scenarios calibrated from real call and request logs, and
  their back-test: a consumer of the API that nothing imports.
"""

__version__ = "0.1.0"
