"""The model report of a dataset's current version: cleaning, the graph drawn, validation charts, and what each
graph edit changed from one version to the next."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from simulacra.api.reports import charts
from simulacra.api.reports.graph_drawing import draw_graph, edge_styles, fit_text
from simulacra.api.reports.templating import render
from simulacra.engine.records import CausalGraph, CleanedSchema, FitReport, ValidationReport
from simulacra.engine.records.graph import Edge


@dataclass(frozen=True)
class Version:
    """One model version's graph and validation, as the versions table shows them."""

    number: int
    graph: CausalGraph
    validation: ValidationReport | None


@dataclass(frozen=True)
class DatasetReport:
    dataset_id: str
    filename: str | None
    schema: CleanedSchema
    fit: FitReport
    versions: list[Version] = field(default_factory=list)  # 1 .. current, the current one last

    @property
    def current(self) -> Version:
        return self.versions[-1]


@dataclass(frozen=True)
class Change:
    version: int
    edits: list[str]
    added: list[Edge]
    removed: list[Edge]
    fidelity: float | None
    verdict: str | None


def changes(versions: list[Version]) -> list[Change]:
    """Per version: the edits made to reach it (the graph records them cumulatively) and the edges they changed."""
    rows, before = [], None
    for version in versions:
        graph = version.graph
        new_edits = graph.edits[len(before.edits) :] if before else graph.edits
        old: set[Edge] = set(before.edges) if before else set()
        now: set[Edge] = set(graph.edges)
        validation = version.validation
        rows.append(
            Change(
                version=version.number,
                edits=[f"{edit.op} {edit.source} → {edit.target}" for edit in new_edits],
                added=sorted(now - old) if before else [],
                removed=sorted(old - now),
                fidelity=validation.held_out_fidelity.score if validation else None,
                verdict=validation.falsification.verdict if validation else None,
            )
        )
        before = graph
    return rows


def render_dataset_report(report: DatasetReport) -> str:
    current = report.current
    validation = current.validation
    nodes = {node.name: node for node in validation.nodes} if validation else {}
    styles = edge_styles(current.graph)
    figures = validation.figures if validation else None
    falsification = validation.falsification if validation else None
    fidelity = validation.held_out_fidelity if validation else None
    return render(
        "dataset_report.html",
        report=report,
        version=current,
        validation=validation,
        schema=report.schema,
        renamed=[(raw, clean) for raw, clean in report.schema.renamed.items() if raw != clean],
        graph_svg=draw_graph(current.graph, nodes),
        nodes=[(name, nodes.get(name), report.fit.nodes.get(name)) for name in current.graph.nodes],
        fit_text=fit_text,
        kinds={kind: sum(style.kind == kind for style in styles.values()) for kind in ("prior", "required", "edited")},
        fidelity=fidelity,
        fidelity_svg=charts.fidelity(fidelity) if fidelity and fidelity.computed else None,
        distributions=[(column.column, charts.distribution(column)) for column in figures.columns] if figures else [],
        associations_svg=charts.associations(figures.associations) if figures and figures.columns else None,
        figures=figures,
        falsification=falsification,
        permutation_svg=(
            charts.permutations(
                falsification.permutations.violated_shares,
                falsification.violated_share,
                falsification.max_violated_share,
            )
            if falsification and falsification.permutations.violated_shares
            else None
        ),
        changes=changes(report.versions),
        drawn_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
