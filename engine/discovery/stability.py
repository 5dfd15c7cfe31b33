"""What discovery tells the user about its own graph: per-edge bootstrap stability and warnings."""

from __future__ import annotations

from simulacra.engine.checks.hints import Hints, looks_demographic

UNSTABLE_BELOW = 0.5


def edge_stability(edges: list[list[str]], runs: list[list[list[str]]]) -> list[dict]:
    """Per edge: the share of resamples that found it in this direction, and in either direction."""
    directed = [{tuple(edge) for edge in run} for run in runs]
    stability = []
    for source, target in edges:
        same = sum((source, target) in run for run in directed)
        either = sum((source, target) in run or (target, source) in run for run in directed)
        stability.append(
            {
                "from": source,
                "to": target,
                "stability": round(same / len(runs), 3) if runs else None,
                "adjacency_stability": round(either / len(runs), 3) if runs else None,
            }
        )
    return stability


def graph_warnings(
    names: list[str],
    edges: list[list[str]],
    by_prior: list[list[str]],
    stability: list[dict],
    hints: Hints,
    weak_required: list[list[str]],
    roots: tuple[str, ...] = (),
    tiered: bool = False,
) -> list[str]:
    """Plain-language caveats a user should read before trusting the graph's directions; ``tiered``: the
    roots were a first tier (engine.checks.hints.demographic_tier), not only first in the prior."""
    warnings = []
    if roots and tiered:
        warnings.append(
            f"no causal_hints given: {', '.join(roots)} look like demographics, so they were taken as causes: "
            "no other column may point into them, and they go first wherever the data left a direction open; "
            "pass causal_hints tiers to change this"
        )
    elif roots and by_prior:
        warnings.append(
            f"no causal_hints given: {', '.join(roots)} look like demographics and no test contradicts that, "
            "so they were taken as causes wherever the data left a direction open; "
            "pass causal_hints tiers to change this"
        )
    if by_prior:
        listed = ", ".join(f"{a} -> {b}" for a, b in by_prior)
        if hints.is_empty():
            prior = "demographic-looking columns first, then column order" if roots else "column order"
            warnings.append(
                f"no causal_hints given: the orientation of {len(by_prior)} of {len(edges)} edges came from "
                f"the prior ({prior}: earlier columns cause later ones), not from the data: {listed}; "
                "pass causal_hints tiers or edit the graph to set them"
            )
        else:
            warnings.append(
                f"the orientation of {len(by_prior)} of {len(edges)} edges came from column order, "
                f"not from the data or the hints: {listed}"
            )
    if hints.is_empty():
        # Demographics caused by other demographics (age band -> household size) are unremarkable.
        parents: dict[str, list[str]] = {}
        for source, target in edges:
            if not looks_demographic(source):
                parents.setdefault(target, []).append(source)
        for name in names:
            if parents.get(name) and looks_demographic(name):
                warnings.append(
                    f"{name} looks like a demographic yet the graph gives it parents ({', '.join(parents[name])}); "
                    "if it is fixed before the other answers, put it in the first causal_hints tier"
                )
    unstable = [f"{edge['from']} -> {edge['to']}" for edge in stability if (edge["stability"] or 1) < UNSTABLE_BELOW]
    if unstable:
        warnings.append(f"edges found in fewer than half of the bootstrap resamples: {', '.join(unstable)}")
    for source, target in weak_required:
        warnings.append(f"required edge {source} -> {target} was kept although the data show no dependence")
    return warnings
