"""`simulacra mcp`: the MCP server over stdio for a local agent, a thin front for a Simulacra server's REST API.

Credentials come from $SIMULACRA_CLIENT_ID/$SIMULACRA_CLIENT_SECRET (with $SIMULACRA_URL), else from the file
`simulacra login` wrote. The tools are built from that server's /openapi.json, so they are always the ones it
serves; the upload tool also takes a path on this machine.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator

import anyio
from mcp.server.stdio import stdio_server

from simulacra.api.client.client import Client
from simulacra.api.client.errors import RequestTimeout, SimulacraError, Unreachable
from simulacra.api.client.login import UsageError, client_for
from simulacra.api.mcp.server import Context, build_server
from simulacra.api.mcp.tools import tools_from_openapi

EXIT_CLIENT, EXIT_SERVER = 2, 3


def run_stdio(args: argparse.Namespace) -> int:
    """Serves until the agent closes stdin. Nothing but protocol messages goes to stdout."""
    try:
        client = client_for(args)
        openapi = client.request("GET", "/openapi.json", authenticated=False).json()
        if client.tokens is not None:
            client.tokens.token()  # bad credentials fail now, not in the agent's first call
    except (UsageError, SimulacraError) as exc:
        print(f"simulacra mcp: {exc}", file=sys.stderr)
        return EXIT_CLIENT
    except (Unreachable, RequestTimeout) as exc:
        print(f"simulacra mcp: {exc}", file=sys.stderr)
        return EXIT_SERVER

    @contextlib.contextmanager
    def shared(ctx: Context) -> Iterator[Client]:
        yield client  # one client, one token, renewed as it nears expiry

    server = build_server(tools_from_openapi(openapi, local_files=True), shared, local_files=True)

    async def serve() -> None:
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())

    with client:
        anyio.run(serve)
    return 0
