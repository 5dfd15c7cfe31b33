"""OpenAPI schemas as rows of a fields table: $refs resolved, nested objects expanded under dotted names."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

Schema = dict[str, Any]
REF_PREFIX = "#/components/schemas/"
# Nested objects are expanded this deep; deeper ones are left to their schema's own table (linked).
MAX_DEPTH = 4


@dataclass(frozen=True)
class Field:
    name: str  # dotted from the body's top: `conditions.numeric.{key}.min`
    depth: int
    type: str
    schema: str | None  # the component schema the value is, for a link
    required: bool
    constraints: tuple[str, ...]
    description: str


def ref_name(schema: Schema) -> str | None:
    ref = schema.get("$ref")
    return ref.removeprefix(REF_PREFIX) if isinstance(ref, str) else None


class SchemaBook:
    """The component schemas of one OpenAPI document, read as fields."""

    def __init__(self, openapi: dict[str, Any]) -> None:
        self.schemas: dict[str, Schema] = openapi["components"]["schemas"]

    def resolve(self, schema: Schema) -> Schema:
        name = ref_name(schema)
        return self.schemas[name] if name else schema

    def example(self, schema: Schema) -> str | None:
        """The schema's first example, pretty-printed, or None when it has none."""
        examples = self.resolve(schema).get("examples")
        return json.dumps(examples[0], indent=2) if examples else None

    def fields(self, schema: Schema) -> list[Field]:
        """Every field of an object schema, nested objects' fields after their parent."""
        name = ref_name(schema)
        return self._object(self.resolve(schema), "", 0, frozenset({name} if name else ()))

    def _object(self, schema: Schema, prefix: str, depth: int, seen: frozenset[str]) -> list[Field]:
        required = set(schema.get("required", []))
        rows: list[Field] = []
        for name, prop in schema.get("properties", {}).items():
            path = f"{prefix}{name}"
            kind, link = self.type_of(prop)
            rows.append(
                Field(
                    name=path,
                    depth=depth,
                    type=kind,
                    schema=link,
                    required=name in required,
                    constraints=constraints(prop),
                    # What the field is for, else what its object is (a $ref'd model's own description).
                    description=prop.get("description") or self.resolve(_value(prop)).get("description", ""),
                )
            )
            rows += self._nested(prop, path, depth + 1, seen)
        return rows

    def _nested(self, prop: Schema, path: str, depth: int, seen: frozenset[str]) -> list[Field]:
        """The fields inside a property: an object, an array's items, or a map's values."""
        if depth > MAX_DEPTH:
            return []
        value = _value(prop)
        name = ref_name(value)
        if name in seen:
            return []
        inner = self.resolve(value)
        seen = seen | {name} if name else seen
        if inner.get("properties"):
            return self._object(inner, f"{path}.", depth, seen)
        if inner.get("type") == "array" and isinstance(inner.get("items"), dict):
            return self._nested(inner["items"], f"{path}[]", depth, seen)
        if isinstance(inner.get("additionalProperties"), dict):
            return self._nested(inner["additionalProperties"], f"{path}.{{key}}", depth, seen)
        return []

    def type_of(self, schema: Schema) -> tuple[str, str | None]:
        """A short human type (`integer`, `array of GraphEdge`, `map of string to number`) and the schema it names."""
        name = ref_name(schema)
        if name:
            return name, name
        if "anyOf" in schema or "oneOf" in schema:
            choices: list[Schema] = schema.get("anyOf") or schema.get("oneOf") or []
            options = [self.type_of(option) for option in choices]
            kinds = [kind for kind, _ in options if kind != "null"]
            links = [link for _, link in options if link]
            nullable = len(kinds) < len(options)
            return " or ".join(kinds) + (" or null" if nullable else ""), links[0] if links else None
        kind = schema.get("type", "any")
        if isinstance(kind, list):
            return " or ".join(kind), None
        if kind == "array":
            item, link = self.type_of(schema.get("items", {}))
            return f"array of {item}", link
        if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
            value, link = self.type_of(schema["additionalProperties"])
            return f"map of string to {value}", link
        if "const" in schema:
            return f"{kind} (constant)", None
        return str(kind), None


def _value(prop: Schema) -> Schema:
    """A nullable property's non-null schema: what the field holds when it holds something."""
    options = [option for option in prop.get("anyOf", []) if option.get("type") != "null"]
    return options[0] if len(options) == 1 else prop


CONSTRAINTS = {
    "minimum": ">= {}",
    "maximum": "<= {}",
    "exclusiveMinimum": "> {}",
    "exclusiveMaximum": "< {}",
    "minLength": "length >= {}",
    "maxLength": "length <= {}",
    "minItems": "items >= {}",
    "maxItems": "items <= {}",
    "pattern": "matches {}",
    "format": "format {}",
}


def constraints(prop: Schema) -> tuple[str, ...]:
    found: list[str] = []
    for schema in [prop, *prop.get("anyOf", [])]:
        found += [text.format(schema[key]) for key, text in CONSTRAINTS.items() if key in schema]
        if "enum" in schema:
            found.append("one of " + ", ".join(json.dumps(value) for value in schema["enum"]))
        if "const" in schema:
            found.append(f"always {json.dumps(schema['const'])}")
    if "default" in prop:
        found.append(f"default {json.dumps(prop['default'])}")
    return tuple(found)
