"""The MCP server itself, one for both transports: what differs is how a call reaches the REST routes
(`ClientFactory`: the app in process over HTTP, a server URL over stdio)."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from importlib.metadata import version
from typing import Any

import anyio
import anyio.to_thread
import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import MCPError

from simulacra.api.client.client import Client
from simulacra.api.client.errors import RequestTimeout, SimulacraError, Unreachable
from simulacra.api.mcp import catalog
from simulacra.api.mcp.calls import FAILURES, call_tool, job_done, poll_job, refused, wait_result, wait_seconds
from simulacra.api.mcp.tools import WAIT_FOR_JOB, ToolSpec

Context = ServerRequestContext[Any, Any]
# Calls run the synchronous client in threads of their own pool: over HTTP each waits on a request to the app,
# which needs threads of the app's pool (auth, storage), so MCP calls must never hold all of those.
CONCURRENT_CALLS = 16
# Opens the client one request runs with; called in the worker thread that runs the request.
ClientFactory = Callable[[Context], AbstractContextManager[Client]]

INSTRUCTIONS = (
    "Causal synthetic data. Upload a seed table (create_dataset), wait for its job (wait_for_job), read the "
    "cleaned schema (get_dataset_schema) and build conditions from its names, then generate rows "
    "(create_generation, wait_for_job, download_artifact) or estimate an effect (estimate_effect, get_effect). "
    "A failed call returns a simio_* code with its fix: apply the fix and call again."
)


def _tool(spec: ToolSpec) -> types.Tool:
    return types.Tool(
        name=spec.name,
        title=spec.description.split(".")[0],
        description=spec.description,
        input_schema=spec.input_schema,
        output_schema=spec.output_schema,
        annotations=types.ToolAnnotations(
            read_only_hint=spec.method == "GET",
            destructive_hint=spec.method == "DELETE",
            idempotent_hint=True,  # POSTs carry an idempotency key made from their arguments
            open_world_hint=False,
        ),
    )


def build_server(tools: dict[str, ToolSpec], clients: ClientFactory, *, local_files: bool) -> Server:
    listed = [_tool(spec) for spec in tools.values()]
    limiter = anyio.CapacityLimiter(CONCURRENT_CALLS)

    async def wait_for_job(ctx: Context, arguments: dict[str, Any]) -> types.CallToolResult:
        """Polls the job through the REST route, sleeping on the event loop between polls (not in a thread)."""
        started = time.monotonic()

        def poll() -> tuple[dict[str, Any], float] | types.CallToolResult:
            with clients(ctx) as client:
                try:
                    return poll_job(client, arguments), wait_seconds(arguments)
                except FAILURES as exc:
                    return refused(client, exc)

        while True:
            polled = await anyio.to_thread.run_sync(poll, limiter=limiter)
            if isinstance(polled, types.CallToolResult):
                return polled
            job, seconds = polled
            left = started + seconds - time.monotonic()
            if job_done(job) or left <= 0:
                return wait_result(job, started)
            await anyio.sleep(min(left, max(float(job.get("poll_interval_seconds", 1.0)), 0.2)))

    async def list_tools(ctx: Context, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        return types.ListToolsResult(tools=listed)

    async def run_tool(ctx: Context, params: types.CallToolRequestParams) -> types.CallToolResult:
        spec = tools.get(params.name)
        if spec is None:
            raise MCPError(types.INVALID_PARAMS, f"Unknown tool {params.name!r}; tools/list names them all.")
        if spec.name == WAIT_FOR_JOB:
            return await wait_for_job(ctx, dict(params.arguments or {}))

        def work() -> types.CallToolResult:
            with clients(ctx) as client:
                return call_tool(client, spec, dict(params.arguments or {}), local_files=local_files)

        return await anyio.to_thread.run_sync(work, limiter=limiter)

    async def list_resources(ctx: Context, params: types.PaginatedRequestParams | None) -> types.ListResourcesResult:
        return types.ListResourcesResult(resources=catalog.resources())

    async def list_templates(
        ctx: Context, params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        return types.ListResourceTemplatesResult(resource_templates=catalog.templates())

    async def read_resource(ctx: Context, params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        def work() -> types.ReadResourceResult | None:
            with clients(ctx) as client:
                return catalog.read(client, str(params.uri))

        try:
            result = await anyio.to_thread.run_sync(work, limiter=limiter)
        except SimulacraError as exc:
            raise MCPError(types.INVALID_PARAMS, str(exc), {"code": exc.code, "request_id": exc.request_id}) from None
        except (Unreachable, RequestTimeout) as exc:
            # The API did not answer: a retryable code, as a tool call gets, not a bare internal error.
            unavailable = {"code": "simio_service_unavailable", "retryable": True}
            raise MCPError(types.INTERNAL_ERROR, str(exc), unavailable) from None
        if result is None:
            raise MCPError(types.INVALID_PARAMS, f"No resource {params.uri}; resources/list names them.")
        return result

    async def list_prompts(ctx: Context, params: types.PaginatedRequestParams | None) -> types.ListPromptsResult:
        return types.ListPromptsResult(prompts=catalog.prompts())

    async def get_prompt(ctx: Context, params: types.GetPromptRequestParams) -> types.GetPromptResult:
        result = catalog.prompt(params.name, params.arguments or {})
        if result is None:
            raise MCPError(types.INVALID_PARAMS, f"Unknown prompt {params.name!r}; prompts/list names them.")
        return result

    return Server(
        "simulacra",
        version=version("simulacra"),
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=run_tool,
        on_list_resources=list_resources,
        on_list_resource_templates=list_templates,
        on_read_resource=read_resource,
        on_list_prompts=list_prompts,
        on_get_prompt=get_prompt,
    )
