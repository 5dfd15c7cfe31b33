"""One OpenAPI operation read for people: parameters, body and response fields, examples, a curl call, errors."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from typing import Any

from simulacra.api.errors import REGISTRY, ErrorSpec
from simulacra.api.operations import Operation
from simulacra.api.reference.fields import Field, SchemaBook, constraints, ref_name


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # path, query or header
    type: str
    required: bool
    constraints: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class Payload:
    """A request body or a success response: its media types, the schema it follows, fields and example."""

    media_types: tuple[str, ...]
    schema: str | None
    fields: list[Field]
    example: str | None
    required: bool = True


@dataclass(frozen=True)
class NextStep:
    """An OpenAPI Link: which response field feeds which parameter of which operation."""

    operation_id: str
    parameter: str
    field: str


@dataclass(frozen=True)
class ErrorRef:
    code: str
    spec: ErrorSpec


@dataclass(frozen=True)
class Entry:
    op: Operation
    parameters: list[Parameter]
    body: Payload | None
    status: str
    response: Payload | None
    headers: list[tuple[str, str]]
    next_steps: list[NextStep]
    errors: list[ErrorRef]
    curl: str

    @property
    def search_text(self) -> str:
        """What the filter box matches: the operation's names and every field it takes or returns."""
        fields = [f.name for payload in (self.body, self.response) if payload for f in payload.fields]
        words = [self.op.operation_id, self.op.method, self.op.path, self.op.summary, self.op.tag]
        return " ".join([*words, *(p.name for p in self.parameters), *fields]).lower()


def entry(op: Operation, openapi: dict[str, Any], book: SchemaBook) -> Entry:
    spec = openapi["paths"][op.path][op.method.lower()]
    status = str(op.status)
    success = spec["responses"][status]
    parameters = [
        Parameter(
            name=p["name"],
            location=p["in"],
            type=book.type_of(p["schema"])[0],
            required=p.get("required", False),
            constraints=constraints(p["schema"]),
            description=p.get("description", ""),
        )
        for p in spec.get("parameters", [])
    ]
    body = _payload(spec["requestBody"], book) if "requestBody" in spec else None
    return Entry(
        op=op,
        parameters=parameters,
        body=body,
        status=status,
        response=_payload(success, book) if "content" in success else None,
        headers=[(name, header["description"]) for name, header in success.get("headers", {}).items()],
        next_steps=[
            NextStep(link["operationId"], parameter, source.rsplit("/", 1)[-1])
            for link in success.get("links", {}).values()
            for parameter, source in link["parameters"].items()
        ],
        errors=[ErrorRef(code, REGISTRY[code]) for code in op.all_errors()],
        curl=curl(op, spec, book),
    )


def _payload(section: dict[str, Any], book: SchemaBook) -> Payload:
    content: dict[str, Any] = section["content"]
    schema = next(iter(content.values()))["schema"]
    structured = ref_name(schema) is not None
    return Payload(
        media_types=tuple(content),
        schema=ref_name(schema),
        fields=book.fields(schema) if structured else [],
        example=book.example(schema) if structured else None,
        required=section.get("required", True),
    )


def curl(op: Operation, spec: dict[str, Any], book: SchemaBook) -> str:
    """A curl call with the documented examples filled in: `$BASE` and `$TOKEN` are the reader's."""
    path = op.path
    for p in spec.get("parameters", []):
        if p["in"] == "path":
            path = path.replace("{" + p["name"] + "}", p["example"])
    query = "&".join(f"{p['name']}=..." for p in spec.get("parameters", []) if p["in"] == "query" and p["required"])
    url = f"$BASE{path}" + (f"?{query}" if query else "")
    lines = [f'curl -X {op.method} "{url}"' if op.method != "GET" else f'curl "{url}"']
    if op.authenticated:
        lines.append('-H "Authorization: Bearer $TOKEN"')
    if op.needs_idempotency_key:
        lines.append('-H "Idempotency-Key: $(uuidgen)"')
    body = spec.get("requestBody", {}).get("content", {})
    example = json.loads(book.example(next(iter(body.values()))["schema"]) or "{}") if body else {}
    if "application/json" in body:
        lines += ['-H "Content-Type: application/json"', f"-d {shlex.quote(json.dumps(example))}"]
    elif "multipart/form-data" in body:
        lines += [
            "-F file=@tracker_q3.csv" if key == "file" else f"-F {shlex.quote(f'{key}={_form_value(value)}')}"
            for key, value in example.items()
        ]
    elif "application/x-www-form-urlencoded" in body:
        lines += [f"-d {shlex.quote(f'{key}={_form_value(value)}')}" for key, value in example.items()]
    return " \\\n  ".join(lines)


def _form_value(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value)
