"""hotline-sim: a discrete-event simulator of a city citizen-service hotline (Beijing 12345).

Layers, each a plain data object handed to the next: configuration
(:mod:`sim.config`, checked by :mod:`sim.validate`) -> compiled scenario
(:mod:`sim.scenario`) -> one replication on SimPy (:mod:`sim.model`, with the
fast core in :mod:`sim.engine`) -> records (:mod:`sim.records`) -> KPIs
(:mod:`sim.stats`) -> experiments across replications (:mod:`sim.experiment`)
-> reports (:mod:`sim.report`).  Scripts use :mod:`sim.api`.
"""

__version__ = "0.1.0"
