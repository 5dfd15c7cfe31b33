"""GenerationWorkflow: sample under conditions (one engine job, or shards combined into one artifact), hold
the artifact until retention, then remove it."""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from simulacra.workflows.contracts import (
        COMBINE_SHARDS,
        DELETE_UPDATE,
        GENERATE,
        GENERATE_SHARD,
        GENERATION_WORKFLOW,
        SETTLE_USAGE,
        ExpireInput,
        GenerationInput,
        GenerationResult,
        ShardInput,
        ShardResult,
        UsageSettlement,
    )
    from simulacra.workflows.lifecycle import Lifecycle
    from simulacra.workflows.policies import engine_step, io_step
    from simulacra.workflows.publish import error_fields

# Since 2026-11-29 a generation settles its usage exactly once, and a delete never cuts a settlement
# short: before, a delete during a settlement started a second one (billing by whichever landed last)
# or, after a failure, failed the workflow. Workflows started before keep the old path on replay.
SETTLES_ONCE = "generation-settles-once"
# Sharding needs no patch: a generation runs as shards only when its input names a shard size it exceeds,
# and inputs from before sharding name none, so a workflow started before takes the one-job path on replay.
# Share of the progress bar the shards fill; combining them into the artifact fills the rest.
SHARDS_PROGRESS = 0.95


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
            if job.shard_count > 1:
                result = await self._sharded(job)
            else:
                result = await engine_step(GENERATE, job, GenerationResult)
        except ActivityError as exc:  # failed, or cancelled by a delete: nothing made, the reservation goes
            await self._settle_once(job, 0)
            publish("failed", "failed", 1.0, **error_fields(exc))
            return
        except asyncio.CancelledError:  # a delete while shards ran (each stopped first): nothing delivered
            await self._settle_once(job, 0)
            raise
        # Bill before telling the client the rows are ready: what was made is what is counted.
        await self._settle_once(job, result.rows_generated)
        self._publish_made(job, result)

    async def _sharded(self, job: GenerationInput) -> GenerationResult:
        """Shards run as separate engine activities, at most parallel_shards at once, each retried on its own;
        then one activity streams them into the artifact. A shard's failure stops new ones from starting."""
        waiting = list(range(job.shard_count))
        failures: list[ActivityError] = []
        done = {"shards": 0, "rows": 0}

        async def runner() -> None:
            while waiting and not failures:
                shard = ShardInput(job=job, index=waiting.pop(0))
                try:
                    made = await engine_step(GENERATE_SHARD, shard, ShardResult)
                except ActivityError as exc:
                    failures.append(exc)
                    return
                done["shards"] += 1
                done["rows"] += made.rows_generated
                progress = round(SHARDS_PROGRESS * done["shards"] / job.shard_count, 4)
                self._life.publish("running", "sampling", progress, rows_generated=done["rows"])

        await asyncio.gather(*(runner() for _ in range(max(1, min(job.parallel_shards, job.shard_count)))))
        if failures:
            raise failures[0]
        self._life.publish("running", "combining", SHARDS_PROGRESS, rows_generated=done["rows"])
        return await engine_step(COMBINE_SHARDS, job, GenerationResult)

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
