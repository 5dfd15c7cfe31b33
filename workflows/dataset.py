"""DatasetWorkflow: clean -> discover -> fit, publish readiness, hold until retention or delete, then remove."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import (
        CLEAN,
        DATASET_WORKFLOW,
        DELETE_UPDATE,
        DISCOVER,
        FIT,
        CleanResult,
        DatasetInput,
        DatasetRef,
        DiscoverResult,
        ExpireInput,
        FitResult,
    )
    from workflows.lifecycle import Lifecycle
    from workflows.policies import engine_step
    from workflows.publish import error_fields


@workflow.defn(name=DATASET_WORKFLOW)
class DatasetWorkflow:
    def __init__(self) -> None:
        self._life = Lifecycle()

    @workflow.update(name=DELETE_UPDATE)
    async def delete(self) -> None:
        await self._life.delete()

    @workflow.run
    async def run(self, job: DatasetInput) -> None:
        ref = DatasetRef(tenant_id=job.tenant_id, dataset_id=job.dataset_id)
        target = ExpireInput(tenant_id=job.tenant_id, dataset_id=job.dataset_id)
        await self._life.run(self._build(ref), job.expires_at, target)

    async def _build(self, ref: DatasetRef) -> None:
        publish = self._life.publish
        try:
            publish("running", "cleaning", 0.0)
            cleaned = await engine_step(CLEAN, ref, CleanResult)
            publish("running", "discovering", 0.3, row_count=cleaned.row_count, column_count=cleaned.column_count)
            discovered = await engine_step(DISCOVER, ref, DiscoverResult)
            publish("running", "fitting", 0.6, edge_count=discovered.edge_count)
            await engine_step(FIT, ref, FitResult)
            publish("ready", "ready", 1.0, ready_at=workflow.now().isoformat())
        except ActivityError as exc:
            publish("failed", "failed", 1.0, **error_fields(exc))
