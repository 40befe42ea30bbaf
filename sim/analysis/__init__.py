"""Pure functions of the records: KPIs and their confidence intervals, warm-up diagnostics, queueing theory.

:mod:`~sim.analysis.kpis` and :mod:`~sim.analysis.kpis_backoffice` compute every
KPI from a :class:`~sim.records.intervals.ReplicationResult`;
:mod:`~sim.analysis.warmup` diagnoses the warm-up; :mod:`~sim.analysis.theory`
(Erlang B, C and A), :mod:`~sim.analysis.theory_staffing` (staffing searches) and
:mod:`~sim.analysis.theory_numerics` are the queueing theory the model must agree
with.  Nothing here imports the model.
"""
