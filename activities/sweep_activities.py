"""The retention backstop: remove stored objects whose workflow no longer holds them.

Timers inside each workflow do the removal normally; this finds what they miss (a workflow
terminated from the UI, an API that crashed between upload and start) by walking storage. Inside
what it keeps, it removes half-written objects whose writer died (a worker or API killed mid-write):
the retried attempt wrote the object again under its own partial name.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from temporalio import activity
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from simulacra.infra import layout
from simulacra.infra.storage import Storage
from simulacra.workflows.contracts import (
    MAX_RETENTION_HOURS,
    SWEEP,
    SweepResult,
    dataset_workflow_id,
    generation_workflow_id,
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
        return SweepResult(removed=removed)

    def _resources(self, tenant_id: str) -> list[_Resource]:
        datasets = self._storage.children(f"tenants/{tenant_id}/datasets")
        generations = self._storage.children(f"tenants/{tenant_id}/generations")
        staged = self._storage.children(f"tenants/{tenant_id}/staging")
        return [
            *(_Resource(layout.dataset_prefix(tenant_id, d), dataset_workflow_id(tenant_id, d)) for d in datasets),
            *(
                _Resource(layout.generation_prefix(tenant_id, g), generation_workflow_id(tenant_id, g))
                for g in generations
            ),
            *(_Resource(layout.staging_key(tenant_id, s), "", staged=True) for s in staged),
        ]

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
