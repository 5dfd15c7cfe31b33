"""The retention backstop: remove stored objects whose workflow no longer holds them.

Timers inside each workflow do the removal normally; this finds what they miss (a workflow
terminated from the UI, an API that crashed between upload and start) by walking storage, and tells
webhooks of each dataset it removes (`dataset.expired`), as the dataset's workflow would have. Inside
what it keeps, it removes half-written objects whose writer died (a worker or API killed mid-write):
the retried attempt wrote the object again under its own partial name.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from temporalio import activity
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from simulacra.infra import layout
from simulacra.infra.storage import Storage
from simulacra.workflows.contracts import (
    MAX_RETENTION_HOURS,
    SWEEP,
    WEBHOOK_EVENT_WORKFLOW,
    SweepResult,
    WebhookEvent,
    dataset_workflow_id,
    generation_workflow_id,
    webhook_event_id,
    webhook_event_workflow_id,
)

# Anything written this recently may belong to a request still in progress: leave it alone.
GRACE_SECONDS = 3600
# A staged upload belongs to no workflow by name, and a queued dataset may wait for its clean step
# (which removes it) for as long as the longest retention.
STAGED_GRACE_SECONDS = MAX_RETENTION_HOURS * 3600
GONE = {"expired", "deleted"}


@dataclass(frozen=True)
class _Resource:
    prefix: str
    workflow_id: str
    staged: bool = False
    dataset_id: str | None = None  # a dataset's removal is told to webhooks


class SweepActivities:
    def __init__(self, client: Client, storage: Storage, grace_seconds: float = GRACE_SECONDS) -> None:
        self._client = client
        self._storage = storage
        self._grace_seconds = grace_seconds

    @activity.defn(name=SWEEP)
    async def sweep(self) -> SweepResult:
        removed: list[str] = []
        now = time.time()
        for tenant_id in await asyncio.to_thread(self._storage.children, "tenants"):
            for resource in await asyncio.to_thread(self._resources, tenant_id):
                activity.heartbeat(resource.prefix)
                newest = await asyncio.to_thread(self._storage.newest_write, resource.prefix)
                cutoff = now - (STAGED_GRACE_SECONDS if resource.staged else self._grace_seconds)
                if newest is None or newest > cutoff or await self._held(resource.workflow_id):
                    removed += await asyncio.to_thread(self._drop_partials, resource.prefix, now - self._grace_seconds)
                    continue
                await asyncio.to_thread(self._storage.delete_prefix, resource.prefix)
                removed.append(resource.prefix)
                if resource.dataset_id is not None:
                    await self._tell_expired(tenant_id, resource.dataset_id)
        return SweepResult(removed=removed)

    def _resources(self, tenant_id: str) -> list[_Resource]:
        datasets = self._storage.children(f"tenants/{tenant_id}/datasets")
        generations = self._storage.children(f"tenants/{tenant_id}/generations")
        staged = self._storage.children(f"tenants/{tenant_id}/staging")
        return [
            *(
                _Resource(layout.dataset_prefix(tenant_id, d), dataset_workflow_id(tenant_id, d), dataset_id=d)
                for d in datasets
            ),
            *(
                _Resource(layout.generation_prefix(tenant_id, g), generation_workflow_id(tenant_id, g))
                for g in generations
            ),
            *(_Resource(layout.staging_key(tenant_id, s), "", staged=True) for s in staged),
        ]

    async def _tell_expired(self, tenant_id: str, dataset_id: str) -> None:
        """`dataset.expired`, under the id its own workflow would have used: if that workflow told it
        already (or an earlier sweep did), the start is refused and nothing is sent twice."""
        event_id = webhook_event_id(tenant_id, dataset_id, "dataset.expired")
        event = WebhookEvent(
            event_id=event_id,
            tenant_id=tenant_id,
            type="dataset.expired",
            timestamp=datetime.now(UTC),
            data={"dataset_id": dataset_id},
        )
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await self._client.start_workflow(
                WEBHOOK_EVENT_WORKFLOW,
                event,
                id=webhook_event_workflow_id(tenant_id, event_id),
                task_queue=activity.info().task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )

    def _drop_partials(self, prefix: str, written_before: float) -> list[str]:
        stale = self._storage.stale_partials(prefix, written_before)
        for key in stale:
            self._storage.delete_prefix(key)
        return stale

    async def _held(self, workflow_id: str) -> bool:
        """True while a running workflow still keeps this resource (it will remove it itself)."""
        if not workflow_id:
            return False
        try:
            description = await self._client.get_workflow_handle(workflow_id).describe()
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                return False
            raise
        if description.status != WorkflowExecutionStatus.RUNNING:
            return False
        return (await description.memo()).get("status") not in GONE
