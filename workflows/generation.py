"""GenerationWorkflow: sample under conditions, write the artifact, keep it until retention, then expire."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import GENERATE, GENERATION_WORKFLOW, ExpireInput, GenerationInput, GenerationResult
    from workflows.policies import engine_step
    from workflows.publish import error_fields, publish
    from workflows.retention import hold_until_expiry


@workflow.defn(name=GENERATION_WORKFLOW)
class GenerationWorkflow:
    def __init__(self) -> None:
        self._deleted = False

    @workflow.signal
    def delete(self) -> None:
        self._deleted = True

    @workflow.run
    async def run(self, job: GenerationInput) -> None:
        publish("running", "sampling", 0.0)
        try:
            result = await engine_step(GENERATE, job, GenerationResult)
            complete = result.conditions_met and result.rows_generated == job.row_count
            publish(
                "ready" if complete else "partial",
                "ready",
                1.0,
                rows_generated=result.rows_generated,
                ready_at=workflow.now().isoformat(),
            )
        except ActivityError as exc:
            publish("failed", "failed", 1.0, **error_fields(exc))

        target = ExpireInput(tenant_id=job.tenant_id, dataset_id=job.dataset_id, generation_id=job.generation_id)
        await hold_until_expiry(lambda: self._deleted, job.retention_hours, target)
