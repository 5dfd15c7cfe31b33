"""Check generation conditions against the dataset's cleaned schema before any work starts."""
from __future__ import annotations

from typing import Any

from api.errors import ApiError
from api.models import Conditions

CATEGORICAL_TYPES = ("categorical", "boolean")
NUMERIC_TYPES = ("numeric", "integer")


def _column(schema: dict[str, Any], name: str, pointer: str) -> dict[str, Any]:
    for column in schema["columns"]:
        if column["name"] == name:
            return column
    cleaned = schema.get("renamed", {}).get(name)
    hint = f" The raw header {name!r} is the cleaned column {cleaned!r}; use that." if cleaned else ""
    dropped = next((d for d in schema.get("dropped", []) if name in (d.get("name"), d.get("source_name"))), None)
    if dropped:
        hint = f" Column {name!r} was dropped during cleaning ({dropped['reason']})."
    raise ApiError("simio_unknown_condition_column", f"{pointer}: no column {name!r} in the cleaned schema.{hint}",
                   errors=[{"pointer": pointer, "message": "unknown column"}])


def _invalid(pointer: str, message: str) -> ApiError:
    return ApiError("simio_invalid_field", f"{pointer}: {message}", errors=[{"pointer": pointer, "message": message}])


def check_conditions(conditions: Conditions, schema: dict[str, Any]) -> None:
    for name, shares in conditions.categorical.items():
        pointer = f"/conditions/categorical/{name}"
        column = _column(schema, name, pointer)
        if column["type"] not in CATEGORICAL_TYPES:
            raise _invalid(pointer, f"column {name!r} is {column['type']}; use conditions.numeric for it")
        known = {str(level["value"]) for level in column.get("levels", [])}
        for level, share in shares.items():
            if level not in known:
                raise ApiError("simio_unknown_condition_level",
                               f"{pointer}/{level}: column {name!r} has no level {level!r}; known: {sorted(known)}",
                               errors=[{"pointer": f"{pointer}/{level}", "message": "unknown level"}])
            if not 0.0 <= share <= 1.0:
                raise _invalid(f"{pointer}/{level}", "a share must be between 0 and 1")
        if sum(shares.values()) > 1.0 + 1e-9:
            raise _invalid(pointer, "shares of one column must add up to at most 1")
        if sum(shares.values()) < 1.0 - 1e-9 and set(shares) == known:
            raise _invalid(pointer, "when every level is given, shares must add up to 1")
    for name, bounds in conditions.numeric.items():
        pointer = f"/conditions/numeric/{name}"
        column = _column(schema, name, pointer)
        if column["type"] not in NUMERIC_TYPES:
            raise _invalid(pointer, f"column {name!r} is {column['type']}; use conditions.categorical for it")
