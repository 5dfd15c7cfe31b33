"""The column types of a cleaned schema, grouped by how they are modelled and conditioned."""

from __future__ import annotations

NUMERIC_TYPES = ("numeric", "integer")
# Ordinals are modelled and conditioned like categories (a share per level); their order lives
# in the schema's levels, low to high.
CATEGORICAL_TYPES = ("categorical", "ordinal", "boolean")
