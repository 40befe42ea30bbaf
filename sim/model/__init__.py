"""The hotline model: arrivals, residents, the front line, staffing plans, units, the back office, return visits.

:mod:`~sim.model.derive` derives each quantity of the model from a validated configuration, in one
place; :mod:`~sim.model.compile` assembles them into the one immutable scenario the model reads (no
raw configuration inside); :mod:`~sim.model.replication` wires one replication together and runs it;
:mod:`~sim.model.checks` holds the checks that need the model's arithmetic and
the one entry point of validation.  Processes append records
(:mod:`sim.records`); nothing here computes a KPI.
"""
