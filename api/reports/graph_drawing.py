"""The causal graph drawn: columns in layers (the upload's tiers, else longest path from a root), edges as
arrows whose width is their bootstrap stability; undecided directions dashed, edges the hints require in
purple. Every node and edge group carries data attributes and a `<title>` (its mechanism and fit, or its
stability), so a browser shows them on hover and a test can count them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from simulacra.api.reports.svg import INK, MUTED, SYNTHETIC, figure, to_svg
from simulacra.engine.records.graph import CausalGraph, Edge
from simulacra.engine.records.validation import NodeFit

PRIOR, REQUIRED, EDITED = "#a15c07", "#7a3fb0", MUTED


@dataclass(frozen=True)
class EdgeStyle:
    kind: str  # learned, prior (direction not identified), required (by causal_hints), edited (no stability)
    stability: float | None


def layers(graph: CausalGraph) -> list[list[str]]:
    """Columns by layer, left to right: the hints' tiers when given (later tiers to the right), and within them
    (or without them) each column one step right of its furthest parent."""
    parents: dict[str, list[str]] = {name: [] for name in graph.nodes}
    for source, target in graph.edges:
        parents[target].append(source)
    tiers = (graph.hints_applied or {}).get("tiers") or []
    tier_of = {name: index for index, tier in enumerate(tiers) for name in tier}
    depth: dict[str, int] = {}

    def place(name: str, seen: frozenset[str]) -> int:
        if name not in depth:
            # The graph is acyclic (edits are checked); `seen` keeps a corrupt record from recursing forever.
            above = [place(p, seen | {name}) + 1 for p in parents[name] if p not in seen]
            depth[name] = max([0, *above])
        return depth[name]

    for name in graph.nodes:
        place(name, frozenset())
    # Tiers first, then depth inside a tier: a column of a later tier is never left of an earlier tier's.
    keys = sorted({(tier_of.get(name, len(tiers)), depth[name]) for name in graph.nodes})
    column = {key: index for index, key in enumerate(keys)}
    result: list[list[str]] = [[] for _ in keys]
    for name in graph.nodes:
        result[column[(tier_of.get(name, len(tiers)), depth[name])]].append(name)
    return result


def edge_styles(graph: CausalGraph) -> dict[Edge, EdgeStyle]:
    required = {(item["from"], item["to"]) for item in (graph.hints_applied or {}).get("required") or []}
    prior = {tuple(edge) for edge in graph.oriented_by_prior}
    styles = {}
    for source, target in graph.edges:
        edge = (source, target)
        stability = graph.stability_of(edge)
        if edge in required:
            kind = "required"
        elif edge in prior:
            kind = "prior"
        elif stability is None and graph.edits:
            kind = "edited"
        else:
            kind = "learned"
        styles[edge] = EdgeStyle(kind, stability)
    return styles


def draw_graph(graph: CausalGraph, nodes: dict[str, NodeFit], highlight: set[Edge] | None = None) -> str:
    """The graph as SVG; with `highlight`, the other edges are faded (an effect's paths, say)."""
    columns = layers(graph)
    tallest = max((len(layer) for layer in columns), default=1)
    # Fixed margins: the axes are off, and a layout engine would measure every arrow again.
    fig = figure(max(4.0, 1.55 * len(columns) + 0.6), max(2.4, 0.85 * tallest + 1.0), margins=(0.01, 0.01, 0.99, 0.99))
    axes = fig.add_subplot()
    axes.set_axis_off()
    axes.set_xlim(-0.6, len(columns) - 0.4)
    axes.set_ylim(tallest + 0.1, -1.1)  # top to bottom, with room for the arcs of edges that skip a layer
    position = {
        name: (x, y + (tallest - len(layer)) / 2) for x, layer in enumerate(columns) for y, name in enumerate(layer)
    }
    annotations: dict[str, dict[str, str]] = {}
    styles = edge_styles(graph)
    texts = {}
    for index, name in enumerate(graph.nodes):
        node = nodes.get(name)
        text = axes.text(
            *position[name],
            name,
            ha="center",
            va="center",
            fontsize=8,
            color=INK,
            bbox={"boxstyle": "round,pad=0.35", "facecolor": "white", "edgecolor": SYNTHETIC, "linewidth": 1},
            zorder=3,
        )
        text.set_gid(f"node-{index}")
        texts[name] = text
        annotations[f"node-{index}"] = {
            "class": "node",
            "data-node": name,
            "data-mechanism": node.mechanism if node else "",
            "title": node_summary(name, node),
        }
    from matplotlib.patches import FancyArrowPatch  # loaded with the figure, on the first report

    # Place the labels' boxes first, then end each arrow at its boxes' edges. (A patch-clipped arrow would find the
    # edges itself, at a cost that grows past seconds on a graph of a hundred edges.)
    fig.draw_without_rendering()
    boxes = {name: (text.get_bbox_patch() or text).get_window_extent() for name, text in texts.items()}
    centre = {name: axes.transData.transform(position[name]) for name in graph.nodes}
    for index, ((source, target), style) in enumerate(styles.items()):
        (x1, y1), (x2, y2) = position[source], position[target]
        # Edges that skip a layer (or stay in one) bend away from the middle, so they pass beside the columns between.
        skip = abs(x2 - x1) > 1 or x1 == x2
        upper = (y1 + y2) / 2 < (tallest - 1) / 2
        bend = (0.3 if upper == (x2 >= x1) else -0.3) if skip else 0.0
        (dx, dy) = centre[target] - centre[source]
        arrow = FancyArrowPatch(
            (x1, y1),
            (x2, y2),
            shrinkA=_to_edge(boxes[source], dx, dy),
            shrinkB=_to_edge(boxes[target], dx, dy) + 1,
            arrowstyle="-|>,head_length=4,head_width=2.5",
            connectionstyle=f"arc3,rad={bend}",
            mutation_scale=1,
            linewidth=0.6 + 2.8 * (style.stability if style.stability is not None else 0.35),
            linestyle="--" if style.kind == "prior" else ":" if style.kind == "edited" else "-",
            color={"prior": PRIOR, "required": REQUIRED, "edited": EDITED}.get(style.kind, SYNTHETIC),
            alpha=1.0 if highlight is None or (source, target) in highlight else 0.18,
            zorder=2,
            clip_on=False,
        )
        arrow.set_gid(f"edge-{index}")
        axes.add_patch(arrow)
        annotations[f"edge-{index}"] = {
            "class": f"edge {style.kind}",
            "data-edge": f"{source}->{target}",
            "data-kind": style.kind,
            "data-stability": "" if style.stability is None else f"{style.stability:.2f}",
            "data-highlighted": "true" if highlight is not None and (source, target) in highlight else "false",
            "title": edge_summary(source, target, style),
        }
    if not graph.edges:
        axes.text(len(columns) / 2 - 0.5, -0.55, "no edges: the columns were found independent", color=MUTED)
    return to_svg(fig, f"Causal graph: {len(graph.nodes)} columns, {len(graph.edges)} edges", annotations)


def _to_edge(box: Any, dx: float, dy: float) -> float:
    """How far (in points: the figure is drawn at 72 dpi) a line from the box's centre along (dx, dy) runs inside it."""
    half_width, half_height = box.width / 2, box.height / 2
    along = min(half_width / abs(dx) if dx else math.inf, half_height / abs(dy) if dy else math.inf)
    return 0.0 if math.isinf(along) else float(along * math.hypot(dx, dy))


def node_summary(name: str, node: NodeFit | None) -> str:
    if node is None:
        return name
    fit = fit_text(node)
    parents = ", ".join(node.parents) or "none (a root)"
    return f"{name}: {node.mechanism}; parents {parents}" + (f"; {fit}" if fit else "")


def fit_text(node: NodeFit) -> str:
    if node.held_out is None or node.metric is None:
        scores = ", ".join(f"in-sample {key} {value:.3f}" for key, value in node.in_sample.items())
        return scores
    label = "held-out R²" if node.metric == "r2" else "held-out log-likelihood"
    baseline = f" (without parents {node.baseline:.3f})" if node.baseline is not None else ""
    return f"{label} {node.held_out:.3f}{baseline}"


def edge_summary(source: str, target: str, style: EdgeStyle) -> str:
    stability = "no bootstrap stability" if style.stability is None else f"bootstrap stability {style.stability:.0%}"
    reason = {
        "prior": "; direction not identified by the data (set by the prior)",
        "required": "; required by causal_hints",
        "edited": "; added or turned by a graph edit",
    }.get(style.kind, "")
    return f"{source} → {target}: {stability}{reason}"
