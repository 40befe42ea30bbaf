"""The documentation's figures blocks (sim/calibrate/docfigures.py) and the page's table alignment.

* An empty block (as first written) ends at its own end marker: rewriting a page with several blocks keeps
  the text between them (a block body that ran on to the next block's end once swallowed half a page).
* A block's body is what :func:`render` gives, and a second rewrite changes nothing.
* Table columns of words are aligned left, columns of numbers (also with units and n/a) right.
"""

from __future__ import annotations

from sim.calibrate import docfigures
from sim.calibrate.page import Table, text_columns

HOLDOUT = {"errors": {p: {k: {"mae": m, "bias": -m / 2} for k in ("abandon_rate", "asa_s", "service_level", "offered")}
                      for p, m in (("simulated", 0.03), ("erlang_a", 0.05), ("persistence", 0.06),
                                   ("noise_floor", 0.02))}}
PAGE = """intro

<!-- figures: holdout a -->
<!-- end figures -->

text between the blocks

<!-- figures: holdout b -->
<!-- end figures -->

outro
"""


def _load(name: str):
    return {"holdout": HOLDOUT}


def test_empty_blocks_end_at_their_own_marker():
    found = docfigures.blocks(PAGE)
    assert [(k, n, b) for k, n, b in found] == [("holdout", ["a"], ""), ("holdout", ["b"], "")]
    out = docfigures.rewrite(PAGE, _load)
    assert "text between the blocks" in out and out.startswith("intro\n") and out.endswith("outro\n")
    table = docfigures.render("holdout", [{"holdout": HOLDOUT}])
    assert out.count(table) == 2 and "| simulation | 3.0 pts (-1.5) | 0.0 s (-0.0) |" in table
    assert [b for _, _, b in docfigures.blocks(out)] == [table, table]
    assert docfigures.rewrite(out, _load) == out


def test_text_columns_left_numbers_right():
    t = Table(["predictor", "abandonment", "families", "in the scenario"],
              [["simulation", "3.8 pts (-1.3)", "none", "the pooled"],
               ["Erlang A", "n/a", "lognormal, gamma", "its own"],
               ["noise", "2.5 pts (-0.1)", "n/a", "the pooled"]])
    assert text_columns(t) == [0, 2, 3]
