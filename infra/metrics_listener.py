"""The Prometheus `/metrics` listener each process serves on a port of its own.

Apart from the API's port on purpose: Prometheus scrapes without a bearer token, the public port never
answers what the service is doing, and OpenAPI (and the tools that test it) never see the route.
"""

from __future__ import annotations

import prometheus_client


def metrics_url(host: str, port: int) -> str:
    return f"http://{host}:{port}/metrics"


def serve_metrics(host: str, port: int, setting: str) -> None:
    """Serve the process's metrics on host:port (in a daemon thread); port 0 means the operator turned it off.

    A port already taken ends the process with the setting to change, rather than running unobserved."""
    if port == 0:
        return
    # A `_created` gauge beside every counter doubles the exposition for a timestamp Prometheus does not need.
    prometheus_client.disable_created_metrics()
    try:
        prometheus_client.start_http_server(port, addr=host)
    except OSError as exc:
        raise SystemExit(
            f"cannot serve metrics on {host}:{port} ({exc.strerror}); set {setting} to a free port, or 0 to turn it off"
        ) from None
