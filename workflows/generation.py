"""GenerationWorkflow: sample under conditions, write the artifact, hold it until retention, then remove it."""

from __future__ import annotations

import asyncio

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

# Since 2026-11-29 a generation settles its usage exactly once, and a delete never cuts a settlement
# short: before, a delete during a settlement started a second one (billing by whichever landed last)
# or, after a failure, failed the workflow. Workflows started before keep the old path on replay.
SETTLES_ONCE = "generation-settles-once"


@workflow.defn(name=GENERATION_WORKFLOW)
class GenerationWorkflow:
    def __init__(self) -> None:
        self._life = Lifecycle()
        self._settlement: asyncio.Task[None] | None = None

    @workflow.update(name=DELETE_UPDATE)
    async def delete(self) -> None:
        await self._life.delete()

    @workflow.run
    async def run(self, job: GenerationInput) -> None:
        target = ExpireInput(tenant_id=job.tenant_id, dataset_id=job.dataset_id, generation_id=job.generation_id)
        await self._life.run(self._build(job), job.expires_at, target)
        if self._settlement is not None:
            await self._settlement  # a delete may have come while it ran: the rows are billed all the same

    async def _build(self, job: GenerationInput) -> None:
        if not workflow.patched(SETTLES_ONCE):
            await self._build_before_settling_once(job)
            return
        publish = self._life.publish
        publish("running", "sampling", 0.0)
        try:
            result = await engine_step(GENERATE, job, GenerationResult)
        except ActivityError as exc:  # failed, or cancelled by a delete: nothing made, the reservation goes
            await self._settle_once(job, 0)
            publish("failed", "failed", 1.0, **error_fields(exc))
            return
        # Bill before telling the client the rows are ready: what was made is what is counted.
        await self._settle_once(job, result.rows_generated)
        self._publish_made(job, result)

    def _publish_made(self, job: GenerationInput, result: GenerationResult) -> None:
        complete = result.conditions_met and result.rows_generated == job.row_count
        self._life.publish(
            "ready" if complete else "partial",
            "ready",
            1.0,
            rows_generated=result.rows_generated,
            ready_at=workflow.now().isoformat(),
        )

    async def _settle_once(self, job: GenerationInput, rows_generated: int) -> None:
        # Shielded: a delete cancels the build, never the settlement it is waiting for.
        self._settlement = self._settlement or asyncio.ensure_future(self._settle(job, rows_generated))
        await asyncio.shield(self._settlement)

    async def _build_before_settling_once(self, job: GenerationInput) -> None:
        publish = self._life.publish
        try:
            publish("running", "sampling", 0.0)
            result = await engine_step(GENERATE, job, GenerationResult)
            await self._settle(job, result.rows_generated)
            self._publish_made(job, result)
        except ActivityError as exc:
            await self._settle(job, 0)
            publish("failed", "failed", 1.0, **error_fields(exc))

    async def _settle(self, job: GenerationInput, rows_generated: int) -> None:
        settlement = UsageSettlement(
            tenant_id=job.tenant_id, generation_id=job.generation_id, rows_generated=rows_generated
        )
        await io_step(SETTLE_USAGE, settlement)
