"""Simulacra's science core: clean a seed table, discover its causal graph, fit an SCM, generate rows.

Pure Python with no Temporal or HTTP; callers run each function in a dedicated single-job process
because DoWhy's gcm draws from numpy's process-wide random generator.

The public functions are imported on first use, so that `engine.conditions` (pure Python, used by
the API to check requests) can be imported without loading DoWhy or causal-learn.
"""

from __future__ import annotations

import importlib
from typing import Any

from engine.errors import EngineInputError

_EXPORTS = {
    "clean_table": "engine.cleaning",
    "discover_graph": "engine.discovery",
    "fit_model": "engine.fitting",
    "generate_rows": "engine.sampling",
    "validate_model": "engine.validation",
}
__all__ = ["EngineInputError", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
