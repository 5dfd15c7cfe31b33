"""The reports' charts, each a function from a record (or a plain list read from one) to an SVG fragment."""

from __future__ import annotations

from collections.abc import Sequence

from simulacra.api.reports.svg import INK, LINE, MUTED, REAL, SYNTHETIC, figure, style_axes, to_svg
from simulacra.engine.records.figures import Associations, ColumnDistribution
from simulacra.engine.records.validation import HeldOutFidelity


def distribution(column: ColumnDistribution) -> str:
    """Real and synthetic shares of one column: bars of each bin or level side by side."""
    levels = column.levels or []
    fig = figure(3.1, 2.1, margins=(0.19, 0.36 if len(levels) > 3 else 0.15, 0.97, 0.88))
    axes = fig.add_subplot()
    style_axes(axes)
    axes.locator_params(axis="y", nbins=4)
    if column.kind == "numeric" and column.edges:
        edges = column.edges
        widths = [b - a for a, b in zip(edges, edges[1:], strict=False)]
        axes.bar(edges[:-1], column.real, width=widths, align="edge", color=REAL, label="real (held out)")
        axes.stairs(column.synthetic, edges, color=SYNTHETIC, linewidth=1.6, label="synthetic")
    else:
        positions = range(len(levels))
        axes.bar([p - 0.2 for p in positions], column.real, width=0.4, color=REAL, label="real (held out)")
        axes.bar([p + 0.2 for p in positions], column.synthetic, width=0.4, color=SYNTHETIC, label="synthetic")
        axes.set_xticks(list(positions), [_short(level, 14) for level in levels], rotation=35 if len(levels) > 3 else 0)
        axes.tick_params(axis="x", labelsize=7)
        for tick in axes.get_xticklabels():
            tick.set_horizontalalignment("right" if len(levels) > 3 else "center")
    axes.set_title(column.column, fontsize=9, loc="left", color=INK)
    axes.set_ylabel("share of rows", fontsize=7)
    axes.tick_params(labelsize=7)
    return to_svg(fig, f"Distribution of {column.column}: real against synthetic")


def associations(matrices: Associations) -> str:
    """The two association matrices side by side, on one colour scale."""
    size = len(matrices.columns)
    side = min(3.2 + 0.18 * size, 7.5)
    fig = figure(2 * side + 0.6, side)
    grid = fig.subplots(1, 2)
    image = None
    for axes, title, matrix in zip(
        grid, ("real (held out)", "synthetic"), (matrices.real, matrices.synthetic), strict=True
    ):
        image = axes.imshow(matrix, vmin=0, vmax=1, cmap="Blues")
        axes.set_title(title, fontsize=9, loc="left")
        labels = [_short(name, 14) for name in matrices.columns]
        axes.set_xticks(range(size), labels, rotation=60, ha="right", fontsize=7)
        axes.set_yticks(range(size), labels, fontsize=7)
        if size <= 12:
            for row in range(size):
                for col in range(size):
                    value = matrix[row][col]
                    axes.text(
                        col,
                        row,
                        f"{value:.2f}",
                        ha="center",
                        va="center",
                        fontsize=6,
                        color="white" if value > 0.6 else INK,
                    )
    if image is not None:
        fig.colorbar(image, ax=list(grid), shrink=0.7, label="association (0 to 1)")
    return to_svg(fig, "Pairwise association matrices, real against synthetic")


def fidelity(report: HeldOutFidelity) -> str:
    """Held-out fidelity of the model beside the real-vs-real reference, per property."""
    keys = [("score", "overall"), ("column_shapes", "column shapes"), ("column_pair_trends", "pair trends")]
    model = [getattr(report, key) or 0.0 for key, _ in keys]
    reference = [getattr(report.reference, key) if report.reference else 0.0 for key, _ in keys]
    fig = figure(5.2, 1.9)
    axes = fig.add_subplot()
    style_axes(axes)
    rows = range(len(keys))
    axes.barh([r + 0.2 for r in rows], reference, height=0.38, color=REAL, label="real vs real (reference)")
    axes.barh([r - 0.2 for r in rows], model, height=0.38, color=SYNTHETIC, label="model vs held-out rows")
    for r, (m, ref) in enumerate(zip(model, reference, strict=True)):
        axes.text(m + 0.01, r - 0.2, f"{m:.3f}", va="center", fontsize=7)
        axes.text(ref + 0.01, r + 0.2, f"{ref:.3f}", va="center", fontsize=7, color=MUTED)
    axes.set_yticks(list(rows), [label for _, label in keys])
    axes.invert_yaxis()
    axes.set_xlim(0, 1.12)
    axes.legend(fontsize=7, frameon=False, loc="lower left", bbox_to_anchor=(0, 1), ncols=2)
    return to_svg(fig, "Held-out fidelity beside the real-vs-real reference")


def permutations(shares: Sequence[float], observed: float, tolerance: float) -> str:
    """How random relabellings of the graph fare (share of implied independences rejected) beside the graph."""
    fig = figure(5.2, 2.0)
    axes = fig.add_subplot()
    style_axes(axes)
    top = max([*shares, observed, tolerance, 0.05])
    axes.hist(list(shares), bins=12, range=(0, top * 1.05), color=REAL, label="random relabellings")
    axes.axvline(observed, color=SYNTHETIC, linewidth=2, label=f"this graph ({observed:.0%})")
    axes.axvline(tolerance, color="#b42334", linewidth=1, linestyle="--", label=f"tolerance ({tolerance:.0%})")
    axes.set_xlabel("share of implied independences the data reject", fontsize=7)
    axes.set_ylabel("relabellings", fontsize=7)
    axes.legend(fontsize=7, frameon=False)
    return to_svg(fig, "Falsification: the graph against random relabellings of its columns")


def requested_vs_achieved(
    labels: Sequence[str], requested: Sequence[float | None], achieved: Sequence[float | None]
) -> str:
    """Per conditioned level (or numeric range): the share asked for and the share the rows hold."""
    fig = figure(5.6, 0.5 + 0.34 * max(len(labels), 1))
    axes = fig.add_subplot()
    style_axes(axes)
    rows = range(len(labels))
    axes.barh([r - 0.2 for r in rows], [v or 0.0 for v in requested], height=0.38, color=REAL, label="requested")
    axes.barh([r + 0.2 for r in rows], [v or 0.0 for v in achieved], height=0.38, color=SYNTHETIC, label="achieved")
    for r, value in enumerate(achieved):
        if value is not None:
            axes.text(value + 0.01, r + 0.2, f"{value:.1%}", va="center", fontsize=7)
    axes.set_yticks(list(rows), [_short(label, 32) for label in labels], fontsize=7)
    axes.invert_yaxis()
    axes.set_xlim(0, 1.12)
    axes.set_xlabel("share of generated rows", fontsize=7)
    axes.legend(fontsize=7, frameon=False, loc="lower left", bbox_to_anchor=(0, 1), ncols=2)
    return to_svg(fig, "Requested against achieved shares")


def arms(
    names: Sequence[str],
    means: Sequence[float],
    intervals: Sequence[tuple[float, float] | None],
    outcome: str,
) -> str:
    """The mean outcome under each arm of the intervention, with its interval where the record has one."""
    fig = figure(5.2, 0.6 + 0.45 * len(names))
    axes = fig.add_subplot()
    style_axes(axes)
    for row, (mean, interval) in enumerate(zip(means, intervals, strict=True)):
        color = SYNTHETIC if row else REAL
        if interval is not None:
            axes.plot(interval, [row, row], color=color, linewidth=2)
        axes.plot([mean], [row], "o", color=color, markersize=7)
        axes.text(mean, row - 0.28, f"{mean:.4g}", ha="center", fontsize=7)
    axes.set_yticks(range(len(names)), [_short(name, 36) for name in names], fontsize=8)
    axes.set_ylim(len(names) - 0.5, -0.7)
    axes.set_xlabel(outcome, fontsize=7)
    return to_svg(fig, f"Mean {outcome} under each arm")


def forest(
    labels: Sequence[str],
    estimates: Sequence[float | None],
    intervals: Sequence[tuple[float, float] | None],
    overall: float | None,
) -> str:
    """Per segment, the effect with its interval; the overall estimate as a reference line."""
    fig = figure(5.6, 0.7 + 0.32 * len(labels))
    axes = fig.add_subplot()
    style_axes(axes)
    axes.axvline(0, color=LINE, linewidth=1)
    if overall is not None:
        axes.axvline(overall, color=MUTED, linestyle="--", linewidth=1, label=f"overall ({overall:.4g})")
        axes.legend(fontsize=7, frameon=False, loc="lower left", bbox_to_anchor=(0, 1))
    for row, (estimate, interval) in enumerate(zip(estimates, intervals, strict=True)):
        if interval is not None:
            axes.plot(interval, [row, row], color=SYNTHETIC, linewidth=1.6)
        if estimate is not None:
            axes.plot([estimate], [row], "s", color=SYNTHETIC, markersize=5)
    axes.set_yticks(range(len(labels)), [_short(label, 28) for label in labels], fontsize=7)
    axes.set_ylim(len(labels) - 0.5, -0.5)
    axes.set_xlabel("effect", fontsize=7)
    return to_svg(fig, "Effect per segment (forest plot)")


def _short(text: str, limit: int = 18) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
