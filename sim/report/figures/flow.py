"""The flow of contacts from their channel to where they ended: a Sankey-style diagram of the accounting.

Four columns, every link an exact count of the accounting (mean per replication,
contacts offered in the measurement window): the channel (phone, online); whether
the resident gave up (an abandoned call, a withdrawn online submission), accepted
a callback that never reached them, or reached an operator (a callback that
reached the resident counts as reaching one); what the operator did (answered
directly, transferred to emergency services, made a work order - or the contact
was still at the front line when the run stopped); and how the work orders ended (closed and rated,
closed without reaching the resident, still open).  The records do not say
which channel a work order came from, so both channels flow into one node
("reached an operator") before the operator's decision: no split is invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Tuple

from sim.report.figures.common import layout, png, subplots
from sim.report.pages import Figure
from sim.report.palette import SERIES

NODE_W = 0.018
GAP = 0.035


@dataclass
class Node:
    """A node of the diagram: column, label, value, colour; its vertical extent once placed."""

    key: str
    col: int
    label: str
    value: float
    colour: str
    y0: float = 0.0
    y1: float = 0.0


def flow_graph(summary: Mapping[str, Any]) -> Tuple[List[Node], List[Tuple[str, str, float]]]:
    """Nodes and links ``(source, target, value)`` of the flow, from ``summary.json``'s accounting and KPIs."""
    st = {k: float(v["mean"]) for k, v in summary["accounting"]["states"].items()}
    kpis = summary["kpis"]
    phone = float(kpis.get("calls_offered", {}).get("mean") or 0.0)
    online = float(kpis.get("online_offered", {}).get("mean") or 0.0)
    ab, ex = st.get("ended:abandoned", 0.0), st.get("ended:online_expired", 0.0)
    cb_lost = st.get("ended:callback_not_reached", 0.0)
    front_open = sum(st.get(f"open:{s}", 0.0) for s in ("waiting_operator", "with_operator", "awaiting_redial",
                                                         "awaiting_callback"))
    rated, not_reached = st.get("ended:closed_rated", 0.0), st.get("ended:closed_not_reached", 0.0)
    back_open = sum(v for k, v in st.items() if k.startswith("open:")) - front_open
    wo = rated + not_reached + back_open
    direct, transferred = st.get("ended:answered_direct", 0.0), st.get("ended:transferred_emergency", 0.0)
    reached = phone - ab - cb_lost + online - ex
    reached_label = "reached an operator" + (" or still waiting" if front_open > 0.5 else "")
    nodes = [
        Node("phone", 0, "phone calls", phone, SERIES["phone"]),
        Node("online", 0, "online submissions", online, SERIES["online"]),
        Node("abandoned", 1, "abandoned (hung up)", ab, SERIES["abandoned"]),
        Node("cb_lost", 1, "callback, never reached", cb_lost, SERIES["callback_not_reached"]),
        Node("reached", 1, reached_label, reached, SERIES["reached"]),
        Node("expired", 1, "withdrawn unaccepted", ex, SERIES["online_expired"]),
        Node("direct", 2, "answered directly", direct, SERIES["answered_direct"]),
        Node("transferred", 2, "transferred to 110/119/120", transferred, SERIES["transferred_emergency"]),
        Node("front_open", 2, "still at the front line", front_open, SERIES["open"]),
        Node("work_order", 2, "work order", wo, SERIES["work_order"]),
        Node("rated", 3, "closed, rated on the return visit", rated, SERIES["closed_rated"]),
        Node("not_reached", 3, "closed, resident never reached", not_reached, SERIES["closed_not_reached"]),
        Node("back_open", 3, "still open", back_open, SERIES["open"]),
    ]
    links = [("phone", "abandoned", ab), ("phone", "cb_lost", cb_lost), ("phone", "reached", phone - ab - cb_lost),
             ("online", "reached", online - ex),
             ("online", "expired", ex), ("reached", "direct", direct), ("reached", "transferred", transferred),
             ("reached", "front_open", front_open), ("reached", "work_order", wo), ("work_order", "rated", rated),
             ("work_order", "not_reached", not_reached), ("work_order", "back_open", back_open)]
    keep = {n.key for n in nodes if n.value > 0.5}
    return [n for n in nodes if n.key in keep], [(a, b, v) for a, b, v in links if v > 0.5 and a in keep and b in keep]


def _place(nodes: List[Node], total: float) -> None:
    """Stack each column's nodes from the top, heights proportional to their values (a minimum for tiny ones)."""
    ncols = max(n.col for n in nodes) + 1
    scale = (1.0 - GAP * 4) / total if total > 0 else 1.0
    by_key = {n.key: n for n in nodes}
    for c in range(ncols):
        col = [n for n in nodes if n.col == c]
        y = 1.0
        if c == 3 and "work_order" in by_key:  # the outcomes of the work orders, level with them
            height = sum(max(n.value * scale, 0.004) for n in col) + GAP * (len(col) - 1)
            y = max(by_key["work_order"].y1, by_key["work_order"].y0 + height)
        for n in col:
            h = max(n.value * scale, 0.004)
            n.y1, n.y0 = y, y - h
            y -= h + GAP


def _band(ax: Any, x0: float, a0: float, a1: float, x1: float, b0: float, b1: float, colour: str) -> None:
    """A band from the vertical segment [a0, a1] at x0 to [b0, b1] at x1, along cubic curves."""
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path

    xm = (x0 + x1) / 2
    verts = [(x0, a1), (xm, a1), (xm, b1), (x1, b1), (x1, b0), (xm, b0), (xm, a0), (x0, a0), (x0, a1)]
    codes = [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4, Path.LINETO, Path.CURVE4, Path.CURVE4,
             Path.CURVE4, Path.CLOSEPOLY]
    ax.add_patch(PathPatch(Path(verts, codes), facecolor=colour, edgecolor="none", alpha=0.35, zorder=1))


def _spread(ys: List[float], min_gap: float) -> List[float]:
    """Label positions (top to bottom) pushed apart to at least ``min_gap``."""
    out = list(ys)
    for i in range(1, len(out)):
        out[i] = min(out[i], out[i - 1] - min_gap)
    return out


def flow_label(value: float, total: float) -> str:
    """A node's count (a mean over replications: a decimal only where it has one) and its share of all contacts
    (``<0.1%`` below a thousandth, never left out)."""
    count = f"{value:,.0f}" if abs(value - round(value)) < 0.05 else f"{value:,.1f}"
    share = value / total if total > 0 else 0.0
    return f"{count} ({share:.1%})" if share >= 0.0005 or value == 0 else f"{count} (<0.1%)"


def flow(summary: Mapping[str, Any]) -> Optional[Figure]:
    """The flow diagram of a run (None when no contact was offered)."""
    nodes, links = flow_graph(summary)
    total = sum(n.value for n in nodes if n.col == 0)
    if total <= 0:
        return None
    _place(nodes, total)
    by_key = {n.key: n for n in nodes}
    xs = {0: 0.02, 1: 0.30, 2: 0.58, 3: 0.86}
    fig, axes = subplots(1, 4.8)
    layout(fig, 1, 1, "none", left_in=0.1, right_in=0.1, top_in=0.75, bottom_in=0.1)
    ax = axes[0][0]
    scale = (1.0 - GAP * 4) / total
    out_off: Dict[str, float] = {}
    in_off: Dict[str, float] = {}
    for a, b, v in links:
        na, nb = by_key[a], by_key[b]
        h = v * scale
        ha, hb = min(h, na.y1 - na.y0), min(h, nb.y1 - nb.y0)
        a1 = na.y1 - out_off.get(a, 0.0)
        b1 = nb.y1 - in_off.get(b, 0.0)
        colour = na.colour if na.col == 0 else nb.colour  # a channel's own colour, then where the flow goes
        _band(ax, xs[na.col] + NODE_W, a1 - ha, a1, xs[nb.col], b1 - hb, b1, colour)
        out_off[a] = out_off.get(a, 0.0) + ha
        in_off[b] = in_off.get(b, 0.0) + hb
    lowest = min(n.y0 for n in nodes)
    for c in range(4):
        col = [n for n in nodes if n.col == c]
        centres = _spread([(n.y0 + n.y1) / 2 for n in col], 0.1)  # a two-line label is about 0.09 high
        lowest = min([lowest, *(yc - 0.05 for yc in centres)])  # a label pushed below the last node stays in view
        for n, yc in zip(col, centres):
            ax.add_patch(_rect(xs[c], n.y0, NODE_W, n.y1 - n.y0, n.colour))
            text = f"{n.label}\n{flow_label(n.value, total)}"
            ax.text(xs[c] + NODE_W + 0.006, yc, text, va="center", ha="left", fontsize=7.5, zorder=5,
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.8})
    ax.set_xlim(0, 1.06)
    ax.set_ylim(lowest - 0.03, 1.02)
    ax.axis("off")
    for c, words in enumerate(("channel", "front line", "operator's decision", "work orders")):
        ax.text(xs[c], 1.06, words, transform=ax.get_xaxis_transform(), fontsize=8.5, fontweight="bold",
                color="#444444", ha="left")
    fig.suptitle("Where the contacts went", x=0.01, ha="left", fontsize=11, fontweight="bold")
    caption = ("Every contact offered in the measurement window, from its channel to where it ended (mean per "
               "replication; percentages of all contacts offered). Band widths are proportional to the numbers of "
               "contacts. Both channels flow into 'reached an operator' because the records do not split the "
               "operator's decisions by channel.")
    return Figure("flow", "Where the contacts went", caption, png(fig))


def _rect(x: float, y: float, w: float, h: float, colour: str) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), w, h, facecolor=colour, edgecolor="none", zorder=3)
