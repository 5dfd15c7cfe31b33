"""What a fitted model file holds, and reading/writing it."""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from typing import Any

import numpy as np
from dowhy import gcm

from simulacra.engine.records.graph import CausalGraph
from simulacra.engine.records.schema import CleanedSchema

# Format 2 pickles a plain dict: the SCM, the schema and graph as their JSON documents (so a record
# class that moves or grows a field never breaks a saved model), and the seed values.
FORMAT = 2
# Format 1 pickled a FittedModel from before the engine moved into the `simulacra` namespace. A pickle
# names each class by its module, so those files are read with their modules renamed: models of
# datasets that were live across the upgrade keep generating.
_FORMAT_1_MODULES = {
    "engine.model_file": "simulacra.engine.model.model_file",
    "engine.mechanisms": "simulacra.engine.model.mechanisms",
}


@dataclass
class FittedModel:
    """Everything generate_rows needs: the fitted SCM, the schema and graph it was fitted on,
    and each numeric column's observed values (with counts) for range conditions."""

    scm: gcm.StructuralCausalModel
    schema: CleanedSchema
    graph: CausalGraph
    seed_values: dict[str, tuple[np.ndarray, np.ndarray]]
    format: int = FORMAT


def save_model(model: FittedModel, path: str) -> None:
    """Pickle the model to a local path."""
    saved = {
        "format": FORMAT,
        "scm": model.scm,
        "schema": model.schema.model_dump(mode="json"),
        "graph": model.graph.model_dump(mode="json"),
        "seed_values": model.seed_values,
    }
    with open(path, "wb") as handle:
        pickle.dump(saved, handle, protocol=pickle.HIGHEST_PROTOCOL)


def load_model(path: str) -> FittedModel:
    """Load a model written by save_model. Only ever pass files this engine wrote: it is a pickle."""
    with open(path, "rb") as handle:
        saved: Any = _Unpickler(handle).load()
    if isinstance(saved, FittedModel) and saved.format == 1:
        saved = vars(saved)
    if not isinstance(saved, dict) or saved.get("format") not in (1, FORMAT):
        raise ValueError(f"{path} is not a model file of format 1 or {FORMAT}")
    return FittedModel(
        scm=saved["scm"],
        schema=CleanedSchema.model_validate(saved["schema"]),
        graph=CausalGraph.model_validate(saved["graph"]),
        seed_values=saved["seed_values"],
        format=saved["format"],
    )


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> object:
        return super().find_class(_FORMAT_1_MODULES.get(module, module), name)
