from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import chi2_contingency

from simulacra.engine.evaluation.fidelity import cramers_v, ks_statistic, quality_report, tvd


def _frame(rows: int, seed: int, link: float = 1.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    colour = rng.choice(["red", "blue", "green"], rows, p=[0.5, 0.3, 0.2])
    score = link * np.where(colour == "red", 3.0, 0.0) + rng.normal(0, 1, rows)
    return pd.DataFrame({"colour": colour, "score": score, "twice": 2 * score + rng.normal(0, 0.1, rows)})


def test_same_process_scores_near_one() -> None:
    report = quality_report(_frame(4000, 0), _frame(4000, 1))
    assert report["score"] > 0.95
    assert set(report["columns"]) == {"colour", "score", "twice"}
    assert report["pairs"]["score|twice"]["associated"]


def test_broken_dependence_lowers_pair_trends_not_shapes() -> None:
    real = _frame(4000, 0)
    shuffled = real.copy()
    shuffled["colour"] = np.random.default_rng(2).permutation(shuffled["colour"].to_numpy())
    report = quality_report(real, shuffled)
    assert report["column_shapes"] == 1.0
    assert report["pairs"]["colour|score"]["score"] < 0.8
    assert report["column_pair_trends"] < quality_report(real, _frame(4000, 1))["column_pair_trends"]


def test_metric_building_blocks() -> None:
    assert ks_statistic(np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 3.0])) == 0.0
    assert ks_statistic(np.array([0.0, 0.0]), np.array([5.0, 5.0])) == 1.0
    assert tvd(pd.Series(["a", "a", "b", "b"]), pd.Series(["a", "b", "b", "b"])) == 0.25
    assert cramers_v(pd.Series(list("aabb")), pd.Series(list("xxyy"))) == 1.0


def test_cramers_v_from_occupied_cells_matches_the_full_table() -> None:
    # cramers_v sums chi-squared over occupied cells only; many levels leave most cells empty.
    rng = np.random.default_rng(3)
    a = pd.Series(rng.integers(0, 40, 500).astype(str))
    b = pd.Series(np.where(rng.random(500) < 0.5, a, rng.integers(0, 30, 500).astype(str)))
    chi2 = chi2_contingency(pd.crosstab(a, b).to_numpy(), correction=False)[0]
    assert abs(cramers_v(a, b) - np.sqrt(chi2 / (500 * (min(a.nunique(), b.nunique()) - 1)))) < 1e-12


def test_values_equal_in_python_keep_their_own_labels() -> None:
    # True == 1 in Python, yet "True" and "1" are different levels.
    real = pd.DataFrame({"v": pd.Series([True, 1] * 50, dtype=object)})
    fake = pd.DataFrame({"v": pd.Series([1, 1] * 50, dtype=object)})
    assert quality_report(real, fake, {"v": "categorical"})["columns"] == {"v": 0.5}


def test_types_follow_pandas_api_and_declared_kinds() -> None:
    real = pd.DataFrame({"flag": [True, False] * 50, "band": pd.Series(["1", "2"] * 50, dtype="string")})
    fake = pd.DataFrame({"flag": [True] * 100, "band": ["1", "2"] * 50})
    report = quality_report(real, fake, {"band": "categorical"})
    assert report["columns"] == {"flag": 0.5, "band": 1.0}
    # A whole-number float and an integer are the same level; gaps are a level of their own.
    assert (
        quality_report(pd.DataFrame({"n": [1, 2, None]}), pd.DataFrame({"n": [1.0, 2.0, None]}), {"n": "categorical"})[
            "score"
        ]
        == 1.0
    )
