"""Configuration: what a run is asked to do, as data, and whether it makes sense.

The modules and how to add a setting: ``sim/config/README.md``.  The configuration stays data: turning it
into model objects is the model's job (:mod:`sim.model.compile`).
"""
