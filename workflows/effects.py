"""EffectWorkflow: estimate an average causal effect, hold the result until retention, then remove it.

No usage is settled: an effect makes no rows, so it bills none.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from simulacra.workflows.contracts import (
        DELETE_UPDATE,
        EFFECT_WORKFLOW,
        ESTIMATE_EFFECT,
        EffectInput,
        EffectResult,
        ExpireInput,
    )
    from simulacra.workflows.lifecycle import Lifecycle
    from simulacra.workflows.policies import engine_step
    from simulacra.workflows.publish import error_fields


@workflow.defn(name=EFFECT_WORKFLOW)
class EffectWorkflow:
    def __init__(self) -> None:
        self._life = Lifecycle()

    @workflow.update(name=DELETE_UPDATE)
    async def delete(self) -> None:
        await self._life.delete()

    @workflow.run
    async def run(self, job: EffectInput) -> None:
        target = ExpireInput(tenant_id=job.tenant_id, dataset_id=job.dataset_id, effect_id=job.effect_id)
        await self._life.run(self._build(job), job.expires_at, target)

    async def _build(self, job: EffectInput) -> None:
        publish = self._life.publish
        try:
            publish("running", "estimating", 0.0)
            await engine_step(ESTIMATE_EFFECT, job, EffectResult)
            # The memo stays small: the result (segments, paths, support) is JSON in storage.
            publish("ready", "ready", 1.0, ready_at=workflow.now().isoformat())
        except ActivityError as exc:
            publish("failed", "failed", 1.0, **error_fields(exc))
