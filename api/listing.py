"""Cursor pagination over Temporal's visibility store: a tenant's live jobs, newest first."""

from __future__ import annotations

import base64
import binascii
import hmac

from starlette.requests import Request
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from simulacra.api.errors import ApiError
from simulacra.api.jobs import Snapshot, snapshot_of
from simulacra.api.state import app_state
from simulacra.workflows.contracts import DATASET_WORKFLOW, EFFECT_WORKFLOW, GENERATION_WORKFLOW

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
WORKFLOW_TYPES = {"dataset": DATASET_WORKFLOW, "generation": GENERATION_WORKFLOW, "effect": EFFECT_WORKFLOW}
PAGE_QUERY = {
    "limit": "Page size, 1 to 100 (default 20).",
    "cursor": "The `next_cursor` of the previous page; omit for the first page.",
}


MAC_BYTES = 16


def page_request(request: Request, scope: str) -> tuple[int, bytes | None]:
    """`limit` (1..100, default 20) and the opaque `cursor` from a previous page's `next_cursor`."""
    raw_limit = request.query_params.get("limit", str(DEFAULT_LIMIT))
    # Length first: int() refuses (ValueError) a string of more than 4,300 digits.
    too_long = len(raw_limit) > len(str(MAX_LIMIT))
    if too_long or not raw_limit.isascii() or not raw_limit.isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
        raise ApiError(
            "simio_invalid_field",
            f"limit must be an integer from 1 to {MAX_LIMIT}",
            errors=[{"pointer": "/limit", "message": f"an integer from 1 to {MAX_LIMIT}"}],
        )
    cursor = request.query_params.get("cursor")
    if not cursor:
        return int(raw_limit), None
    try:
        raw = base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        raise _unknown_cursor() from None
    mac, token = raw[:MAC_BYTES], raw[MAC_BYTES:]
    if not hmac.compare_digest(mac, _mac(request, scope, token)):
        raise _unknown_cursor()
    return int(raw_limit), token


def _mac(request: Request, scope: str, token: bytes) -> bytes:
    """Cursors are bound to one list of one tenant: another list's or an altered cursor is refused."""
    return app_state(request).signer.mac(scope.encode() + b"\n" + token)[:MAC_BYTES]


def next_cursor(request: Request, scope: str, token: bytes | None) -> str | None:
    if not token:
        return None
    return base64.urlsafe_b64encode(_mac(request, scope, token) + token).decode().rstrip("=")


async def list_jobs(
    client: Client,
    tenant_id: str,
    kinds: tuple[str, ...],
    limit: int,
    cursor: bytes | None,
    dataset_id: str | None = None,
) -> tuple[list[Snapshot], bytes | None]:
    """One page of the tenant's jobs that are not gone (expired or deleted), and Temporal's token for the next."""
    types = ", ".join(f"'{WORKFLOW_TYPES[kind]}'" for kind in kinds)
    # Only our own constants and ids we validated reach the query; tenant ids match [a-z0-9_-].
    query = f"TenantId = '{tenant_id}' AND WorkflowType IN ({types}) AND JobStatus NOT IN ('expired', 'deleted')"
    if dataset_id is not None:
        query += f" AND DatasetId = '{dataset_id}'"
    pages = client.list_workflows(query, page_size=limit, next_page_token=cursor)
    try:
        await pages.fetch_next_page(page_size=limit)
    except RPCError as exc:
        if cursor is not None and exc.status == RPCStatusCode.INVALID_ARGUMENT:
            raise _unknown_cursor() from None
        raise ApiError("simio_service_unavailable", "The job store (Temporal) did not answer.") from exc
    snaps = [await snapshot_of(execution) for execution in pages.current_page or []]
    return snaps, pages.next_page_token


def _unknown_cursor() -> ApiError:
    # Like an unknown id: the page it points to does not exist (Stripe answers 404 for starting_after, too).
    return ApiError(
        "simio_cursor_not_found",
        "This cursor is not one this API returned for this list.",
        errors=[{"pointer": "/cursor", "message": "unknown cursor"}],
    )
