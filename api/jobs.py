"""Read a job's public state from Temporal (describe + memo): works while no worker runs."""

from __future__ import annotations

from dataclasses import dataclass

from temporalio.client import Client, WorkflowExecution, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from simulacra.api.errors import ApiError
from simulacra.api.models import Job, JobError
from simulacra.api.views import Dataset, DatasetValidation
from simulacra.workflows.contracts import Failure, JobMemo, job_id_for

_CLOSED_BADLY = {
    WorkflowExecutionStatus.FAILED,
    WorkflowExecutionStatus.TERMINATED,
    WorkflowExecutionStatus.TIMED_OUT,
    WorkflowExecutionStatus.CANCELED,
}
GONE = frozenset({"expired", "deleted"})
# Terminal states whose rows can be downloaded.
DOWNLOADABLE = frozenset({"ready", "partial"})


@dataclass(frozen=True)
class Snapshot:
    memo: JobMemo
    status: str

    @property
    def gone(self) -> bool:
        return self.status in GONE


async def snapshot(client: Client, workflow_id: str) -> Snapshot | None:
    """None when no such workflow exists (so: not this tenant's, or never created)."""
    try:
        description = await client.get_workflow_handle(workflow_id).describe()
    except RPCError as exc:
        if exc.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.INVALID_ARGUMENT):
            return None
        raise ApiError("simio_service_unavailable", "The job store (Temporal) did not answer.") from None
    return await snapshot_of(description)


async def snapshot_of(execution: WorkflowExecution) -> Snapshot:
    memo = JobMemo.model_validate(await execution.memo())
    status = memo.status
    if execution.status in _CLOSED_BADLY and status not in GONE:
        # The workflow itself died (terminated by an operator, say): report it, without internals.
        if memo.error_code is None:
            memo = memo.model_copy(
                update={"error_code": "simio_internal", "error_message": "The job stopped unexpectedly."}
            )
        status = "failed"
    return Snapshot(memo, status)


async def live_snapshot(client: Client, workflow_id: str, kind: str) -> Snapshot | None:
    """The resource's state, or None when it is not this tenant's, never existed, expired or was deleted."""
    snap = await snapshot(client, workflow_id)
    return None if snap is None or snap.gone or snap.memo.kind != kind else snap


def job_view(snap: Snapshot, artifact_url: str | None = None, artifact_expires_at: str | None = None) -> Job:
    memo = snap.memo
    return Job(
        job_id=job_id_for(memo.resource_id),
        kind=memo.kind,
        status=snap.status,
        stage=memo.stage,
        progress=memo.progress,
        created_at=memo.created_at,
        updated_at=memo.updated_at,
        dataset_id=memo.dataset_id,
        generation_id=memo.generation_id,
        effect_id=memo.effect_id,
        error=_error(memo.failure),
        rows_requested=memo.rows_requested,
        rows_generated=memo.rows_generated,
        artifact_url=artifact_url,
        artifact_expires_at=artifact_expires_at,
        poll_interval_seconds=1.0 if snap.status in ("queued", "running") else 0.0,
    )


def _error(failure: Failure | None) -> JobError | None:
    return JobError(code=failure.error_code, message=failure.error_message) if failure else None


def dataset_view(snap: Snapshot, validation: DatasetValidation | None = None) -> Dataset:
    """The dataset; ``validation`` is its current model version's report, read from storage by the caller."""
    memo = snap.memo
    return Dataset(
        dataset_id=memo.dataset_id,
        job_id=job_id_for(memo.dataset_id),
        status=snap.status,
        stage=memo.stage,
        filename=memo.filename,
        size_bytes=memo.size_bytes,
        row_count=memo.row_count,
        column_count=memo.column_count,
        created_at=memo.created_at,
        ready_at=memo.ready_at,
        expires_at=memo.expires_at,
        retention_hours=memo.retention_hours,
        error=_error(memo.failure),
        model_version=memo.model_version,
        refit_error=_error(memo.refit_error),
        validation=validation,
    )
