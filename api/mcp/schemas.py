"""Self-contained JSON Schemas cut out of the OpenAPI document, as MCP tools declare them."""

from __future__ import annotations

import copy
from typing import Any

COMPONENTS = "#/components/schemas/"
DEFS = "#/$defs/"


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"][len(COMPONENTS) :]} if str(node.get("$ref", "")).startswith(COMPONENTS) else set()
        return found.union(*(_refs(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(value) for value in node))
    return set()


# Maps whose keys are names (a property called `title` is kept); everywhere else `title` is pydantic's
# title-cased field name, which repeats the name and only makes a tool list longer.
NAMED = frozenset({"properties", "$defs", "patternProperties"})


def _rewrite(node: Any, named: bool = False) -> Any:
    if isinstance(node, dict):
        return {
            key: _moved(value) if key == "$ref" else _rewrite(value, key in NAMED)
            for key, value in node.items()
            if named or not (key == "title" and isinstance(value, str))
        }
    if isinstance(node, list):
        return [_rewrite(value) for value in node]
    return node


def _moved(ref: str) -> str:
    return DEFS + ref[len(COMPONENTS) :] if ref.startswith(COMPONENTS) else ref


def standalone(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """`schema` with every component it reaches (transitively) under `$defs`, its refs pointing there; examples
    are dropped, they are the reference's and only make a tool list longer."""
    needed: set[str] = set()
    todo = _refs(schema)
    while todo:
        name = todo.pop()
        if name not in needed:
            needed.add(name)
            todo |= _refs(components[name])
    document: dict[str, Any] = _rewrite(copy.deepcopy(schema))
    document.pop("examples", None)
    if needed:
        defs = {name: _rewrite(components[name]) for name in sorted(needed)}
        for definition in defs.values():
            definition.pop("examples", None)
        document["$defs"] = {**document.get("$defs", {}), **defs}
    return document


def component(name: str, components: dict[str, Any]) -> dict[str, Any]:
    """A component as a root schema (MCP wants `type: object` at the root of an output schema, not a `$ref`)."""
    return standalone(copy.deepcopy(components[name]), components)


def ref_name(schema: dict[str, Any]) -> str | None:
    ref = str(schema.get("$ref", ""))
    return ref[len(COMPONENTS) :] if ref.startswith(COMPONENTS) else None
