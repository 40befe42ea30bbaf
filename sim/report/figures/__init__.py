"""The figures of the reports, drawn with matplotlib (Agg) from results already computed.

:mod:`~sim.report.figures.common` holds what every figure shares (style, time axes,
shading, legends, PNG bytes); the other modules draw the figures of one part of a
report: the front line through time (:mod:`~sim.report.figures.frontline`), the
work orders and return visits (:mod:`~sim.report.figures.backoffice`), the flow of
contacts to their end (:mod:`~sim.report.figures.flow`), the warm-up diagnostic
(:mod:`~sim.report.figures.diagnostics`) and a sweep's comparison
(:mod:`~sim.report.figures.sweep`).
"""
