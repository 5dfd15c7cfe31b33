"""The client commands' compact notations: `--set` conditions and `--treatment` of an effect."""

from __future__ import annotations

import argparse
from typing import Any


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def add_condition(conditions: dict[str, Any], assignment: str) -> None:
    """`col=level:share` sets a level's share; `col=5.49` fixes a numeric column; `col=4..6` bounds it
    (`col=4..` and `col=..6` leave one end open)."""
    column, sep, value = assignment.partition("=")
    if not sep or not column or not value:
        raise argparse.ArgumentTypeError(f"--set {assignment!r}: expected column=level:share or column=value")
    if ":" in value:
        level, _, share = value.rpartition(":")
        conditions.setdefault("categorical", {}).setdefault(column, {})[level] = _number(share)
    elif ".." in value:
        low, _, high = value.partition("..")
        bounds = {"min": _number(low) if low else None, "max": _number(high) if high else None}
        conditions.setdefault("numeric", {})[column] = {k: v for k, v in bounds.items() if v is not None}
    else:
        fixed = _number(value)
        conditions.setdefault("numeric", {})[column] = {"min": fixed, "max": fixed}


def conditions_of(assignments: list[str], mode: str | None) -> dict[str, Any]:
    conditions: dict[str, Any] = {}
    for assignment in assignments:
        add_condition(conditions, assignment)
    if mode:
        conditions["mode"] = mode
    return conditions


def _value(text: str) -> float | str | bool:
    """A number when it reads as one, true/false as booleans, else a level name."""
    if text in ("true", "false"):
        return text == "true"
    try:
        return float(text)
    except ValueError:
        return text


def treatment(text: str) -> dict[str, Any]:
    """`column:from:to`, e.g. `price:4.99:5.49` or `segment:loyal:genz_switcher`."""
    parts = text.split(":")
    if len(parts) != 3 or not all(parts):
        raise argparse.ArgumentTypeError(f"--treatment {text!r}: expected column:from:to")
    column, reference, alternative = parts
    return {"column": column, "from": _value(reference), "to": _value(alternative)}
