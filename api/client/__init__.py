"""A typed Python client for the Simulacra API (docs/client.md). It imports nothing of the server."""

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
