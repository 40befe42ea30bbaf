"""Configuration: what a run is asked to do, as data, and whether it makes sense.

:mod:`~sim.config.schema` (the typed dataclasses: every key, its type, default and
meaning), :mod:`~sim.config.kpi_catalog` (every KPI's name, definition and
domain), :mod:`~sim.config.scenario_files` (scenario files through one guarded
loader), :mod:`~sim.config.overrides` and :mod:`~sim.config.schema_tree`
(command-line overrides checked against the schema), the validation rules
(:mod:`~sim.config.validate` and the modules it calls), :mod:`~sim.config.paths`
and :mod:`~sim.config.hydra_setup` (where the files are, and their registration
with Hydra).  The configuration stays data: turning it into model objects is the
model's job (:mod:`sim.model.compile`).
"""
