"""`simulacra`: the command line, and the composition root that starts the API, the worker or both.

Heavy modules are imported inside each command so `simulacra admin` and `simulacra api`
never load the engine. The client commands (login, datasets, generate, effects, jobs) live with the
client: their arguments in simulacra.api.client.command_line, their running in .commands.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from simulacra.api.client.command_line import COMMANDS as CLIENT_COMMANDS
from simulacra.api.client.command_line import add_client_commands
from simulacra.infra.admin import add_admin_commands, run_admin
from simulacra.infra.config import Settings, env_var, load_settings
from simulacra.infra.logs import configure_logging
from simulacra.infra.metrics_listener import serve_metrics

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from temporalio.client import Client, Interceptor


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, help="state directory (SIMULACRA_DATA_DIR, default ./.simulacra)")
    parser.add_argument("--temporal-address", help="use this Temporal instead of the embedded one (host:port)")
    parser.add_argument("--namespace", dest="temporal_namespace", help="Temporal namespace (default: default)")


def _server(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="API bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="API port (default 8000)")
    parser.add_argument("--tls-cert", dest="tls_certfile", help="PEM certificate: serve HTTPS only (with --tls-key)")
    parser.add_argument("--tls-key", dest="tls_keyfile", help="PEM private key of --tls-cert")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="simulacra", description="Causal synthetic-data API.")
    commands = parser.add_subparsers(dest="command", required=True)
    dev = commands.add_parser("dev", help="run Temporal (embedded), a worker and the API in one command")
    _common(dev)
    _server(dev)
    dev.add_argument("--temporal-port", type=int, help="embedded Temporal gRPC port (default 7233)")
    dev.add_argument("--ui-port", dest="temporal_ui_port", type=int, help="Temporal Web UI port (default 8233)")
    api = commands.add_parser("api", help="run the HTTP API against a Temporal address")
    _common(api)
    _server(api)
    worker = commands.add_parser("worker", help="run a Temporal worker (workflows + engine activities)")
    _common(worker)
    codec = commands.add_parser("codec-server", help="decode encrypted Temporal payloads for a Web UI (operators)")
    _common(codec)
    codec.add_argument("--host", dest="codec_server_host", help="bind address (default 127.0.0.1)")
    codec.add_argument("--port", dest="codec_server_port", type=int, help="port (default 8234)")
    add_admin_commands(commands)
    add_client_commands(commands)
    mcp = commands.add_parser("mcp", help="serve MCP over stdio for a local agent, against a server URL")
    mcp.add_argument("--url", help="server URL (default: the one logged in to, $SIMULACRA_URL)")
    mcp.add_argument("--credentials", help="credentials file (default: the one `simulacra login` wrote)")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    names = (
        "data_dir",
        "host",
        "port",
        "temporal_address",
        "temporal_namespace",
        "temporal_port",
        "temporal_ui_port",
        "tls_certfile",
        "tls_keyfile",
        "codec_server_host",
        "codec_server_port",
    )
    settings = load_settings().with_overrides(**{n: getattr(args, n, None) for n in names})
    if bool(settings.tls_certfile) != bool(settings.tls_keyfile):
        raise SystemExit("TLS needs both a certificate and its key (--tls-cert and --tls-key)")
    return settings


def check_storage(settings: Settings) -> None:
    """Stop at start, naming the setting, when the configured store cannot be used."""
    from simulacra.infra.storage import StorageUnreachable, open_storage

    url = settings.resolved_storage_url
    try:
        open_storage(settings).check_reachable()
    except ImportError as exc:  # fsspec names the package a URL's scheme needs (s3fs for s3://)
        raise SystemExit(f"{env_var('storage_url')}={url}: {exc} (for s3://, pip install 'simulacra[s3]')") from None
    except StorageUnreachable as exc:
        raise SystemExit(f"{env_var('storage_url')}={url}: the store cannot be used: {exc}") from None


async def reach_temporal(settings: Settings, wait_seconds: float, interceptors: Sequence[Interceptor] = ()) -> Client:
    """Connect as configured, or stop with the address and the SDK's reason (refused, a TLS alert, a namespace)."""
    from simulacra.infra.temporal import connect_to
    from simulacra.infra.temporal_tls import client_tls

    try:
        return await connect_to(settings, wait_seconds=wait_seconds, interceptors=interceptors)
    except RuntimeError as exc:
        hint = ""
        if client_tls(settings):
            hint = (
                f" With TLS: the server must trust the client certificate of {env_var('temporal_tls_cert')} "
                f"(a server that requires one closes the connection without it), and {env_var('temporal_tls_ca')} "
                f"must have signed the server's certificate, for the name in {env_var('temporal_tls_server_name')} "
                "or the address's host."
            )
        raise SystemExit(
            f"cannot connect to Temporal at {settings.resolved_temporal_address} "
            f"(namespace {settings.temporal_namespace!r}): {exc}.{hint}"
        ) from None


def run_api(settings: Settings) -> int:
    import uvicorn

    from simulacra.api.app import create_app

    check_storage(settings)
    asyncio.run(reach_temporal(settings, wait_seconds=30))  # here, so a refusal is a message, not the lifespan's trace
    serve_metrics(settings.metrics_host, settings.api_metrics_port, env_var("api_metrics_port"))

    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        # With a certificate the port speaks TLS only: a plain-HTTP request never reaches the app.
        ssl_certfile=settings.tls_certfile,
        ssl_keyfile=settings.tls_keyfile,
    )
    return 0


def run_codec_server(settings: Settings) -> int:
    import uvicorn

    from simulacra.api.codec_server import create_codec_app
    from simulacra.infra.key_provider import KeyUnavailable
    from simulacra.infra.payload_codec import EncryptionCodec, StoredPayloadKeys

    check_storage(settings)
    keys = StoredPayloadKeys(settings)
    try:
        keys.current()  # here, so a KEK that cannot unwrap the payload key stops the start with the reason
    except KeyUnavailable as exc:
        raise SystemExit(f"the Temporal payload key cannot be read: {exc}") from None
    print(
        json.dumps(
            {"event": "codec_server_started", "host": settings.codec_server_host, "port": settings.codec_server_port}
        ),
        file=sys.stderr,
        flush=True,
    )
    uvicorn.run(
        create_codec_app(settings, EncryptionCodec(keys)),
        host=settings.codec_server_host,
        port=settings.codec_server_port,
        log_config=None,
        access_log=False,  # a Web UI's endpoint carries the secret in its path: never log paths
    )
    return 0


async def _run_worker(settings: Settings) -> None:
    from simulacra.activities.worker import running_worker
    from simulacra.infra.scratch import worker_scratch
    from simulacra.infra.temporal import ensure_search_attributes
    from simulacra.infra.tracing import start_tracing
    from simulacra.workflows.contracts import SEARCH_ATTRIBUTES

    check_storage(settings)
    serve_metrics(settings.metrics_host, settings.worker_metrics_port, env_var("worker_metrics_port"))
    tracing = start_tracing(settings, "simulacra-worker")
    client = await reach_temporal(settings, wait_seconds=60, interceptors=tracing.interceptors)
    await ensure_search_attributes(client, SEARCH_ATTRIBUTES)
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    try:
        with worker_scratch():
            async with running_worker(client, settings, tracing.tracer):
                print(
                    json.dumps({"event": "worker_started", "task_queue": settings.task_queue}),
                    file=sys.stderr,
                    flush=True,
                )
                await stop.wait()
    finally:
        tracing.shutdown()


def _temporal_metrics(command: str, settings: Settings) -> str | None:
    """Where a worker's Temporal SDK serves its metrics; the other commands serve none of the SDK's."""
    if command != "worker" or settings.worker_sdk_metrics_port == 0:
        return None
    return f"{settings.metrics_host}:{settings.worker_sdk_metrics_port}"


def check_temporal_settings(settings: Settings) -> None:
    """Stop at start, naming the setting, when a TLS file is unreadable, not PEM, or a key not the certificate's."""
    from simulacra.infra.temporal_tls import TemporalSettingsError, client_tls

    try:
        client_tls(settings)
    except TemporalSettingsError as exc:
        raise SystemExit(f"Temporal connection: {exc}") from None


@contextlib.contextmanager
def control_db_errors() -> Iterator[None]:
    """Stop, naming the setting, when the control database cannot be reached or is not migrated."""
    from sqlalchemy.exc import OperationalError

    from simulacra.infra.controldb import NotMigrated

    try:
        yield
    except NotMigrated as exc:
        raise SystemExit(f"{env_var('control_db')}: {exc}") from None
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise SystemExit(f"{env_var('control_db')}: the control database cannot be used: {reason}") from None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in CLIENT_COMMANDS:  # a client of any server: the server's settings play no part
        from simulacra.api.client.commands import run_client

        return run_client(args)
    if args.command == "mcp":  # a client of a server too (docs/mcp.md)
        from simulacra.api.mcp.stdio import run_stdio

        return run_stdio(args)
    settings = _settings(args)
    if args.command in ("api", "worker", "dev"):
        check_temporal_settings(settings)
    configure_logging(settings.log_level, settings.log_format, _temporal_metrics(args.command, settings))
    with control_db_errors():
        if args.command != "admin" or args.admin_command != "migrate":
            from simulacra.infra.controldb import ControlDB

            ControlDB(settings.resolved_control_db)  # checked at start: migrated (PostgreSQL) or migrating (SQLite)
        if args.command == "admin":
            return run_admin(args, settings)
    if args.command == "api":
        return run_api(settings)
    if args.command == "codec-server":
        return run_codec_server(settings)
    if args.command == "worker":
        asyncio.run(_run_worker(settings))
        return 0
    from simulacra.infra.supervisor import run_dev

    return run_dev(settings)


if __name__ == "__main__":
    sys.exit(main())
