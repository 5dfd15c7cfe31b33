"""Evaluation: how well a fitted model reproduces held-out rows (fidelity) and whether its graph
survives the data's conditional independences (falsification)."""

from simulacra.engine.evaluation.validation import validate_model

__all__ = ["validate_model"]
