"""The documents the engine produces, as typed models: the cleaned schema, the causal graph, the fit
report and the validation report.

Pure Python (pydantic only), like `engine.checks`: the API imports these to serve them, the
activities store them as JSON, and the engine's stages read them, so every layer names a field the
same way and a typo fails the type check instead of a request.
"""

from simulacra.engine.records.fit import FitReport, NodeFitReport
from simulacra.engine.records.graph import CausalGraph, EdgeStability
from simulacra.engine.records.schema import CleanedSchema, DroppedColumn, Level, SchemaColumn
from simulacra.engine.records.validation import ValidationReport

__all__ = [
    "CausalGraph",
    "CleanedSchema",
    "DroppedColumn",
    "EdgeStability",
    "FitReport",
    "Level",
    "NodeFitReport",
    "SchemaColumn",
    "ValidationReport",
]
