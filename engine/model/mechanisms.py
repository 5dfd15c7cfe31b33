"""Causal mechanisms per column type, with categorical parents always one-hot encoded.

``candidates`` lists what may model a node, cheapest and most extrapolation-safe first;
``engine.model.selection`` picks among them by held-out score.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import sklearn
from dowhy import gcm
from dowhy.gcm.ml.classification import SklearnClassificationModel
from dowhy.gcm.ml.regression import SklearnRegressionModel
from dowhy.gcm.util.general import apply_one_hot_encoding, fit_one_hot_encoders
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from simulacra.engine.checks.column_types import NUMERIC_TYPES

# gcm's own wrappers switch to CatBoost target encoding once the parents have more than seven
# levels in total. That encodes a multi-class target by the mean of its label indices, which is
# meaningless for a categorical child, and it ties each level's effect to a marginal mean. One
# column per level keeps linear effects per level, which is what interventions read off.

# A DoWhy gcm causal mechanism; the library ships no type information to say more.
Mechanism = Any


class OneHotRegressor(SklearnRegressionModel):
    """Linear regression on numeric parents plus one-hot encoded categorical parents."""

    def fit(self, X: np.ndarray, Y: np.ndarray) -> None:
        self._encoders = fit_one_hot_encoders(X)
        self._sklearn_mdl.fit(X=apply_one_hot_encoding(X, self._encoders), y=Y.squeeze())

    def clone(self) -> OneHotRegressor:
        return OneHotRegressor(sklearn.clone(self._sklearn_mdl))


class OneHotClassifier(SklearnClassificationModel):
    """Multinomial logistic regression on numeric plus one-hot encoded categorical parents."""

    def fit(self, X: np.ndarray, Y: np.ndarray) -> None:
        self._encoders = fit_one_hot_encoders(X)
        self._sklearn_mdl.fit(X=apply_one_hot_encoding(X, self._encoders), y=Y.squeeze())

    def clone(self) -> OneHotClassifier:
        return OneHotClassifier(sklearn.clone(self._sklearn_mdl))


class FrequencyTableClassifier(ClassifierMixin, BaseEstimator):
    """p(y | parents) as the observed shares per combination of (one-hot encoded) categorical parents,
    shrunk toward the marginal by ``prior_weight`` pseudo-rows: a Bayesian network's table, exact for
    interactions that a logistic model adds up. Combinations never seen get the marginal shares."""

    def __init__(self, prior_weight: float = 1.0) -> None:
        self.prior_weight = prior_weight

    def fit(self, X: np.ndarray, y: np.ndarray) -> FrequencyTableClassifier:
        self.classes_, codes = np.unique(np.asarray(y).reshape(-1), return_inverse=True)
        self._weights = np.random.default_rng(0).integers(1, 2**62, size=np.shape(X)[1], dtype=np.int64)
        self.keys_, inverse = np.unique(self._hash(X), return_inverse=True)
        counts = np.zeros((len(self.keys_), len(self.classes_)))
        np.add.at(counts, (inverse, codes), 1.0)
        self.marginal_ = counts.sum(axis=0) / counts.sum()
        self.table_ = (counts + self.prior_weight * self.marginal_) / (
            counts.sum(axis=1, keepdims=True) + self.prior_weight
        )
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        keys = self._hash(X)
        position = np.minimum(np.searchsorted(self.keys_, keys), len(self.keys_) - 1)
        known = self.keys_[position] == keys
        return np.where(known[:, None], self.table_[position], self.marginal_[None, :])

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def _hash(self, X: np.ndarray) -> np.ndarray:
        # One-hot rows are 0/1 vectors: a random integer weighting (wrapping) names each combination.
        return np.asarray(X, dtype=np.int64) @ self._weights


class LabelClassifierFCM(gcm.ClassifierFCM):
    """gcm's ClassifierFCM with a vectorised draw: gcm looks every drawn label up in a Python loop."""

    def evaluate(self, parent_samples: np.ndarray, noise_samples: np.ndarray) -> np.ndarray:
        cumulative = np.cumsum(self.estimate_probabilities(parent_samples), axis=1)
        indices = np.argmax(cumulative >= np.asarray(noise_samples).reshape(-1, 1), axis=1)
        return np.asarray(self._classifier_model.classes, dtype=object)[indices].reshape(-1, 1)

    def clone(self) -> LabelClassifierFCM:
        return type(self)(self._classifier_model.clone())


class DiscreteClassifierFCM(LabelClassifierFCM):
    """A classifier over a number column's observed values (a 1-10 scale, a household size): draws
    keep the seed's discrete shape exactly, where an additive-noise model smears and clips it."""

    def fit(self, X: np.ndarray, Y: np.ndarray) -> None:
        # gcm's ClassifierFCM insists on string labels; sklearn is content with numbers.
        self._classifier_model.fit(X=X, Y=np.asarray(Y, dtype=float).reshape(-1))

    def evaluate(self, parent_samples: np.ndarray, noise_samples: np.ndarray) -> np.ndarray:
        return super().evaluate(parent_samples, noise_samples).astype(float)


# Few enough distinct values for a number column to be modelled as a classifier over them.
MAX_DISCRETE_VALUES = 12
ROOT = "empirical"


def candidates(
    column_type: str, distinct_values: int, seed: int, categorical_parents: bool = False
) -> dict[str, Callable[[], Mechanism]]:
    """Label -> unfitted mechanism for a non-root node, in order of preference: the default (first)
    is linear, and the cheaper to sample and safer to extrapolate come before the more flexible.

    ``categorical_parents`` (every parent a category) adds a frequency table over parent combinations.
    """
    if column_type not in NUMERIC_TYPES:
        options = {"classifier(logistic)": lambda: LabelClassifierFCM(OneHotClassifier(_logistic()))}
        if categorical_parents:
            options["classifier(table)"] = lambda: LabelClassifierFCM(OneHotClassifier(FrequencyTableClassifier()))
        options["classifier(gradient_boosting)"] = lambda: LabelClassifierFCM(
            OneHotClassifier(_boosted_classifier(seed))
        )
        return options
    linear = {"additive_noise(linear)": lambda: gcm.AdditiveNoiseModel(OneHotRegressor(LinearRegression()))}
    if distinct_values <= MAX_DISCRETE_VALUES:
        options = {
            **linear,
            "discrete_classifier(logistic)": lambda: DiscreteClassifierFCM(OneHotClassifier(_logistic())),
        }
        if categorical_parents:
            options["discrete_classifier(table)"] = lambda: DiscreteClassifierFCM(
                OneHotClassifier(FrequencyTableClassifier())
            )
        return options
    return {**linear, "additive_noise(gradient_boosting)": lambda: gcm.AdditiveNoiseModel(_boosted_regressor(seed))}


def _logistic() -> Mechanism:
    # Scaling lets lbfgs converge on raw 0-100 scores without raising max_iter into the seconds.
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))


def _boosted_regressor(seed: int) -> OneHotRegressor:
    model = HistGradientBoostingRegressor(max_iter=100, max_leaf_nodes=15, early_stopping=False, random_state=seed)
    return OneHotRegressor(model)


def _boosted_classifier(seed: int) -> Mechanism:
    # Every iteration adds a tree per class, and each tree is walked for every sampled row.
    return HistGradientBoostingClassifier(
        max_iter=40, learning_rate=0.15, max_leaf_nodes=15, early_stopping=False, random_state=seed
    )
