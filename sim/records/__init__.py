"""What a replication records: per-interval counters, the work-order pipeline's arrays, the result.

The model appends to these recorders while it runs; the statistics
(:mod:`sim.analysis`) read the finished :class:`~sim.records.intervals.ReplicationResult`, whose
optional subsystems (operator groups, callbacks, the back office, the request log) are typed
records of their own, ``None`` when the scenario does not use them.
Both depend on this package and on nothing of each other.
"""
