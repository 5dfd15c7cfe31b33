"""Each node's mechanism, chosen among type-aware candidates by a cheap held-out score.

Candidates (engine.model.mechanisms), by the child's type:
- category or boolean: multinomial logistic (default); when every parent is a category with enough
  rows per combination, a frequency table (a Bayesian network's CPT); gradient boosting;
- number with at most MAX_DISCRETE_VALUES distinct values (Likert, 0-10, household size): linear
  additive noise (default); a logistic classifier over the observed values; a table as above;
- other numbers: linear additive noise (default) or gradient-boosted additive noise.

They are fitted on 70% of a subsample of at most CV_ROWS rows and scored on the other 30%: mean
log-likelihood per row for discrete children (an additive-noise model scored as sampling emits it:
prediction plus a training residual, rounded and clipped), held-out R^2 for continuous ones. A
flexible candidate must beat the linear default by a margin: linear mechanisms extrapolate
interventions beyond the seed's range sensibly and keep effects unbiased, so flexibility has to pay
for itself in fit. Among candidates within TIE of the best, the earliest listed wins. Splits and
models are seeded from the caller's seed; nothing global is touched.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from simulacra.engine.checks.column_types import NUMERIC_TYPES
from simulacra.engine.model.mechanisms import MAX_DISCRETE_VALUES, Mechanism, candidates
from simulacra.engine.records.fit import Metric, Selection

CV_ROWS = 3000
TEST_SHARE = 0.3
MIN_ROWS = 200
# Required gain over the default: nats per row for log-likelihood, absolute R^2 otherwise.
MARGINS = {"discrete_classifier(logistic)": 0.0, "classifier(gradient_boosting)": 0.01}
R2_MARGIN = 0.02
TIE = 0.005
TABLE_ROWS_PER_CELL = 10
# Pseudo-count per value when an additive-noise model's residuals never reach a value.
SMOOTHING = 0.5


def select_mechanism(
    frame: pd.DataFrame, node: str, parents: list[str], column_type: str, seed: int
) -> tuple[Mechanism, str, Selection | None]:
    """(unfitted mechanism, label, the held-out scores it was chosen by) for a non-root node."""
    target = frame[node].to_numpy()
    distinct = len(np.unique(target)) if column_type in NUMERIC_TYPES else 0
    options = candidates(column_type, distinct, seed, _sparse_enough(frame, parents))
    default = next(iter(options))
    if len(options) == 1 or len(frame) < MIN_ROWS:
        return options[default](), default, None
    rng = np.random.default_rng(seed)
    rows = rng.permutation(len(frame))[:CV_ROWS]
    cut = int(len(rows) * (1 - TEST_SHARE))
    inputs = frame[parents].to_numpy()
    train, test = rows[:cut], rows[cut:]
    discrete = column_type not in NUMERIC_TYPES or distinct <= MAX_DISCRETE_VALUES
    scores = {}
    for label, make in options.items():
        mechanism = make()
        mechanism.fit(inputs[train], target[train])
        if discrete:
            scores[label] = _log_likelihood(mechanism, inputs, target, train, test)
        else:
            scores[label] = _r2(mechanism, inputs[test], target[test])
    eligible = [
        label
        for label, score in scores.items()
        if label == default or score > scores[default] + (MARGINS.get(label, 0.0) if discrete else R2_MARGIN)
    ]
    top = max(scores[label] for label in eligible)
    # Near-ties go to the earlier candidate: cheaper to sample, safer to extrapolate.
    best = next(label for label in eligible if scores[label] >= top - TIE)
    metric: Metric = "log_likelihood" if discrete else "r2"
    return options[best](), best, Selection(metric=metric, scores={k: round(v, 4) for k, v in scores.items()})


def _sparse_enough(frame: pd.DataFrame, parents: list[str]) -> bool:
    # A table needs categorical parents and, on average, TABLE_ROWS_PER_CELL rows per combination.
    if any(ptypes.is_numeric_dtype(frame[name]) for name in parents):
        return False
    combinations = len(frame[parents].drop_duplicates())
    return combinations * TABLE_ROWS_PER_CELL <= min(len(frame), CV_ROWS)


def _log_likelihood(
    mechanism: Mechanism, inputs: np.ndarray, target: np.ndarray, train: np.ndarray, test: np.ndarray
) -> float:
    if hasattr(mechanism, "estimate_probabilities"):
        probabilities = mechanism.estimate_probabilities(inputs[test])
        classes = np.asarray(mechanism.classifier_model.classes)
        observed = target[test].astype(classes.dtype) if classes.dtype.kind == "f" else target[test]
        index = {value: position for position, value in enumerate(classes)}
        positions = np.array([index.get(value, -1) for value in observed])
        chosen = np.where(positions >= 0, probabilities[np.arange(len(test)), np.maximum(positions, 0)], 0.0)
        return float(np.mean(np.log(np.maximum(chosen, 1e-6))))
    # Additive noise, as sampling will emit it: prediction plus a training residual, rounded and clipped.
    fitted = mechanism.prediction_model.predict(inputs[train]).reshape(-1)
    residuals = target[train].astype(float) - fitted
    residuals = residuals[:: max(1, len(residuals) // 400)]
    low, high = target[train].min(), target[train].max()
    predicted = mechanism.prediction_model.predict(inputs[test]).reshape(-1)
    draws = np.clip(np.round(predicted[:, None] + residuals[None, :]), low, high)
    hits = (draws == target[test].astype(float)[:, None]).sum(axis=1)
    values = len(np.unique(target[train]))
    return float(np.mean(np.log((hits + SMOOTHING) / (len(residuals) + SMOOTHING * values))))


def _r2(mechanism: Mechanism, inputs: np.ndarray, target: np.ndarray) -> float:
    predicted = mechanism.prediction_model.predict(inputs).reshape(-1)
    observed = target.astype(float)
    total = float(np.sum((observed - observed.mean()) ** 2))
    return 1.0 - float(np.sum((observed - predicted) ** 2)) / total if total > 0 else 0.0
