"""Why an effect estimate misses: per case of bench/effect_coverage.py, the learned graph against the truth.

Run ``python bench/effect_misses.py [--seeds-from 8000] [--per-family 10]``. For every case it discovers
the graph as an upload does (no stability resamples: only the graph matters here) and prints one line:
the truth, whether the learned DAG has a treatment -> outcome path, and the cause of a miss, from
comparing the learned equivalence class (CPDAG: what the data decided) with the true one:

- ``unidentified``: the true CPDAG leaves an edge at the treatment undirected and its possible parent
  sets give different effects (local IDA on the true covariance): no method that only reads the
  observational distribution can know the effect; the prior picked one member of the class.
- ``skeleton``: a true edge on a treatment -> outcome path is missing from the learned graph, or an
  edge at the treatment is extra.
- ``orientation``: the skeleton around the path is right but the data (a collider the tests chose)
  turned an edge of the path, or an edge the true CPDAG compels, the wrong way.

For the linear families it also gives the local-IDA values on the true covariance (the effects the
data could support under the true and the learned class), so the distance between "what the graph
says" and "what any graph in the true class says" is visible.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from itertools import combinations
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from effect_coverage import FAMILIES, SEED_BASE, draw  # noqa: E402
from search_methods import cpdag  # noqa: E402

from simulacra.engine.records import CleanedSchema  # noqa: E402


def ida_population(case: dict, nodes: list[str], directed: set, undirected: set) -> list[float]:
    """Local IDA on the true covariance of a linear case: the effect per valid parent set of the treatment."""
    weights = case["weights"]
    size = len(weights)
    inverse = np.linalg.inv(np.eye(size) - weights)
    cov = inverse.T @ np.diag(case["noise"] ** 2) @ inverse
    index = {name: int(name[1:]) for name in nodes}
    t, y = index[case["treatment"]], index[case["outcome"]]
    parents = [index[a] for a, b in directed if b == case["treatment"]]
    siblings = sorted(index[next(iter(p - {case["treatment"]}))] for p in undirected if case["treatment"] in p)
    adjacent = {frozenset((index[a], index[b])) for a, b in directed} | {
        frozenset(index[n] for n in p) for p in undirected
    }
    values = []
    for k in range(len(siblings) + 1):
        for chosen in combinations(siblings, k):
            if not all(frozenset(pair) in adjacent for pair in combinations(chosen, 2)):
                continue
            adjust = [*parents, *chosen]
            if y in adjust:
                values.append(0.0)
                continue
            rows = [t, *adjust]
            beta = np.linalg.solve(cov[np.ix_(rows, rows)], cov[rows, y])
            values.append(float(beta[0] * (case["to"] - case["from"])))
    return values


def separating_sets(parquet: str, schema: CleanedSchema) -> dict[frozenset[str], tuple[str, ...]]:
    """The set each removed pair was separated by, in a PC run with discovery's defaults (and its tier)."""
    import pyarrow.parquet as pq

    from simulacra.engine.checks.hints import Hints, demographic_tier
    from simulacra.engine.discovery.discover import DEFAULT, background_knowledge, discretise, run_pc

    names = schema.names
    table = pq.read_table(parquet, columns=names)
    data = np.column_stack([discretise(table[name], schema.types[name]) for name in names])
    tier = demographic_tier(names) if DEFAULT.demographic_tier else Hints()
    result = run_pc(data, names, background_knowledge(tier))
    found = {}
    for i, j in combinations(range(len(names)), 2):
        sets = result.sepset[i, j]
        if result.G.graph[i, j] == 0 and sets:
            found[frozenset((names[i], names[j]))] = tuple(names[k] for k in sets[0])
    return found


def diagnose(family: str, index: int, base: int) -> str:
    from simulacra.engine import clean_table, discover_graph
    from simulacra.engine.checks.effect_request import descendants, directed_paths

    case = draw(family, index, base)
    with tempfile.TemporaryDirectory() as tmp:
        csv, parquet = str(Path(tmp) / "seed.csv"), str(Path(tmp) / "clean.parquet")
        case["frame"].to_csv(csv, index=False)
        schema = clean_table(csv, parquet)
        graph = discover_graph(parquet, schema, seed=0, bootstrap=0)
        separated = separating_sets(parquet, schema)
    nodes, t, y = graph.nodes, case["treatment"], case["outcome"]
    learned = {(a, b) for a, b in graph.edges}
    undirected = {frozenset(edge) for edge in graph.oriented_by_prior}
    compelled_learned = {edge for edge in learned if frozenset(edge) not in undirected}
    true_edges = {(a, b) for a, b in case["edges"]}
    compelled, reversible = cpdag(sorted(true_edges), nodes)
    compelled_true, undirected_true = set(compelled), {frozenset(edge) for edge in reversible}
    path = bool(directed_paths(sorted(learned), t, y))
    # Edges on true treatment -> outcome paths.
    after = {t, *descendants(sorted(true_edges), t)}
    before = {y, *descendants([(b, a) for a, b in true_edges], y)}
    on_path = {(a, b) for a, b in true_edges if a in after and b in before}
    learned_pairs = {frozenset(e) for e in learned}
    missing = sorted(e for e in on_path if frozenset(e) not in learned_pairs)
    extra_at_t = sorted(e for e in learned if t in e and frozenset(e) not in {frozenset(x) for x in true_edges})
    wrong_compelled = sorted(e for e in compelled_learned if (e[1], e[0]) in true_edges)
    reversed_path = sorted(e for e in on_path if (e[1], e[0]) in learned)
    causes = []
    t_undirected_true = [p for p in undirected_true if t in p]
    ida_true = ida_learned = None
    if "weights" in case:
        ida_true = ida_population(case, nodes, compelled_true, undirected_true)
        ida_learned = ida_population(case, nodes, compelled_learned, undirected)
    if missing or extra_at_t:
        given = ", ".join(f"{a}-{b} given {{{', '.join(separated.get(frozenset((a, b)), ()))}}}" for a, b in missing)
        causes.append(f"skeleton (missing {missing}: {given}; extra at treatment {extra_at_t})")
    if wrong_compelled:
        causes.append(f"orientation (data turned {wrong_compelled})")
    if t_undirected_true and (ida_true is None or max(ida_true) - min(ida_true) > 0.1 * abs(case["truth"])):
        causes.append(f"unidentified ({sorted(sorted(p) for p in t_undirected_true)} undirected in the true class)")
    if reversed_path and not causes:
        causes.append(f"prior turned {reversed_path}")
    status = "path" if path else "NO PATH"
    ida = ""
    if ida_true is not None:
        ida = f" ida_true {sorted(round(v, 2) for v in ida_true)}"
        ida += f" ida_learned {sorted(round(v, 2) for v in ida_learned or [])}"
    return (
        f"{family:>10} {base + FAMILIES[family] + index}: {t}->{y} truth {case['truth']:.3f} {status}; "
        f"reversed on path {reversed_path}; {'; '.join(causes) or 'ok'}{ida}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-family", type=int, default=10)
    parser.add_argument("--seeds-from", type=int, default=SEED_BASE)
    parser.add_argument("--families", default=",".join(FAMILIES))
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    families = args.families.split(",")
    jobs = [(family, index, args.seeds_from) for family in families for index in range(args.per_family)]
    with ProcessPoolExecutor(args.workers, max_tasks_per_child=1) as pool:
        for line in pool.map(diagnose, *zip(*jobs, strict=True)):
            print(line, flush=True)


if __name__ == "__main__":
    main()
