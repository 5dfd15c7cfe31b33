"""RetentionSweepWorkflow: run by a Temporal Schedule, removes what the per-resource timers missed."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from simulacra.workflows.contracts import SWEEP, SWEEP_WORKFLOW, SweepResult
    from simulacra.workflows.policies import IO_RETRY


@workflow.defn(name=SWEEP_WORKFLOW)
class RetentionSweepWorkflow:
    @workflow.run
    async def run(self) -> SweepResult:
        result: SweepResult = await workflow.execute_activity(
            SWEEP,
            result_type=SweepResult,
            start_to_close_timeout=timedelta(hours=1),
            heartbeat_timeout=timedelta(minutes=2),
            retry_policy=IO_RETRY,
        )
        return result
