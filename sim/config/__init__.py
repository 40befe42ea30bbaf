"""Configuration: what a run is asked to do, as data, and whether it makes sense.

:mod:`~sim.config.schema` (the pydantic models: every key with its type, range, unit, default and meaning,
and the rules on it; built from :mod:`~sim.config.fields`), :mod:`~sim.config.rules` (the rules across
sections), :mod:`~sim.config.errors` (a refusal as one line), :mod:`~sim.config.kpi_catalog` (every
KPI), :mod:`~sim.config.scenario_files` (scenario files through one guarded loader),
:mod:`~sim.config.overrides` and :mod:`~sim.config.compose` (a command's overrides and configurations),
:mod:`~sim.config.paths` and :mod:`~sim.config.hydra_setup` (where the files are, and what Hydra is
given).  How to add a setting: ``sim/config/README.md``.  The configuration stays data: turning it into
model objects is the model's job (:mod:`sim.model.compile`).
"""
