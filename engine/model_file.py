"""What a fitted model file holds, and reading/writing it."""

from __future__ import annotations

import pickle
from dataclasses import dataclass

import numpy as np
from dowhy import gcm

FORMAT = 1


@dataclass
class FittedModel:
    """Everything generate_rows needs: the fitted SCM, the schema and graph it was fitted on,
    and each numeric column's observed values (with counts) for range conditions."""

    scm: gcm.StructuralCausalModel
    schema: dict
    graph: dict
    seed_values: dict[str, tuple[np.ndarray, np.ndarray]]
    format: int = FORMAT


def save_model(model: FittedModel, path: str) -> None:
    """Pickle the model to a local path."""
    with open(path, "wb") as handle:
        pickle.dump(model, handle, protocol=pickle.HIGHEST_PROTOCOL)


def load_model(path: str) -> FittedModel:
    """Load a model written by save_model. Only ever pass files this engine wrote: it is a pickle."""
    with open(path, "rb") as handle:
        model = pickle.load(handle)
    if not isinstance(model, FittedModel) or model.format != FORMAT:
        raise ValueError(f"{path} is not a model file of format {FORMAT}")
    return model
