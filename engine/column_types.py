"""The column types of a cleaned schema, grouped by how they are modelled and conditioned."""

from __future__ import annotations

NUMERIC_TYPES = ("numeric", "integer")
CATEGORICAL_TYPES = ("categorical", "boolean")
