"""The engine's pure part: what a request is checked against before any work starts.

Errors, column types, conditions, effect requests, causal hints and graph edits, in plain Python
(no numpy, pandas or DoWhy), so the API process can import it. With `engine.records` it is the only
part of the engine the API may import (tests/test_import_boundaries.py holds it to that).
"""

from simulacra.engine.checks.conditions import Conditions, parse_conditions
from simulacra.engine.checks.effect_request import EffectSpec, parse_effect_request
from simulacra.engine.checks.errors import EngineInputError
from simulacra.engine.checks.graph_edits import edit_graph
from simulacra.engine.checks.hints import Hints, parse_hints

__all__ = [
    "Conditions",
    "EffectSpec",
    "EngineInputError",
    "Hints",
    "edit_graph",
    "parse_conditions",
    "parse_effect_request",
    "parse_hints",
]
