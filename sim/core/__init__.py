"""The event core: what any discrete-event call-centre model needs, and nothing of the hotline.

:mod:`~sim.core.engine` (callback events on SimPy's loop, the operator pool with
priority classes, lazy abandonment, the two-level timer),
:mod:`~sim.core.rng` (named random streams), :mod:`~sim.core.distributions`
(distributions given as data, sampled by inversion), :mod:`~sim.core.calendar`
(working hours), :mod:`~sim.core.errors` (the errors bad input raises).  Nothing
here imports another layer of :mod:`sim`.
"""
