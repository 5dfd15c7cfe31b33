"""What a fitted model file holds, and reading/writing it."""

from __future__ import annotations

import pickle
from dataclasses import dataclass

import numpy as np
from dowhy import gcm

FORMAT = 2
# Format 1 was written before the engine moved into the `simulacra` namespace. A pickle names each
# class by its module, so those files are read with their modules renamed: models of datasets that
# were live across the upgrade keep generating.
_FORMAT_1_MODULES = {
    "engine.model_file": "simulacra.engine.model.model_file",
    "engine.mechanisms": "simulacra.engine.model.mechanisms",
}


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
        model = _Unpickler(handle).load()
    if not isinstance(model, FittedModel) or model.format not in (1, FORMAT):
        raise ValueError(f"{path} is not a model file of format 1 or {FORMAT}")
    return model


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> object:
        return super().find_class(_FORMAT_1_MODULES.get(module, module), name)
