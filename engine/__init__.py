"""Simulacra's science core: clean a seed table, discover its causal graph, fit an SCM, generate rows.

Pure Python with no Temporal or HTTP, in one folder per stage: `checks` and `records` (the pure part
the API may import: request checks and the typed documents), `cleaning`, `discovery`, `model`,
`sampling`, `evaluation`, and `effects`. Callers run each
function in a dedicated single-job process because fitting with DoWhy's gcm draws from numpy's
process-wide random generator (sampling passes its own generators).

The stage functions are imported on first use, so that importing `simulacra.engine.checks` loads
neither DoWhy nor causal-learn.
"""

from __future__ import annotations

import importlib
from typing import Any

from simulacra.engine.checks.errors import EngineInputError

_EXPORTS = {
    "clean_table": "simulacra.engine.cleaning",
    "discover_graph": "simulacra.engine.discovery",
    "fit_model": "simulacra.engine.model",
    "generate_rows": "simulacra.engine.sampling",
    "validate_model": "simulacra.engine.evaluation",
}
__all__ = ["EngineInputError", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
