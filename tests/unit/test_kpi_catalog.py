"""One record per KPI, read by everything that shows or checks a KPI, and the same KPIs as docs/kpis.md.

* Every KPI a run computes has exactly one record in the catalogue (:data:`sim.config.kpi_catalog.KPIS`),
  and no parallel table of names, definitions, domains or displays is left beside it.
* ``docs/kpis.md`` - the full definitions - names every KPI of the catalogue, and every KPI its tables
  name is in the catalogue.
* What the pages and the terminal show comes from the record: ``summary.json`` -> ``kpi_definitions``
  holds the records' definitions, and the labels of the run page are the records' labels.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from sim.config import kpi_catalog
from sim.config.kpi_catalog import KPIS, all_definitions, headline_kpis, kpi, why_undefined

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "kpis.md"


def _doc_table_kpis(text: str) -> set[str]:
    """KPI names (their base, before any ``.<group>``) in the first column of the tables headed ``KPI``."""
    names: set[str] = set()
    in_table = False
    for line in text.splitlines():
        if not line.startswith("|"):
            in_table = False
            continue
        first = line.split("|")[1].strip()
        if first.startswith("KPI"):
            in_table = True
            continue
        if in_table:
            names |= {n.split(".", 1)[0] for n in re.findall(r"`([a-z0-9_]+(?:\.[^`]*)?)`", first)}
    return names


def test_docs_and_catalogue_name_the_same_kpis():
    """Every KPI of the catalogue appears in docs/kpis.md, and every KPI of its tables is in the catalogue."""
    text = DOC.read_text(encoding="utf-8")
    missing = [k.name for k in KPIS if f"`{k.name}`" not in text and f"`{k.name}." not in text]
    assert not missing, f"KPIs of the catalogue not defined in docs/kpis.md: {missing}"
    documented = _doc_table_kpis(text)
    assert len(documented) > 30, f"the tables of docs/kpis.md were not read: {sorted(documented)}"
    unknown = sorted(documented - {k.name for k in KPIS})
    assert not unknown, f"docs/kpis.md defines KPIs the catalogue does not know: {unknown}"


def test_one_record_per_kpi_and_no_parallel_tables():
    """Each name has one record with every field set; the module keeps no other mapping keyed by KPI name."""
    names = [k.name for k in KPIS]
    assert len(names) == len(set(names)), f"a KPI listed twice: {names}"
    for k in KPIS:
        assert k.label and k.unit and k.definition and k.group in kpi_catalog.KPI_GROUPS, k
    tree = ast.parse(Path(kpi_catalog.__file__).read_text(encoding="utf-8"))
    tables = [t.id for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
              for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
              if isinstance(t, ast.Name) and isinstance(node.value, (ast.Dict, ast.Call, ast.Tuple, ast.List, ast.Set))
              and any(isinstance(c, ast.Constant) and c.value in names for c in ast.walk(node.value))]
    assert tables == ["KPIS"], f"tables keyed by KPI name beside KPIS: {tables}"


def test_lookups_read_the_record():
    """A breakdown is shown and bounded like its base; headline KPIs leave out the breakdown-only bases."""
    assert kpi("response_rate.street") is kpi("response_rate")
    assert kpi("open_orders.street").breakdown_only and "open_orders" not in headline_kpis()
    assert "closed" not in headline_kpis() and "service_level" in headline_kpis()
    assert all_definitions()["answer_rate"] == kpi("answer_rate").definition


def test_why_undefined_follows_the_record(compose_once):
    """single_queue has no online demand, no callbacks, no units and no redials: the reasons name each."""
    cfg = compose_once("single_queue", ["experiment.replications=2"])
    assert why_undefined(cfg, "online_on_time_rate").startswith("an online KPI")
    assert why_undefined(cfg, "callbacks_offered").startswith("a callback KPI")
    assert why_undefined(cfg, "satisfaction_rate").startswith("a work-order KPI")
    assert why_undefined(cfg, "retrials").startswith("always 0: callers never redial")
    assert why_undefined(cfg, "intervals_meeting_target").startswith("computed from all replications")
    assert why_undefined(cfg, "service_level") is None and why_undefined(cfg, "service_level.general") is None
