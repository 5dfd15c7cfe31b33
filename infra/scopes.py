"""The scopes an access token may carry, declared once.

Every other list derives from this one: the scopes a new client gets, OpenAPI's oauth2 scheme, what the
token endpoint accepts, the scopes each operation requires, and the error and agent texts that name them.
It lives in infra because infra (clients, signups, the admin CLI) grants scopes and may not import the API.
"""

from __future__ import annotations

from enum import StrEnum


class Scope(StrEnum):
    # Each member is its wire name and what it grants (published in OpenAPI and /llms-full.txt).
    DATASETS_WRITE = "datasets:write", "Upload datasets, edit their graph and retention, delete them."
    DATASETS_READ = "datasets:read", "Read datasets, their schemas and graphs, and their jobs."
    GENERATIONS_WRITE = "generations:write", "Generate rows and estimate effects."
    GENERATIONS_READ = "generations:read", "Read generations and effects, download rows, and read their jobs."
    WEBHOOKS_WRITE = "webhooks:write", "Create and delete webhook endpoints and rotate their signing secrets."
    WEBHOOKS_READ = "webhooks:read", "Read webhook endpoints and their deliveries."
    ADMIN = "admin", "Read the tenant's audit trail; rotate and revoke the tenant's other clients."

    description: str

    def __new__(cls, value: str, description: str) -> Scope:
        member = str.__new__(cls, value)
        member._value_ = value
        member.description = description
        return member


# A client gets these unless the operator grants `admin` too (`create-client --admin`, or a signup's approval).
DEFAULT_SCOPES: tuple[Scope, ...] = tuple(scope for scope in Scope if scope is not Scope.ADMIN)


_NAMES = frozenset(Scope)


def unknown_scopes(names: list[str] | tuple[str, ...]) -> list[str]:
    """The names that are not a declared scope (a token request may only ask for declared ones)."""
    return [name for name in names if name not in _NAMES]
