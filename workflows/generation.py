"""GenerationWorkflow: sample under conditions, write the artifact, hold it until retention, then remove it."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from simulacra.workflows.contracts import (
        DELETE_UPDATE,
        GENERATE,
        GENERATION_WORKFLOW,
        SETTLE_USAGE,
        ExpireInput,
        GenerationInput,
        GenerationResult,
        UsageSettlement,
    )
    from simulacra.workflows.lifecycle import Lifecycle
    from simulacra.workflows.policies import engine_step, io_step
    from simulacra.workflows.publish import error_fields


@workflow.defn(name=GENERATION_WORKFLOW)
class GenerationWorkflow:
    def __init__(self) -> None:
        self._life = Lifecycle()

    @workflow.update(name=DELETE_UPDATE)
    async def delete(self) -> None:
        await self._life.delete()

    @workflow.run
    async def run(self, job: GenerationInput) -> None:
        target = ExpireInput(tenant_id=job.tenant_id, dataset_id=job.dataset_id, generation_id=job.generation_id)
        await self._life.run(self._build(job), job.expires_at, target)

    async def _build(self, job: GenerationInput) -> None:
        publish = self._life.publish
        try:
            publish("running", "sampling", 0.0)
            result = await engine_step(GENERATE, job, GenerationResult)
            # Bill before telling the client the rows are ready: what was made is what is counted.
            await self._settle(job, result.rows_generated)
            complete = result.conditions_met and result.rows_generated == job.row_count
            publish(
                "ready" if complete else "partial",
                "ready",
                1.0,
                rows_generated=result.rows_generated,
                ready_at=workflow.now().isoformat(),
            )
        except ActivityError as exc:
            await self._settle(job, 0)
            publish("failed", "failed", 1.0, **error_fields(exc))

    async def _settle(self, job: GenerationInput, rows_generated: int) -> None:
        settlement = UsageSettlement(
            tenant_id=job.tenant_id, generation_id=job.generation_id, rows_generated=rows_generated
        )
        await io_step(SETTLE_USAGE, settlement)
