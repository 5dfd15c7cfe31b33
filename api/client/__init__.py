"""A typed Python client for the Simulacra API (docs/client.md). It imports nothing of the server.

Its names load on first use: every `simulacra` command, the API and the worker included, builds its
parser from this package (command_line.py) and should not pay for the HTTP stack it never uses.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulacra.api.client.client import Client
    from simulacra.api.client.errors import (
        ClientError,
        JobTimeout,
        RequestTimeout,
        ServerError,
        SimulacraError,
        Unreachable,
    )
    from simulacra.api.client.models import Accepted, Credentials, Job
    from simulacra.api.client.session import new_idempotency_key

_HOMES = {
    "Accepted": "models",
    "Client": "client",
    "ClientError": "errors",
    "Credentials": "models",
    "Job": "models",
    "JobTimeout": "errors",
    "RequestTimeout": "errors",
    "ServerError": "errors",
    "SimulacraError": "errors",
    "Unreachable": "errors",
    "new_idempotency_key": "session",
}
__all__ = [
    "Accepted",
    "Client",
    "ClientError",
    "Credentials",
    "Job",
    "JobTimeout",
    "RequestTimeout",
    "ServerError",
    "SimulacraError",
    "Unreachable",
    "new_idempotency_key",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
