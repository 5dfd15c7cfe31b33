"""The structural causal model: a mechanism chosen per node, fitted with DoWhy gcm, saved as a model file."""

from simulacra.engine.model.fit import fit_model
from simulacra.engine.model.model_file import FittedModel, load_model, save_model

__all__ = ["FittedModel", "fit_model", "load_model", "save_model"]
