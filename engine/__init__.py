"""Simulacra's science core: clean a seed table, discover its causal graph, fit an SCM, generate rows.

Pure Python with no Temporal or HTTP; callers run each function in a dedicated single-job process
because DoWhy's gcm draws from numpy's process-wide random generator.
"""

from __future__ import annotations

from engine.cleaning import clean_table
from engine.discovery import discover_graph
from engine.errors import EngineInputError
from engine.fitting import fit_model
from engine.sampling import generate_rows

__all__ = ["EngineInputError", "clean_table", "discover_graph", "fit_model", "generate_rows"]
