"""hotline-sim: a discrete-event simulator of a city citizen-service hotline (Beijing 12345).

Layers, each a plain data object handed to the next: configuration
(:mod:`sim.config.schema`, checked by :mod:`sim.config.validate`) -> compiled scenario
(:mod:`sim.model.compile`) -> one replication on SimPy (:mod:`sim.model.replication`, with the
fast core in :mod:`sim.core.engine`) -> records (:mod:`sim.records.intervals`) -> KPIs
(:mod:`sim.analysis.kpis`) -> experiments across replications (:mod:`sim.experiments.runner`)
-> reports (:mod:`sim.report.outputs`).  Scripts use :mod:`sim.api`.
"""

__version__ = "0.1.0"
