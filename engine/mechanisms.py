"""Causal mechanisms per column type, with categorical parents always one-hot encoded."""

from __future__ import annotations

import numpy as np
import sklearn
from dowhy import gcm
from dowhy.gcm.ml.classification import SklearnClassificationModel
from dowhy.gcm.ml.regression import SklearnRegressionModel
from dowhy.gcm.util.general import apply_one_hot_encoding, fit_one_hot_encoders
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from engine.column_types import NUMERIC_TYPES

# gcm's own wrappers switch to CatBoost target encoding once the parents have more than seven
# levels in total. That encodes a multi-class target by the mean of its label indices, which is
# meaningless for a categorical child, and it ties each level's effect to a marginal mean. One
# column per level keeps linear effects per level, which is what interventions read off.


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


def mechanism_for(column_type: str, is_root: bool) -> tuple[object, str]:
    """The gcm mechanism for a node and the label the fit report uses for it."""
    if is_root:
        return gcm.EmpiricalDistribution(), "empirical"
    if column_type in NUMERIC_TYPES:
        return gcm.AdditiveNoiseModel(OneHotRegressor(LinearRegression())), "additive_noise(linear)"
    return gcm.ClassifierFCM(OneHotClassifier(_logistic())), "classifier(logistic)"


def _logistic() -> object:
    # Scaling lets lbfgs converge on raw 0-100 scores without raising max_iter into the seconds.
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
