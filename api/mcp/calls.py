"""A tool call is the REST operation it was made from, sent through the typed client; its answer or its
`simio_*` problem becomes the tool's result. Runs in a worker thread (the client is synchronous)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import mcp_types as types

from simulacra.api.client.client import Client
from simulacra.api.client.errors import RequestTimeout, SimulacraError, Unreachable
from simulacra.api.client.models import TERMINAL
from simulacra.api.mcp.preview import PREVIEW_BYTES, ArtifactPreview, JobWait, csv_preview
from simulacra.api.mcp.tools import (
    CSV_TEXT,
    FILE_PATH,
    IDEMPOTENCY_KEY,
    INLINE_UPLOAD_MAX_BYTES,
    WAIT_MAX_SECONDS,
    ToolSpec,
)


class ToolInputError(Exception):
    """Arguments refused before anything is sent; carries a registry code like the server's own refusals."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


def derived_key(tool: str, arguments: Mapping[str, Any]) -> str:
    """The same tool with the same arguments is the same request: a retry replays it rather than redoing it."""
    canonical = json.dumps({"tool": tool, "arguments": arguments}, sort_keys=True, separators=(",", ":"))
    return "mcp:" + hashlib.sha256(canonical.encode()).hexdigest()


def _path(spec: ToolSpec, arguments: Mapping[str, Any]) -> str:
    path = spec.path
    for name in spec.path_params:
        if name not in arguments:
            raise ToolInputError("simio_invalid_field", f"`{name}` is required.")
        path = path.replace("{" + name + "}", quote(str(arguments[name]), safe=""))
    return path


def _table(arguments: Mapping[str, Any], local_files: bool) -> tuple[str, IO[bytes]]:
    given = [name for name in (CSV_TEXT, FILE_PATH) if arguments.get(name) is not None]
    if len(given) != 1:
        names = "csv_text or file_path" if local_files else "csv_text"
        raise ToolInputError("simio_upload_invalid", f"Give the table as {names} (exactly one).")
    if given == [FILE_PATH]:
        if not local_files:
            raise ToolInputError("simio_invalid_field", "file_path is for the stdio server; send csv_text.")
        path = Path(str(arguments[FILE_PATH])).expanduser()
        if not path.is_file():
            raise ToolInputError("simio_upload_invalid", f"No file at {path}.")
        return path.name, path.open("rb")
    data = str(arguments[CSV_TEXT]).encode()
    if len(data) > INLINE_UPLOAD_MAX_BYTES:
        raise ToolInputError(
            "simio_file_too_large",
            f"csv_text is {len(data)} bytes; inline tables are capped at {INLINE_UPLOAD_MAX_BYTES} bytes. Upload a "
            "bigger table by file_path (stdio) or with POST /v1/datasets.",
        )
    return "table.csv", io.BytesIO(data)


def _identity(arguments: dict[str, Any]) -> dict[str, Any]:
    """What makes two calls the same request: a local file counts by its content, not its name."""
    if arguments.get(FILE_PATH) is None:
        return arguments
    digest = hashlib.sha256()
    with contextlib.suppress(OSError), Path(str(arguments[FILE_PATH])).expanduser().open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return {**arguments, "file_sha256": digest.hexdigest()}


def _send(client: Client, spec: ToolSpec, arguments: dict[str, Any], local_files: bool) -> Any:
    path = _path(spec, arguments)
    params = {name: str(arguments[name]) for name in spec.query_params if arguments.get(name) is not None}
    key = None
    if spec.idempotent_post:
        given = arguments.pop(IDEMPOTENCY_KEY, None)
        key = str(given) if given else derived_key(spec.name, _identity(arguments))
    fields = {name: arguments[name] for name in spec.body_fields if name in arguments}
    if spec.body == "multipart" and spec.file_field:
        filename, handle = _table(arguments, local_files)
        # Object-valued form fields travel as JSON parts, as the REST route reads them.
        form = {k: json.dumps(v) if isinstance(v, dict | list) else str(v) for k, v in fields.items()}
        with handle:
            response = client.request(
                spec.method,
                path,
                data=form,
                files={spec.file_field: (filename, handle, "application/octet-stream")},
                params=params,
                idempotency_key=key,
            )
    else:
        body = fields if spec.body == "json" else None
        response = client.request(spec.method, path, json=body, params=params, idempotency_key=key)
    return response.json() if response.content else None


def poll_job(client: Client, arguments: Mapping[str, Any]) -> dict[str, Any]:
    job: dict[str, Any] = client.request("GET", _path_of_job(arguments)).json()
    return job


def wait_seconds(arguments: Mapping[str, Any]) -> float:
    try:
        return min(max(float(arguments.get("timeout_seconds", 30)), 0.0), WAIT_MAX_SECONDS)
    except (TypeError, ValueError):
        raise ToolInputError("simio_invalid_field", "`timeout_seconds` must be a number of seconds.") from None


def job_done(job: Mapping[str, Any]) -> bool:
    return job["status"] in TERMINAL


def wait_result(job: dict[str, Any], started: float) -> types.CallToolResult:
    seconds = round(time.monotonic() - started, 2)
    return _result(JobWait(job=job, done=job_done(job), waited_seconds=seconds).model_dump(), "wait_for_job", "GET")


def _path_of_job(arguments: Mapping[str, Any]) -> str:
    if "job_id" not in arguments:
        raise ToolInputError("simio_invalid_field", "`job_id` is required.")
    return f"/v1/jobs/{quote(str(arguments['job_id']), safe='')}"


def _artifact(client: Client, spec: ToolSpec, arguments: Mapping[str, Any]) -> dict[str, Any]:
    generation_path = _path(spec, arguments).rsplit("/", 1)[0]
    generation: dict[str, Any] = client.request("GET", generation_path).json()
    if not generation.get("artifact_url"):
        raise ToolInputError(
            "simio_artifact_not_ready",
            f"Generation {generation.get('generation_id')} is {generation.get('status')}; call wait_for_job with "
            f"job_id {generation.get('job_id')} until it is ready or partial.",
        )
    preview = None
    if generation.get("format", "csv") == "csv":
        head, complete = client.read_head(generation["artifact_url"], PREVIEW_BYTES)
        preview = csv_preview(head, complete)
    return ArtifactPreview(**generation, preview=preview).model_dump(mode="json")


def _error(code: str, title: str, detail: str, fix: str | None, **extra: Any) -> types.CallToolResult:
    error = {"code": code, "title": title, "detail": detail, "fix": fix, **extra}
    lines = [f"{code}: {detail}"] + ([f"fix: {fix}"] if fix else [])
    lines += [f"request id: {extra['request_id']}"] if extra.get("request_id") else []
    return types.CallToolResult(
        content=[types.TextContent(text="\n".join(lines))], structured_content={"error": error}, is_error=True
    )


def refused(client: Client, exc: Exception) -> types.CallToolResult:
    """A problem the server answered, an argument refused here, or no answer at all, as a tool error."""
    if isinstance(exc, SimulacraError):
        return _error(
            exc.code,
            exc.title,
            exc.detail,
            exc.fix,
            status=exc.status,
            retryable=exc.retryable,
            request_id=exc.request_id,
            errors=exc.errors,
        )
    if isinstance(exc, ToolInputError):
        return _error(exc.code, exc.code, exc.detail, client.fix_for(exc.code), retryable=False)
    return _error("simio_service_unavailable", "Service unavailable", str(exc), "Retry the call.", retryable=True)


FAILURES = (SimulacraError, ToolInputError, Unreachable, RequestTimeout)


def call_tool(client: Client, spec: ToolSpec, arguments: dict[str, Any], *, local_files: bool) -> types.CallToolResult:
    """Any tool but wait_for_job (server.py waits on the event loop, polling through this module)."""
    try:
        if spec.attachment:
            result = _artifact(client, spec, arguments)
        else:
            result = _send(client, spec, dict(arguments), local_files)
    except FAILURES as exc:
        return refused(client, exc)
    return _result(result, spec.name, spec.method)


def _result(result: Any, name: str, method: str) -> types.CallToolResult:
    if result is None:
        return types.CallToolResult(content=[types.TextContent(text=f"{name}: done.")])
    text = json.dumps(result, separators=(",", ":"))
    if method == "POST" and isinstance(result, dict) and result.get("job_id"):
        text += f"\nThe job runs on; follow it with wait_for_job(job_id={result['job_id']!r})."
    return types.CallToolResult(content=[types.TextContent(text=text)], structured_content=result)
