"""Random structural causal models in four families, seeded, for comparing structure-learning searches.

How a model is drawn (``draw(family, index, rows)``; everything follows from ``SEEDS[family] + index``):

- The seed ranges are this benchmark's own: linear 7100+, nonlinear 7200+, mixed 7300+, survey 7400+.
- Size: the number of columns is drawn uniformly from ``nodes`` (default 10-100) by the same generator.
- linear / nonlinear / mixed share one DAG generator: a random causal order, each forward pair joined
  with probability d / (p - 1), d ~ U(2, 3) the expected degree (parents + children) of a node.
  Every node is the sum of one term per parent plus Gaussian noise (sd 1), then standardised (mean 0,
  sd 1, constants fixed on a reference sample of 20,000 rows) so variances stay bounded however deep
  the graph is.
  - linear: each term is w * parent, w = +-U(0.5, 1.5);
  - nonlinear: w * f(parent), f drawn from x, tanh(2x), x^2 - 1, sin(2x);
  - mixed: as nonlinear, but about 40% of the nodes are categorical with 2-5 levels: half pick a level
    by softmax over level-specific weights of the parents' terms (plus Gumbel noise), half cut their
    parents' score at random quantiles (ordered levels). A categorical parent contributes w * v[level],
    v a standard normal value per level. Categorical columns are written as strings.
- Even indices plant a cancelling path: a treatment t, a mediator m and an outcome y with t -> m -> y
  and a direct t -> y whose weight cancels 80% of t's effect on y through every other path
  (measured by simulation while the model is built), so t and y look nearly independent although t
  moves y. Odd indices pick a (t, y) pair with a directed path and a total effect of at least 0.1 sd.
  Treatment and outcome are always numeric.
- The true effect is E[y | do(t = mean + sd)] - E[y | do(t = mean - sd)], simulated on 50,000 rows
  with common noise for both arms (exact for the linear family).
- Column order is shuffled (seeded) and the columns renamed x001, x002, ... in that order: the engine
  orients what the data leave open by column order, and a causal order would hand it the answer.
- survey: a segment, a price (four levels), k five-point ratings and purchase intent. An UNOBSERVED
  attitude (moved by the segment) drives every rating and the intent; each rating also follows the
  previous one; the intent falls with the price. Cancelling models add a "quality" rating that rises
  with the price and raises intent, with a direct price -> intent edge cancelling 80% of that path.
  Columns keep the export order (segment, price, ratings, [quality], intent), as a tracker lists them.
  The truth scored against is the graph among the OBSERVED columns: the attitude's edges are dropped
  (so segment has no true edge, and the ratings' shared cause shows up as dependence no DAG over the
  observed columns can express: every method pays for it alike).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

SEEDS = {"linear": 7100, "nonlinear": 7200, "mixed": 7300, "survey": 7400}
FAMILIES = tuple(SEEDS)
CANCEL = 0.8  # share of the other paths' effect the planted direct edge cancels
REFERENCE_ROWS, EFFECT_ROWS = 20_000, 50_000
FUNCTIONS = {
    "x": lambda x: x,
    "tanh": lambda x: np.tanh(2 * x),
    "square": lambda x: x**2 - 1,
    "sin": lambda x: np.sin(2 * x),
}


@dataclass
class SCM:
    """One drawn model: its data, the true graph among the columns, and the effect to estimate."""

    family: str
    index: int
    seed: int
    data: pd.DataFrame
    edges: list[tuple[str, str]]
    treatment: str
    outcome: str
    low: float
    high: float
    true_effect: float
    cancelling: bool

    @property
    def name(self) -> str:
        return f"{self.family}-{self.index:02d}"


@dataclass
class _Node:
    """A node's mechanism: terms over its parents, then standardised (numeric) or cut into levels."""

    parents: list[int]
    weights: list[float]
    functions: list[str]
    levels: int = 0  # 0: numeric
    softmax: bool = False
    level_weights: np.ndarray | None = None  # softmax: (parents, levels)
    cuts: np.ndarray | None = None  # quantiles of the score where the levels change
    thresholds: np.ndarray | None = None  # those quantiles' values, fixed on the reference sample
    values: np.ndarray = field(default_factory=lambda: np.zeros(0))  # a categorical's value per level
    shift: float = 0.0
    scale: float = 1.0


def draw(family: str, index: int, rows: int = 5000, nodes: tuple[int, int] = (10, 100)) -> SCM:
    """The model ``index`` of ``family`` (seed SEEDS[family] + index) with ``rows`` observational rows."""
    seed = SEEDS[family] + index
    rng = np.random.default_rng(seed)
    size = int(rng.integers(nodes[0], nodes[1] + 1))
    if family == "survey":
        return _survey(index, seed, rng, rows, size)
    return _random_scm(family, index, seed, rng, rows, size)


def _random_scm(family: str, index: int, seed: int, rng: np.random.Generator, rows: int, size: int) -> SCM:
    cancelling = index % 2 == 0
    dag = np.triu(rng.random((size, size)) < rng.uniform(2, 3) / (size - 1), k=1)
    categorical = np.zeros(size, bool)
    if family == "mixed":
        categorical = rng.random(size) < 0.4
    if cancelling:
        # A triple spread over the order, forced numeric and joined t -> m -> y, t -> y.
        t, m, y = sorted(rng.choice(size, size=3, replace=False))
        dag[t, m] = dag[m, y] = dag[t, y] = True
        categorical[[t, m, y]] = False
    model: list[_Node] = []
    reference = _Reference(size, seed)
    for node in range(size):
        parents = [int(p) for p in np.flatnonzero(dag[:, node])]
        functions = ["x" if family == "linear" else str(rng.choice(list(FUNCTIONS))) for _ in parents]
        weights = [float(rng.choice([-1, 1]) * rng.uniform(0.5, 1.5)) for _ in parents]
        mechanism = _Node(parents, weights, functions)
        if categorical[node]:
            _make_categorical(mechanism, rng)
        if cancelling and node in (m, y):
            # The planted path must carry an effect: monotone functions, strong weights.
            source = parents.index(t if node == m else m)
            functions[source] = "x" if family == "linear" else str(rng.choice(["x", "tanh"]))
            weights[source] = float(rng.choice([-1, 1]) * rng.uniform(1.0, 1.5))
        if cancelling and node == y:
            functions[parents.index(t)] = "x"
            weights[parents.index(t)] = 0.0
            other = _effect(model + [mechanism], t, y, seed, raw=True)
            weights[parents.index(t)] = -CANCEL * other / 2  # the contrast spans two sd of t
        model.append(mechanism)
        reference.add(mechanism, node)
    if not cancelling:
        t, y = _effect_pair(model, dag, categorical, seed, rng)
    true = _effect(model, t, y, seed)
    data = _simulate(model, rows, np.random.default_rng(seed + 1_000_000))
    order = rng.permutation(size)
    label = {int(node): f"x{position + 1:03d}" for position, node in enumerate(order)}
    frame = pd.DataFrame({label[int(node)]: _column(model[node], data[:, node]) for node in order})
    edges = [(label[int(a)], label[int(b)]) for a, b in zip(*np.nonzero(dag), strict=True)]
    return SCM(family, index, seed, frame, edges, label[t], label[y], -1.0, 1.0, true, cancelling)


def _make_categorical(node: _Node, rng: np.random.Generator) -> None:
    node.levels = int(rng.integers(2, 6))
    node.values = rng.normal(size=node.levels)
    node.softmax = bool(rng.random() < 0.5)
    if node.softmax:
        node.level_weights = rng.normal(scale=1.5, size=(len(node.parents), node.levels))
    else:
        node.cuts = np.sort(rng.uniform(0.1, 0.9, size=node.levels - 1))


def _terms(node: _Node, data: np.ndarray) -> np.ndarray:
    # One column per parent: w * f(parent), or w * v[level] for a categorical parent (passed as values).
    rows = data.shape[0]
    if not node.parents:
        return np.zeros((rows, 0))
    return np.column_stack(
        [w * FUNCTIONS[f](data[:, p]) for p, w, f in zip(node.parents, node.weights, node.functions, strict=True)]
    )


def _simulate(
    model: list[_Node], rows: int, rng: np.random.Generator, do: dict[int, float] | None = None, raw: bool = False
) -> np.ndarray:
    """Rows of the model (categoricals as their level's value v); ``do`` fixes nodes; ``raw`` leaves
    the last node unstandardised and noise-free (its terms' sum), to measure what reaches it."""
    noise = rng.normal(size=(rows, len(model)))
    gumbel = rng.gumbel(size=(rows, len(model), 5))
    data = np.zeros((rows, len(model)))
    for node, mechanism in enumerate(model):
        if do and node in do:
            data[:, node] = do[node]
            continue
        score = _terms(mechanism, data).sum(axis=1)
        if raw and node == len(model) - 1:
            data[:, node] = score
        elif mechanism.levels == 0:
            data[:, node] = (score + noise[:, node] - mechanism.shift) * mechanism.scale
        else:
            data[:, node] = mechanism.values[_levels(mechanism, data, score, noise[:, node], gumbel[:, node])]
    return data


def _levels(node: _Node, data: np.ndarray, score: np.ndarray, noise: np.ndarray, gumbel: np.ndarray) -> np.ndarray:
    if node.softmax:
        logits = data[:, node.parents] @ node.level_weights if node.parents else np.zeros((len(score), node.levels))
        return np.argmax(logits + gumbel[:, : node.levels], axis=1)
    return np.searchsorted(node.thresholds, score + noise)


class _Reference:
    """A reference sample grown node by node: each mechanism's constants (standardisation, level
    thresholds) are fixed on it once, so observational and interventional runs share them."""

    def __init__(self, size: int, seed: int) -> None:
        self.data = np.zeros((REFERENCE_ROWS, size))
        self.rng = np.random.default_rng(seed)

    def add(self, node: _Node, position: int) -> None:
        score = _terms(node, self.data).sum(axis=1)
        noise = self.rng.normal(size=REFERENCE_ROWS)
        if node.levels == 0:
            noisy = score + noise
            node.shift, node.scale = float(noisy.mean()), float(1 / noisy.std())
        elif not node.softmax:
            node.thresholds = np.quantile(score + noise, node.cuts)
        self.data[:, position] = self._value(node, score, noise)

    def _value(self, node: _Node, score: np.ndarray, noise: np.ndarray) -> np.ndarray:
        if node.levels == 0:
            return (score + noise - node.shift) * node.scale
        gumbel = self.rng.gumbel(size=(REFERENCE_ROWS, 5))
        return node.values[_levels(node, self.data, score, noise, gumbel)]


def _effect(model: list[_Node], t: int, y: int, seed: int, raw: bool = False) -> float:
    """E[y | do(t=1)] - E[y | do(t=-1)] with common noise in both arms."""
    arms = [
        _simulate(model[: y + 1], EFFECT_ROWS, np.random.default_rng(seed + 3), do={t: value}, raw=raw)[:, y].mean()
        for value in (-1.0, 1.0)
    ]
    return float(arms[1] - arms[0])


def _effect_pair(
    model: list[_Node], dag: np.ndarray, categorical: np.ndarray, seed: int, rng: np.random.Generator
) -> tuple[int, int]:
    # A numeric pair with a directed path and an effect of at least 0.1 sd; the strongest tried otherwise.
    reach = dag.astype(int)
    for _ in range(len(model)):
        reach = ((reach + reach @ dag) > 0).astype(int)
    pairs = [(t, y) for t, y in zip(*np.nonzero(reach), strict=True) if not categorical[t] and not categorical[y]]
    best, best_size = (0, 1), -1.0
    for position in rng.permutation(len(pairs))[:30]:
        t, y = (int(v) for v in pairs[position])
        size = abs(_effect(model, t, y, seed))
        if size >= 0.1:
            return t, y
        if size > best_size:
            best, best_size = (t, y), size
    return best


def _column(node: _Node, values: np.ndarray) -> np.ndarray:
    if node.levels == 0:
        return np.round(values, 4)
    codes = np.argmin(np.abs(values[:, None] - node.values[None, :]), axis=1)
    return np.array([f"c{code}" for code in codes])


PRICES = np.array([4.49, 4.99, 5.49, 5.99])


def _survey(index: int, seed: int, rng: np.random.Generator, rows: int, size: int) -> SCM:
    cancelling = index % 2 == 0
    ratings = size - 3 - int(cancelling)

    def sample(rows: int, rng: np.random.Generator, price: float | None = None) -> pd.DataFrame:
        segment = rng.choice(["loyal", "switcher", "value", "premium"], size=rows)
        prices = rng.choice(PRICES, size=rows) if price is None else np.full(rows, price)
        attitude = rng.normal(size=rows) + 0.8 * (segment == "premium")
        columns: dict[str, object] = {"segment": segment, "price": prices}
        previous = np.zeros(rows)
        for number in range(ratings):
            previous = 0.9 * attitude + 0.3 * previous + rng.normal(scale=0.8, size=rows)
            columns[f"q{number + 1:02d}"] = np.clip(np.round(3 + previous), 1, 5)
        intent = 3 + 0.8 * attitude - 1.2 * (prices - 4.99) + rng.normal(scale=0.7, size=rows)
        if cancelling:
            quality = np.clip(np.round(3 + 1.5 * (prices - 4.99) + rng.normal(scale=0.6, size=rows)), 1, 5)
            columns["quality"] = quality
            # Quality's path adds about +0.9 per euro; the direct edge takes 80% of that back.
            intent = (
                3 + 0.8 * attitude + 0.6 * (quality - 3) - 0.72 * (prices - 4.99) + rng.normal(scale=0.7, size=rows)
            )
        columns["purchase_intent"] = np.clip(np.round(intent), 1, 5)
        return pd.DataFrame(columns)

    arms = [
        sample(EFFECT_ROWS, np.random.default_rng(seed + 3), price)["purchase_intent"].mean() for price in (4.49, 5.99)
    ]
    edges = [(f"q{n:02d}", f"q{n + 1:02d}") for n in range(1, ratings)] + [("price", "purchase_intent")]
    if cancelling:
        edges += [("price", "quality"), ("quality", "purchase_intent")]
    data = sample(rows, np.random.default_rng(seed + 1_000_000))
    true = float(arms[1] - arms[0])
    return SCM("survey", index, seed, data, edges, "price", "purchase_intent", 4.49, 5.99, true, cancelling)
