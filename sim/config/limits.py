"""The size limits of a run (documented in docs/experiments.md, "Limits").

A configuration can be valid key by key and still describe a run that cannot finish
(``arrivals.phone.per_day=1e12``, a billion operators, ``experiment.replications=10**20``).  The ceilings of
single settings are on the fields (:class:`sim.config.fields.Range`); the estimated size of a run (contacts,
events, operators, units, memory) needs the model's arithmetic and is checked against :data:`LIMITS` by
:func:`sim.model.checks.check_size`.  The limits are chosen so that a run within them fits a 24 GiB machine
and finishes in reasonable time: the Beijing baseline at scale 1 makes about 70,000 contacts a day, 2.1
million in 30 days (84 s and under 0.5 GB per replication on a 2-core laptop); the contact limit is about 5
times that.
"""

from __future__ import annotations

import os
from typing import Dict

LIMITS: Dict[str, float] = {
    "horizon_h": 366 * 24.0,          # experiment.horizon_h and experiment.drain_h: a (leap) year each
    "replications": 10_000,           # experiment.replications and experiment.max_replications
    "jobs": 256,                      # experiment.jobs: worker processes
    "max_retrials": 100,              # calls.retrial.max_retrials
    "max_attempts": 100,              # feedback.max_attempts
    "max_rounds": 100,                # feedback.max_rounds
    "contacts": 1e7,                  # expected first contacts per replication
    "events": 2e8,                    # estimated simulation events per replication
    "total_contacts": 1e9,            # expected contacts over all replications
    "operators": 100_000,             # operators on duty at once (front line or feedback team)
    "units": 100_000,                 # units over all unit types
    "case_slots": 1e9,                # case slots over all units
    "result_bytes": 8 * 2.0**30,      # results held in memory until the report is written
    "day_bytes": 8 * 2.0**30,         # a day's residents drawn at once, over the processes running replications
}
#: A reference for naming the key that drives an oversized run: the Beijing baseline's values.
REFERENCE = {"scale": 1.0, "demand_factor": 1.0, "per_day": 70_000.0, "horizon_h": 168.0, "multiplier": 5.0,
             "day_of_week": 1.1}
#: Values stored per reporting interval and replication (counters, areas, states, derived KPIs), and per
#: contact in the request log; bytes per value.
PER_INTERVAL, PER_LOGGED_CONTACT, BYTES = 64, 40, 8
#: Memory a replication holds per resident of the day it draws (a tuple of 19-20 Python values and the
#: arrays it comes from); measured 0.9-1.5 KB on single_queue and the Beijing baseline.
PER_RESIDENT_BYTES = 1536


def machine_memory_bytes() -> float:
    """This machine's physical memory in bytes (0 when the system does not say)."""
    try:
        return float(os.sysconf("SC_PAGE_SIZE")) * float(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, OSError, ValueError):
        return 0.0
