"""The variants table of comparison.html at 1366 px: the outcomes against the targets come right after what each
variant costs, before the columns on method (replications, how the differences were computed), so that a reader who
does not scroll the table sideways still sees whether each variant meets the front line's targets."""

from __future__ import annotations

import re


def test_target_columns_come_before_the_method_columns(cli_sweep):
    text = (cli_sweep[0] / "comparison.html").read_text(encoding="utf-8")
    head = text[text.find('<table class="comparison">'):]
    head = head[:head.find("</thead>")]
    names = [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", head, re.S)]
    assert "differences" in names and "replications" in names, names
    for kpi in ("answer rate", "service level", "abandonment"):
        assert names.index(kpi) < names.index("replications") < names.index("differences"), names
    assert names[-2:] == ["replications", "differences"], names
