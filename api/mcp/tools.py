"""MCP tools made from the OpenAPI document the operations registry generates: one per authenticated
operation, with its operationId in snake_case, its summary and description, and its parameters and body
merged into one input schema; the success response's schema is the output schema."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from simulacra.api.mcp import schemas
from simulacra.api.mcp.preview import ArtifactPreview, JobWait

# Documented in docs/mcp.md: a table pasted into a tool call travels in the agent's context and in one
# JSON-RPC message; bigger tables go by file path (stdio) or straight to POST /v1/datasets.
INLINE_UPLOAD_MAX_BYTES = 5 * 1024 * 1024
WAIT_MAX_SECONDS = 60.0
WAIT_FOR_JOB = "wait_for_job"
# Credential operations (claims, rotations, revocation) stay off the tool list: their answers are secrets,
# which have no business in an agent's context.
UNLISTED_TAGS = frozenset({"auth"})
IDEMPOTENCY_KEY = "idempotency_key"
CSV_TEXT, FILE_PATH = "csv_text", "file_path"


def snake_case(operation_id: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", operation_id).lower()


@dataclass(frozen=True)
class ToolSpec:
    name: str
    operation_id: str
    method: str
    path: str
    description: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any] | None
    path_params: tuple[str, ...] = ()
    query_params: tuple[str, ...] = ()
    body: Literal["json", "multipart"] | None = None
    body_fields: tuple[str, ...] = ()
    # The multipart part that carries the table; the tool takes it as `csv_text` (or `file_path`) instead.
    file_field: str | None = None
    # The answer is a file: the tool returns its link and a preview instead of the bytes.
    attachment: bool = False

    @property
    def idempotent_post(self) -> bool:
        return self.method == "POST"


def _description(op: dict[str, Any], extra: str = "") -> str:
    scopes = sorted({scope for requirement in op.get("security", []) for scope in requirement.get("oauth2", [])})
    text = f"{op['summary']}."
    if op.get("description"):
        text += f" {op['description']}"
    if extra:
        text += f" {extra}"
    return text + f" Needs a token with scope {' or '.join(scopes)}." if scopes else text


def _success(op: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    status = min(code for code in op["responses"] if code.startswith("2"))
    return status, op["responses"][status]


def _tool(path: str, method: str, op: dict[str, Any], components: dict[str, Any], local_files: bool) -> ToolSpec:
    properties: dict[str, Any] = {}
    required: list[str] = []
    path_params: list[str] = []
    query_params: list[str] = []
    status, success = _success(op)
    attachment = "application/json" not in success.get("content", {"application/json": {}})
    for parameter in op.get("parameters", []):
        name, where = parameter["name"], parameter["in"]
        if where == "header" or (where == "query" and attachment):  # the key is derived; a link is made fresh
            continue
        properties[name] = {**parameter["schema"], "description": parameter.get("description", f"The {name}.")}
        (path_params if where == "path" else query_params).append(name)
        if parameter.get("required"):
            required.append(name)
    body_kind: Literal["json", "multipart"] | None = None
    body_fields: list[str] = []
    file_field = None
    content = op.get("requestBody", {}).get("content", {})
    if content:
        media, spec = next(iter(content.items()))
        body_kind = "multipart" if media == "multipart/form-data" else "json"
        name = schemas.ref_name(spec["schema"])
        body = components[name] if name else spec["schema"]
        for field, schema in body.get("properties", {}).items():
            if field in properties:
                raise ValueError(f"{op['operationId']}: body field {field!r} collides with a parameter")
            if body_kind == "multipart" and schema.get("format") == "binary":
                file_field = field
                continue
            properties[field] = schema
            body_fields.append(field)
            if field in body.get("required", []):
                required.append(field)
    if file_field:
        properties[CSV_TEXT] = {
            "type": "string",
            "maxLength": INLINE_UPLOAD_MAX_BYTES,
            "description": f"The table as CSV text, at most {INLINE_UPLOAD_MAX_BYTES // (1024 * 1024)} MB. "
            + ("Give this or file_path." if local_files else "Required over HTTP."),
        }
        if local_files:
            properties[FILE_PATH] = {
                "type": "string",
                "description": "Path of a local CSV, Parquet, Arrow or SPSS file to upload instead of csv_text.",
            }
    if method == "post":
        properties[IDEMPOTENCY_KEY] = {
            "type": "string",
            "pattern": "^[A-Za-z0-9._:-]{1,255}$",
            "description": "Optional. Omitted, the key is derived from the tool name and the arguments, so "
            "calling again with the same arguments (a retry) returns the first call's result and does no work "
            "twice. Pass a new value to ask for the same thing again on purpose.",
        }
    output = None
    if attachment:
        output = schemas.standalone(ArtifactPreview.model_json_schema(), components)
    elif status != "204":
        name = schemas.ref_name(success["content"]["application/json"]["schema"])
        output = schemas.component(name, components) if name else None
    extra = ""
    if attachment:
        extra = "Returns a fresh signed link to the file and a preview (first rows, column summary), never the file."
    elif status == "202":
        extra = "Returns the job at once; follow it with wait_for_job."
    input_schema = {"type": "object", "properties": properties, "required": required, "additionalProperties": False}
    return ToolSpec(
        name=snake_case(op["operationId"]),
        operation_id=op["operationId"],
        method=method.upper(),
        path=path,
        description=_description(op, extra),
        input_schema=schemas.standalone(input_schema, components),
        output_schema=output,
        path_params=tuple(path_params),
        query_params=tuple(query_params),
        body=body_kind,
        body_fields=tuple(body_fields),
        file_field=file_field,
        attachment=attachment,
    )


def _wait_tool(openapi: dict[str, Any]) -> ToolSpec:
    job_id = next(p for p in openapi["paths"]["/v1/jobs/{job_id}"]["get"]["parameters"] if p["name"] == "job_id")
    schema = JobWait.model_json_schema()
    schema["properties"]["job"] = {"$ref": schemas.COMPONENTS + "Job"}
    return ToolSpec(
        name=WAIT_FOR_JOB,
        operation_id="getJob",
        method="GET",
        path="/v1/jobs/{job_id}",
        description=f"Wait up to timeout_seconds (at most {WAIT_MAX_SECONDS:.0f}) for a job to end, then return it "
        "with its status, stage and progress; call again while `done` is false. A ready generation's rows come "
        "from download_artifact.",
        input_schema={
            "type": "object",
            "properties": {
                "job_id": {**job_id["schema"], "description": "The job_id a create call returned."},
                "timeout_seconds": {
                    "type": "number",
                    "minimum": 0,
                    "maximum": WAIT_MAX_SECONDS,
                    "default": 30,
                    "description": "How long to wait at most.",
                },
            },
            "required": ["job_id"],
            "additionalProperties": False,
        },
        output_schema=schemas.standalone(schema, openapi["components"]["schemas"]),
        path_params=("job_id",),
    )


def tools_from_openapi(openapi: dict[str, Any], *, local_files: bool) -> dict[str, ToolSpec]:
    """`local_files`: the upload tool also takes a path on this machine (stdio, where the server is the agent's)."""
    components = openapi["components"]["schemas"]
    tools = [
        _tool(path, method, op, components, local_files)
        for path, item in openapi["paths"].items()
        for method, op in item.items()
        if op.get("security") and not UNLISTED_TAGS & set(op.get("tags", []))
    ]
    tools.append(_wait_tool(openapi))
    return {tool.name: tool for tool in tools}
