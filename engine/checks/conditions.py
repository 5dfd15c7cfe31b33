"""The one check of generation conditions against a cleaned schema.

Pure Python on purpose: the API imports this module (part of the engine's pure part) to refuse
bad conditions before any work starts, and the sampler runs the same check as a library guard.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from simulacra.engine.checks.column_types import CATEGORICAL_TYPES, NUMERIC_TYPES
from simulacra.engine.checks.errors import EngineInputError
from simulacra.engine.records.schema import CleanedSchema, SchemaColumn

MODES = ("intervene", "condition")
SHARE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Conditions:
    """Validated conditions: target shares per categorical level and (min, max) per numeric column."""

    categorical: dict[str, dict[str, float]] = field(default_factory=dict)
    numeric: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    mode: str = "intervene"


def parse_conditions(conditions: dict[str, Any] | None, schema: CleanedSchema) -> Conditions:
    """Check conditions against the schema; errors carry a JSON pointer to the offending field."""
    conditions = conditions or {}
    if not isinstance(conditions, dict):
        raise _invalid("conditions must be an object", "/conditions")
    unknown = set(conditions) - {"categorical", "numeric", "mode"}
    if unknown:
        raise _invalid(f"unknown conditions field(s): {', '.join(sorted(unknown))}", f"/conditions/{min(unknown)}")
    mode = conditions.get("mode") or "intervene"
    if mode not in MODES:
        raise _invalid(f"mode must be one of {', '.join(MODES)}, not {mode!r}", "/conditions/mode")
    categorical = {}
    for name, targets in _mapping(conditions.get("categorical"), "/conditions/categorical").items():
        pointer = f"/conditions/categorical/{name}"
        categorical[name] = _level_shares(name, targets, _column(schema, name, CATEGORICAL_TYPES, pointer), pointer)
    numeric = {}
    for name, bounds in _mapping(conditions.get("numeric"), "/conditions/numeric").items():
        pointer = f"/conditions/numeric/{name}"
        _column(schema, name, NUMERIC_TYPES, pointer)
        numeric[name] = _range(bounds, pointer)
    return Conditions(categorical, numeric, mode)


def schema_column(schema: CleanedSchema, name: str, pointer: str) -> SchemaColumn:
    """The cleaned schema's column of that name; a raw header or a dropped column gets a hint."""
    column = schema.column(name)
    if column is None:
        raise EngineInputError(
            "simio_unknown_condition_column",
            f"{name!r} is not a column of the cleaned schema{_hint(schema, name)}",
            pointer,
        )
    return column


def _column(schema: CleanedSchema, name: str, expected: tuple[str, ...], pointer: str) -> SchemaColumn:
    column = schema_column(schema, name, pointer)
    if column.type not in expected:
        other = "numeric" if expected == CATEGORICAL_TYPES else "categorical"
        raise _invalid(f"{name} is {column.type}; condition it under conditions.{other}", pointer)
    return column


def _hint(schema: CleanedSchema, name: str) -> str:
    """Integrators often send raw headers: name the cleaned column, or say why it was dropped."""
    dropped = schema.dropped_as(name)
    if dropped:
        # A dropped duplicate points at the column that holds the same answers.
        copy = f" of {dropped.duplicate_of!r}; use that column" if dropped.duplicate_of else ""
        return f"; it was dropped during cleaning ({dropped.reason}{copy})"
    cleaned = schema.renamed.get(name)
    return f"; the raw header {name!r} is the cleaned column {cleaned!r}" if cleaned else ""


def _level_shares(name: str, targets: object, column: SchemaColumn, pointer: str) -> dict[str, float]:
    targets = _mapping(targets, pointer)
    if not targets:
        raise _invalid(f"conditions.categorical.{name} names no level", pointer)
    levels = {str(level.value) for level in column.levels or []}
    for level, share in targets.items():
        if level not in levels:
            raise EngineInputError(
                "simio_unknown_condition_level",
                f"{level!r} is not a level of {name}; levels are {', '.join(sorted(levels))}",
                f"{pointer}/{level}",
            )
        if not _is_number(share) or not 0 <= share <= 1:
            raise _invalid(f"the share of {name}={level} must be between 0 and 1", f"{pointer}/{level}")
    total = sum(targets.values())
    if total > 1 + SHARE_TOLERANCE:
        raise _invalid(f"the shares set for {name} add up to {total:g}, more than 1", pointer)
    if set(targets) == levels and abs(total - 1) > 1e-6:
        raise _invalid(f"every level of {name} has a share and they add up to {total:g}, not 1", pointer)
    return {level: float(share) for level, share in targets.items()}


def _range(bounds: object, pointer: str) -> tuple[float | None, float | None]:
    bounds = _mapping(bounds, pointer)
    given = {key for key, value in bounds.items() if value is not None}
    if set(bounds) - {"min", "max"} or not given:
        raise _invalid("a numeric condition takes 'min' and/or 'max'", pointer)
    low, high = bounds.get("min"), bounds.get("max")
    for key, value in (("min", low), ("max", high)):
        if value is not None and not is_finite_number(value):
            raise _invalid(f"{key} must be a finite number", f"{pointer}/{key}")
    if low is not None and high is not None and low > high:
        raise _invalid(f"min {low} is above max {high}", pointer)
    return (None if low is None else float(low), None if high is None else float(high))


def _mapping(value: object, pointer: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _invalid("must be an object", pointer)
    return value


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_finite_number(value: object) -> TypeGuard[int | float]:
    """A number a float can hold: JSON's 1e999 is inf, and an integer literal of 400 digits overflows one."""
    if not _is_number(value):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _invalid(detail: str, pointer: str) -> EngineInputError:
    return EngineInputError("simio_invalid_field", detail, pointer)
