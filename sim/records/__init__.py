"""What a replication records: per-interval counters, the work-order pipeline's arrays, the result.

The model appends to these recorders while it runs; the statistics
(:mod:`sim.analysis`) read the finished :class:`~sim.records.intervals.ReplicationResult`.
Both depend on this package and on nothing of each other.
"""
