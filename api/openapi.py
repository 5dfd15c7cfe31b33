"""OpenAPI 3.1, generated from the operation records, the pydantic models and the error registry."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from simulacra.api.errors import REGISTRY, example_problem
from simulacra.api.examples import EXAMPLES
from simulacra.api.operations import Operation
from simulacra.api.views import Problem
from simulacra.infra.scopes import Scope

REF = "#/components/schemas/{model}"
# Pagination parameters are optional; a signed download link's parameters are not.
REQUIRED_QUERY = {"expires", "signature"}
QUERY_SCHEMAS = {"limit": {"type": "integer", "minimum": 1, "maximum": 100}}
IDEMPOTENCY_HEADER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": True,
    "description": "Unique per logical request; reuse it only to retry the same request. "
    'Matches ^[A-Za-z0-9._:-]{1,255}$, bare or quoted ("...").',
    "schema": {"type": "string", "pattern": '^"?[A-Za-z0-9._:-]{1,255}"?$'},
    "example": "3f7c8a2e-6d1b-4c55-9e0f-2b8a7d9c1e44",
}


def _schemas(operations: list[Operation]) -> dict[str, Any]:
    models: set[type[BaseModel]] = {Problem}
    for op in operations:
        models |= {m for m in (op.body, op.returns) if m is not None}
    ordered = sorted(models, key=lambda m: m.__name__)
    _, definitions = models_json_schema([(m, "serialization") for m in ordered], ref_template=REF)
    schemas: dict[str, Any] = definitions.get("$defs", {})
    for model in ordered:  # request bodies are documented as they are validated
        if any(op.body is model for op in operations):
            schemas[model.__name__] = model.model_json_schema(ref_template=REF, mode="validation")
            schemas.update(schemas[model.__name__].pop("$defs", {}))
    for name, example in EXAMPLES.items():
        if name in schemas:
            schemas[name]["examples"] = [example]
    return schemas


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _request_body(op: Operation) -> dict[str, Any] | None:
    if op.body is None:
        return None
    media = {
        "json": ["application/json"],
        # A JSON body with the same fields is accepted too (Auth0 clients send either); documented in the
        # description, because generated clients trip over one body offered under two media types.
        "form": ["application/x-www-form-urlencoded"],
        "multipart": ["multipart/form-data"],
    }[op.body_kind]
    content: dict[str, Any] = {m: {"schema": _ref(op.body)} for m in media}
    if op.body_kind == "multipart":
        # Object-valued form fields travel as JSON parts (RFC 7578 with a part Content-Type).
        properties = op.body.model_json_schema()["properties"]
        objects = [name for name, prop in properties.items() if prop.get("type") == "object"]
        content["multipart/form-data"]["encoding"] = {name: {"contentType": "application/json"} for name in objects}
    # A body whose every field is optional may be left out (the rotation request: `{}` means "my own client").
    required = any(f.is_required() for f in op.body.model_fields.values())
    return {"required": required, "content": content}


def _error_responses(op: Operation, base_url: str) -> dict[str, Any]:
    by_status: dict[int, list[str]] = defaultdict(list)
    for code in op.all_errors():
        by_status[REGISTRY[code].status].append(code)
    responses = {}
    for status, codes in sorted(by_status.items()):
        examples = {
            code: {"summary": REGISTRY[code].title, "value": example_problem(code, base_url, op.path)} for code in codes
        }
        headers = {**_headers(op), **(RETRY_AFTER if any(REGISTRY[c].retryable for c in codes) else {})}
        responses[str(status)] = {
            "description": "; ".join(f"`{c}`: {REGISTRY[c].title}" for c in codes),
            "headers": headers,
            "content": {"application/problem+json": {"schema": _ref(Problem), "examples": examples}},
        }
    return responses


def _header(description: str, kind: str = "string") -> dict[str, Any]:
    return {"description": description, "schema": {"type": kind}}


REQUEST_ID = {"X-Request-Id": _header("This request's id: quote it to support.")}
RATE_LIMIT = {
    "RateLimit-Limit": _header("Requests allowed per minute for your tenant.", "integer"),
    "RateLimit-Remaining": _header("Requests left in the current window.", "integer"),
    "RateLimit-Reset": _header("Seconds until the window is full again.", "integer"),
}
RETRY_AFTER = {"Retry-After": _header("Seconds to wait before retrying with the same Idempotency-Key.", "integer")}
REPLAYED = {"Idempotent-Replayed": _header("`true` when this is the stored response of an earlier identical request.")}


def _headers(op: Operation) -> dict[str, Any]:
    """What every response of this operation carries."""
    return {**REQUEST_ID, **(RATE_LIMIT if op.authenticated else {})}


def _success(op: Operation) -> dict[str, Any]:
    response: dict[str, Any] = {"description": op.summary, "headers": _headers(op)}
    if op.needs_idempotency_key:
        response["headers"].update(REPLAYED)
    if op.returns is not None:
        response["content"] = {media: {"schema": _ref(op.returns)} for media in op.media_types}
    elif op.status != 204:
        response["content"] = {media: {"schema": {"type": "string"}} for media in op.media_types}
        if op.attachment:
            response["headers"].update(
                {
                    "Content-Length": _header("Size of the file in bytes.", "integer"),
                    "Content-Disposition": _header('`attachment; filename="{id}.{format}"`.'),
                    "Accept-Ranges": _header("`bytes`: send `Range` to fetch part of the file (resume a download)."),
                    "ETag": _header("Names the file's bytes; send it as `If-Range` when resuming."),
                }
            )
    if op.status == 202:
        response["headers"].update(
            {
                "Location": _header("The job to poll."),
                "Retry-After": _header("Seconds before the first poll.", "integer"),
            }
        )
    if op.links:
        response["links"] = {
            name: {
                "operationId": link.operation_id,
                "parameters": {link.parameter: f"$response.body#/{link.response_field}"},
            }
            for name, link in op.links.items()
        }
    responses = {str(op.status): response}
    if op.attachment:
        responses["206"] = _partial(response)
    return responses


def _partial(whole: dict[str, Any]) -> dict[str, Any]:
    """The answer to a `Range` request: the bytes asked for, and where they sit in the file."""
    headers = {
        **whole["headers"],
        "Content-Length": _header("Size of the part sent, in bytes.", "integer"),
        "Content-Range": _header("`bytes {first}-{last}/{size}`: the part sent and the file's size."),
    }
    return {**whole, "description": "Part of the file, as the `Range` header asked", "headers": headers}


def _operation(op: Operation, base_url: str) -> dict[str, Any]:
    parameters: list[dict[str, Any]] = [
        {
            "name": path_id.name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "pattern": path_id.anchored},
            "example": path_id.example,
        }
        for path_id in op.path_ids
    ]
    parameters += [
        {
            "name": name,
            "in": "query",
            "required": name in REQUIRED_QUERY,
            "description": text,
            "schema": QUERY_SCHEMAS.get(name, {"type": "string"}),
        }
        for name, text in op.query.items()
    ]
    if op.needs_idempotency_key:
        parameters.append(IDEMPOTENCY_HEADER)
    document: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": parameters,
        "responses": {**_success(op), **_error_responses(op, base_url)},
        # Alternatives: any one of the listed scopes is enough.
        "security": [{"oauth2": [scope.value]} for scope in op.scopes],
    }
    if op.description:
        document["description"] = op.description
    body = _request_body(op)
    if body:
        document["requestBody"] = body
    return document


def build_openapi(operations: list[Operation], base_url: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = defaultdict(dict)
    for op in operations:
        paths[op.path][op.method.lower()] = _operation(op, base_url)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Simulacra",
            "version": "1",
            "description": "Causal synthetic data: upload a seed table, learn its causal model, generate rows "
            "under interventions. Every error is application/problem+json with a stable `code`; "
            "see /errors and /llms.txt.",
        },
        "servers": [{"url": base_url}],
        "paths": dict(paths),
        "components": {
            "schemas": _schemas(operations),
            "securitySchemes": {
                "oauth2": {
                    "type": "oauth2",
                    "description": "Client-credentials tokens (RS256 JWT), sent as `Authorization: Bearer <token>`.",
                    "flows": {
                        "clientCredentials": {
                            "tokenUrl": f"{base_url}/oauth/token",
                            "scopes": {scope.value: scope.description for scope in Scope},
                        }
                    },
                }
            },
        },
    }
