"""Validating generation conditions against the schema."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from engine.errors import EngineInputError
from engine.frames import NUMERIC_TYPES

MODES = ("intervene", "condition")
SHARE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Conditions:
    """Validated conditions: target shares per categorical level and (min, max) per numeric column."""

    categorical: dict[str, dict[str, float]] = field(default_factory=dict)
    numeric: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    mode: str = "intervene"


def parse_conditions(conditions: dict | None, schema: dict) -> Conditions:
    """Check conditions against the schema, raising EngineInputError naming the offending field."""
    conditions = conditions or {}
    if not isinstance(conditions, dict):
        raise _invalid("conditions must be an object")
    unknown = set(conditions) - {"categorical", "numeric", "mode"}
    if unknown:
        raise _invalid(f"unknown conditions field(s): {', '.join(sorted(unknown))}")
    mode = conditions.get("mode") or "intervene"
    if mode not in MODES:
        raise _invalid(f"conditions.mode must be one of {', '.join(MODES)}, not {mode!r}")
    if mode == "condition":
        raise _invalid("mode 'condition' is not supported yet")
    columns = {column["name"]: column for column in schema["columns"]}
    categorical = {}
    for name, targets in _mapping(conditions.get("categorical"), "conditions.categorical").items():
        categorical[name] = _level_shares(name, targets, _column(columns, name, "categorical"))
    numeric = {}
    for name, bounds in _mapping(conditions.get("numeric"), "conditions.numeric").items():
        _column(columns, name, "numeric")
        numeric[name] = _range(name, bounds)
    return Conditions(categorical, numeric, mode)


def _column(columns: dict[str, dict], name: str, kind: str) -> dict:
    if name not in columns:
        raise EngineInputError("simio_unknown_condition_column", f"{name!r} is not a column of this dataset's schema")
    column_type = columns[name]["type"]
    expected = NUMERIC_TYPES if kind == "numeric" else ("categorical", "boolean")
    if column_type not in expected:
        raise _invalid(f"{name} is {column_type}; it cannot take a conditions.{kind} entry")
    return columns[name]


def _level_shares(name: str, targets: object, column: dict) -> dict[str, float]:
    targets = _mapping(targets, f"conditions.categorical.{name}")
    if not targets:
        raise _invalid(f"conditions.categorical.{name} names no level")
    levels = {level["value"] for level in column["levels"]}
    for level, share in targets.items():
        if level not in levels:
            raise _invalid(f"{level!r} is not a level of {name}; levels are {', '.join(sorted(levels))}")
        if not _is_number(share) or not 0 <= share <= 1:
            raise _invalid(f"conditions.categorical.{name}.{level} must be a share between 0 and 1")
    total = sum(targets.values())
    if total > 1 + SHARE_TOLERANCE:
        raise _invalid(f"the shares set for {name} add up to {total:g}, more than 1")
    if set(targets) == levels and abs(total - 1) > 1e-6:
        raise _invalid(f"every level of {name} has a share and they add up to {total:g}, not 1")
    return {level: float(share) for level, share in targets.items()}


def _range(name: str, bounds: object) -> tuple[float | None, float | None]:
    bounds = _mapping(bounds, f"conditions.numeric.{name}")
    given = {key for key, value in bounds.items() if value is not None}
    if set(bounds) - {"min", "max"} or not given:
        raise _invalid(f"conditions.numeric.{name} takes 'min' and/or 'max'")
    low, high = bounds.get("min"), bounds.get("max")
    for key, value in (("min", low), ("max", high)):
        if value is not None and not (_is_number(value) and math.isfinite(value)):
            raise _invalid(f"conditions.numeric.{name}.{key} must be a finite number")
    if low is not None and high is not None and low > high:
        raise _invalid(f"conditions.numeric.{name}: min {low} is above max {high}")
    return (None if low is None else float(low), None if high is None else float(high))


def _mapping(value: object, where: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _invalid(f"{where} must be an object")
    return value


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _invalid(detail: str) -> EngineInputError:
    return EngineInputError("simio_invalid_field", detail)
