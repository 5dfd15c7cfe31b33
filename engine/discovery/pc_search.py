"""causal-learn's PC, with the collider step's separating sets held to the skeleton's depth.

causal-learn's MaxP rules look for a triple's separating set among every subset of the end
columns' neighbours (`CausalGraph.find_cond_sets`: a power set). On a battery of correlated ratings
a column has a dozen neighbours or more: 2^12 sets per triple, each a G-test whose table has 5^|S|
cells. That is minutes and tens of gigabytes for 20 columns (docs/benchmarks.md, "Wide survey
batteries"). The skeleton already stops at `max_depth` columns because deeper tests have no power at
these row counts; the collider step now uses the same bound where a column has more than
FULL_SEARCH_NEIGHBOURS neighbours, which keeps it polynomial.

Polynomial is still too slow when nearly every pair of columns is dependent (a battery driven by one
attitude): the number of tests grows with the columns' degree squared. `max_tests` turns such a search
into a clear refusal after a bounded time instead of an hour of work.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
from causallearn.graph.GraphClass import CausalGraph
from causallearn.utils.cit import CIT
from causallearn.utils.PCUtils import Meek, SkeletonDiscovery, UCSepset
from causallearn.utils.PCUtils.BackgroundKnowledge import BackgroundKnowledge
from causallearn.utils.PCUtils.BackgroundKnowledgeOrientUtils import orient_by_background_knowledge

from simulacra.engine.checks.errors import EngineInputError

TOO_COMPLEX = "simio_model_too_complex"
# Up to 2^10 = 1,024 candidate sets per end column: every subset is still affordable.
FULL_SEARCH_NEIGHBOURS = 10


class _DepthBoundedGraph(CausalGraph):
    """A skeleton whose candidate separating sets have at most `max_depth` columns.

    The collider rules deep-copy the graph they are given, so the bound travels as the class of the
    instance (set on the skeleton causal-learn built) rather than as a wrapper.
    """

    max_depth: int

    def find_cond_sets(self, i: int, j: int) -> list[tuple[int, ...]]:
        sets: dict[tuple[int, ...], None] = {}
        for neighbours in (self.neighbors(i), self.neighbors(j)):
            # A small neighbourhood keeps causal-learn's full search: on the bench's models (none wider
            # than this) bounding it lost the price -> intent path of the confounded tracker.
            largest = len(neighbours) if len(neighbours) <= FULL_SEARCH_NEIGHBOURS else self.max_depth
            for size in range(largest + 1):
                sets.update(dict.fromkeys(combinations(sorted(int(n) for n in neighbours), size)))
        return list(sets)


class _CountedTest:
    """The independence test, refusing the search once it has been asked `limit` times."""

    def __init__(self, test: CIT, limit: int, columns: int) -> None:
        self.method = test.method  # causal-learn dispatches on it
        self._test, self._limit, self._columns, self.asked = test, limit, columns, 0

    def __call__(self, *args: object) -> float:
        self.asked += 1
        if self.asked > self._limit:
            raise EngineInputError(
                TOO_COMPLEX,
                f"learning the structure of these {self._columns} columns needs more than {self._limit:,} "
                "independence tests: nearly every column depends on every other (a battery of ratings driven "
                "by one attitude does that). Merge such a battery into one score (its mean), drop the ratings "
                "your scenarios do not need, or split the survey into several datasets.",
            )
        return float(self._test(*args))


def pc_search(
    data: np.ndarray,
    names: list[str],
    *,
    test: str,
    alpha: float,
    max_depth: int | None,
    collider_rule: int,
    collider_priority: int,
    knowledge: BackgroundKnowledge | None,
    max_tests: int,
) -> CausalGraph:
    """Stable PC as causal-learn's `pc` runs it, but for the bound on the collider step's sets and the
    budget of tests; raises EngineInputError (simio_model_too_complex) past the budget."""
    independence = _CountedTest(CIT(data, test), max_tests, len(names))
    graph = SkeletonDiscovery.skeleton_discovery(
        data,
        alpha,
        independence,
        True,
        background_knowledge=knowledge,
        show_progress=False,
        node_names=names,
        max_k=max_depth,
    )
    if knowledge is not None:
        orient_by_background_knowledge(graph, knowledge)
    if max_depth is not None:
        graph.__class__ = _DepthBoundedGraph
        graph.max_depth = max_depth
    if collider_rule == 0:
        with_colliders = UCSepset.uc_sepset(graph, collider_priority, background_knowledge=knowledge)
    elif collider_rule == 1:
        with_colliders = UCSepset.maxp(graph, collider_priority, background_knowledge=knowledge)
    else:
        definite = UCSepset.definite_maxp(graph, alpha, collider_priority, background_knowledge=knowledge)
        with_colliders = Meek.definite_meek(definite, background_knowledge=knowledge)
    return Meek.meek(with_colliders, background_knowledge=knowledge)


def estimated_tests(data: np.ndarray, alpha: float, max_depth: int | None) -> int:
    """About how many independence tests PC's skeleton would run on ``data``, from correlations alone.

    A pair survives depth 0 if its correlation is significant at ``alpha`` (Fisher's z) and depth 1 if
    no single other column's partial correlation makes it insignificant; each survivor then costs a
    test per pair of its ends' other neighbours at depth 2. This is a few matrix products where PC
    would run the tests themselves, so the search can be chosen before any of them runs. Correlations
    of the codes miss some dependence a G-test finds (a nominal column's codes have no order): the
    estimate is low rather than high, and the caller keeps the test budget as a backstop.
    """
    from scipy.stats import norm

    values = np.asarray(data, dtype=float)
    rows, width = values.shape
    if width < 3 or rows < 10:
        return width * width
    with np.errstate(invalid="ignore", divide="ignore"):  # a constant column: no correlation (0)
        correlation = np.nan_to_num(np.corrcoef(values, rowvar=False))
    np.fill_diagonal(correlation, 0.0)
    critical = norm.ppf(1 - alpha / 2)

    def significant(r: np.ndarray, given: int) -> np.ndarray:
        z = np.arctanh(np.clip(r, -0.999999, 0.999999)) * np.sqrt(max(rows - given - 3, 1))
        return np.abs(z) > critical

    adjacent = significant(correlation, 0)
    degree0 = adjacent.sum(axis=1)
    # Depth 0 tests every pair; depth 1 tests each dependent pair given each other neighbour of an end.
    tests = width * (width - 1) // 2 + int((adjacent * (degree0[:, None] - 1)).sum())
    if max_depth is not None and max_depth < 2:
        return tests
    survives = adjacent.copy()
    for k in range(width):
        # Partial correlation of every pair given column k.
        rk = correlation[:, k]
        denominator = np.sqrt(np.clip((1 - rk**2)[:, None] * (1 - rk**2)[None, :], 1e-12, None))
        partial = (correlation - np.outer(rk, rk)) / denominator
        separated = ~significant(partial, 1)
        separated[k, :] = separated[:, k] = False
        survives &= ~separated
    degree = survives.sum(axis=1)
    pairs = (degree - 1) * (degree - 2) // 2
    return tests + int((survives * (pairs[:, None] + pairs[None, :])).sum() // 2)
