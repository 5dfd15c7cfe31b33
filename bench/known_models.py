"""Benchmark datasets drawn from known causal models: train rows, held-out rows, true graph, true effects."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "examples"))


@dataclass
class Effect:
    """E[outcome | do(treatment=high)] - E[outcome | do(treatment=low)]; for a categorical outcome,
    the difference in the share of ``level``."""

    treatment: str
    outcome: str
    low: object
    high: object
    true: float
    level: str | None = None

    @property
    def label(self) -> str:
        target = f"P({self.outcome}={self.level})" if self.level is not None else self.outcome
        return f"{self.treatment} {self.low}->{self.high} on {target}"


@dataclass
class Dataset:
    name: str
    train: pd.DataFrame
    holdout: pd.DataFrame
    edges: list[tuple[str, str]]  # true graph, raw column names
    effects: list[Effect] = field(default_factory=list)
    # How the seed reaches Simulacra. bnlearn states such as "None" would read back from a CSV as
    # missing values, so those seeds go in as Parquet, which keeps every string as it is.
    seed_format: str = "csv"


def confounded_tracker(rows: int = 10000) -> Dataset:
    import make_confounded_tracker as m

    columns = {name.lower().replace(" ", "_"): name for name in m.make_confounded_tracker(5, 0).columns}
    drop = ["Respondent ID"]
    effects = [
        Effect(treatment.title(), outcome, low, high, m.true_effect(treatment))
        for treatment, (outcome, low, high, _) in m.TRUE_EFFECTS.items()
    ]
    return Dataset(
        "confounded_tracker",
        m.make_confounded_tracker(rows, 11).drop(columns=drop),
        m.make_confounded_tracker(rows, 12).drop(columns=drop),
        [(columns[a], columns[b]) for a, b in m.TRUE_EDGES],
        effects,
    )


def tracker_q3() -> Dataset:
    import make_tracker as m

    drop = ["Respondent ID", "Interview Date", "Wave", "Verbatim"]
    train = pd.read_csv(REPO / "examples" / "tracker_q3.csv").drop(columns=drop)
    edges = [
        ("Segment", "Age Band"),
        ("Segment", "Brand"),
        ("Segment", "Purchase Intent"),
        ("Region", "Price"),
        ("Brand", "Price"),
        ("Brand", "Awareness"),
        ("Age Band", "Awareness"),
        ("Brand", "Satisfaction"),
        ("Price", "Satisfaction"),
        ("Price", "Purchase Intent"),
        ("Satisfaction", "Purchase Intent"),
        ("Awareness", "Purchase Intent"),
    ]

    def arm(price: float, outcome: str) -> float:
        return float(m.make_tracker(200_000, 123, price=price)[outcome].mean())

    effects = [
        Effect("Price", outcome, 3.99, 6.49, arm(6.49, outcome) - arm(3.99, outcome))
        for outcome in ("Purchase Intent", "Satisfaction")
    ]
    return Dataset("tracker_q3", train, m.make_tracker(len(train), 8).drop(columns=drop), edges, effects)


def bnlearn(name: str, rows: int = 10000, seed: int = 0) -> Dataset:
    """A bnlearn network from the BIF files bundled with pgmpy, sampled with pgmpy."""
    from pgmpy.utils import get_example_model

    model = get_example_model(name)
    train = _strings(model.simulate(rows, seed=seed, show_progress=False))
    holdout = _strings(model.simulate(rows, seed=seed + 1, show_progress=False))
    edges = [tuple(edge) for edge in model.edges()]
    return Dataset(name, train, holdout, edges, _strongest_effects(model, train), seed_format="parquet")


def _strings(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype(str)[sorted(frame.columns)]


def _strongest_effects(model: object, train: pd.DataFrame, count: int = 2, arm_rows: int = 20000) -> list[Effect]:
    """The strongest do() contrasts between the two commonest levels of a treatment, on a level of a
    descendant that is common in the data (so a cleaner's rare-level collapse cannot hide it)."""
    import networkx as nx

    rng = np.random.default_rng(0)
    treatments = [node for node in model.nodes() if model.get_children(node)]
    candidates = []
    for node in rng.permutation(sorted(treatments))[:10]:
        low, high = train[node].value_counts().index[:2]
        descendants = sorted(nx.descendants(model, node))
        arms = [
            _strings(model.simulate(arm_rows, seed=1, do={node: level}, show_progress=False)) for level in (low, high)
        ]
        for outcome in descendants:
            common = train[outcome].value_counts(normalize=True)
            for level in common[common >= 0.05].index:
                delta = float((arms[1][outcome] == level).mean() - (arms[0][outcome] == level).mean())
                candidates.append((abs(delta), str(node), outcome, low, high, level))
    chosen, used = [], set()
    for _, node, outcome, low, high, level in sorted(candidates, reverse=True):
        if node in used:
            continue
        used.add(node)
        chosen.append(Effect(node, outcome, low, high, _exact_effect(model, node, outcome, low, high, level), level))
        if len(chosen) == count:
            break
    return chosen


def _exact_effect(model: object, node: str, outcome: str, low: str, high: str, level: str) -> float:
    from pgmpy.inference import CausalInference

    inference = CausalInference(model)
    shares = []
    for value in (low, high):
        factor = inference.query([outcome], do={node: value}, show_progress=False)
        shares.append(float(factor.get_value(**{outcome: level})))
    return shares[1] - shares[0]


def structure_scores(true_edges: list[tuple[str, str]], learned: list) -> tuple[int, float, float]:
    """SHD (missing + extra + reversed edges), precision and recall of a learned directed graph."""
    truth, found = set(map(tuple, true_edges)), set(map(tuple, learned))
    skeleton = {frozenset(edge) for edge in truth}
    missing = [edge for edge in truth if edge not in found and edge[::-1] not in found]
    extra = [edge for edge in found if frozenset(edge) not in skeleton]
    reversed_ = [edge for edge in found if edge not in truth and frozenset(edge) in skeleton]
    correct = len(truth & found)
    precision = correct / len(found) if found else 0.0
    return len(missing) + len(extra) + len(reversed_), precision, correct / len(truth) if truth else 1.0


LOADERS = {
    "confounded_tracker": confounded_tracker,
    "tracker_q3": tracker_q3,
    "sachs": lambda: bnlearn("sachs"),
    "child": lambda: bnlearn("child"),
    "insurance": lambda: bnlearn("insurance"),
    "alarm": lambda: bnlearn("alarm"),
}
