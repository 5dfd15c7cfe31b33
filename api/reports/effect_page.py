"""An effect's report: the two arms, the effect with its interval, segments as a forest plot, and the graph's
paths from treatment to outcome drawn on the model's graph.

Read defensively from the stored result (a dict the worker wrote): fields it lacks are left out, and fields a
newer worker adds (intervals over graph uncertainty, contested edges) are listed as they are.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from simulacra.api.reports import charts
from simulacra.api.reports.graph_drawing import draw_graph
from simulacra.api.reports.templating import render
from simulacra.engine.records import CausalGraph
from simulacra.engine.records.validation import NodeFit

SHOWN = {
    "estimand", "estimate", "ci_low", "ci_high", "confidence_level", "method", "resamples", "interval_covers",
    "arms", "support", "segments", "graph_path", "note", "warnings",
}  # fmt: skip


def _interval(item: dict[str, Any]) -> tuple[float, float] | None:
    low, high = item.get("ci_low"), item.get("ci_high")
    return (low, high) if isinstance(low, int | float) and isinstance(high, int | float) else None


def render_effect_report(
    effect: dict[str, Any], result: dict[str, Any], graph: CausalGraph | None, nodes: dict[str, NodeFit]
) -> str:
    treatment = effect.get("treatment") or {}
    outcome = str(effect.get("outcome") or "outcome")
    if effect.get("outcome_level") is not None:
        outcome = f"share of {outcome} = {effect['outcome_level']}"
    arms = result.get("arms") or {}
    names, means, intervals = [], [], []
    for key in ("from", "to"):
        arm = arms.get(key) or {}
        if isinstance(arm.get("mean"), int | float):
            names.append(f"do({treatment.get('column', 'treatment')} = {arm.get('value')})")
            means.append(float(arm["mean"]))
            intervals.append(_interval(arm))
    segments = [segment for segment in result.get("segments") or [] if isinstance(segment, dict)]
    paths = [path for path in result.get("graph_path") or [] if isinstance(path, list)]
    on_path = {(a, b) for path in paths for a, b in zip(path, path[1:], strict=False)}
    return render(
        "effect_report.html",
        effect=effect,
        result=result,
        outcome=outcome,
        treatment=treatment,
        arms_svg=charts.arms(names, means, intervals, outcome) if names else None,
        segments=segments,
        forest_svg=(
            charts.forest(
                [str(segment.get("level")) for segment in segments],
                [segment.get("estimate") for segment in segments],
                [_interval(segment) for segment in segments],
                result.get("estimate"),
            )
            if segments
            else None
        ),
        paths=paths,
        graph_svg=draw_graph(graph, nodes, highlight=on_path) if graph is not None else None,
        extra={key: value for key, value in result.items() if key not in SHOWN},
        drawn_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
