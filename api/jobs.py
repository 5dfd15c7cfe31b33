"""Read a job's public state from Temporal (describe + memo): works while no worker runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from temporalio.client import Client, WorkflowExecution, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from simulacra.api.errors import ApiError
from simulacra.api.models import Job, JobError
from simulacra.api.views import Dataset
from simulacra.workflows.contracts import job_id_for

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
    memo: dict[str, Any]
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
    memo = dict(await execution.memo())
    status = str(memo.get("status", "queued"))
    if execution.status in _CLOSED_BADLY and status not in GONE:
        # The workflow itself died (terminated by an operator, say): report it, without internals.
        memo.setdefault("error_code", "simio_internal")
        memo.setdefault("error_message", "The job stopped unexpectedly.")
        status = "failed"
    return Snapshot(memo, status)


async def live_snapshot(client: Client, workflow_id: str, kind: str) -> Snapshot | None:
    """The resource's state, or None when it is not this tenant's, never existed, expired or was deleted."""
    snap = await snapshot(client, workflow_id)
    return None if snap is None or snap.gone or snap.memo.get("kind") != kind else snap


def job_view(snap: Snapshot, artifact_url: str | None = None, artifact_expires_at: str | None = None) -> Job:
    memo = snap.memo
    resource_id = memo.get("generation_id") or memo.get("effect_id") or memo["dataset_id"]
    error = _error(memo)
    return Job(
        job_id=job_id_for(resource_id),
        kind=memo["kind"],
        status=snap.status,
        stage=str(memo.get("stage", "queued")),
        progress=float(memo.get("progress", 0.0)),
        created_at=memo.get("created_at"),
        updated_at=memo.get("updated_at"),
        dataset_id=memo["dataset_id"],
        generation_id=memo.get("generation_id"),
        effect_id=memo.get("effect_id"),
        error=error,
        rows_requested=memo.get("rows_requested"),
        rows_generated=memo.get("rows_generated"),
        artifact_url=artifact_url,
        artifact_expires_at=artifact_expires_at,
        poll_interval_seconds=1.0 if snap.status in ("queued", "running") else 0.0,
    )


def _error(memo: dict[str, Any]) -> JobError | None:
    return JobError(code=memo["error_code"], message=memo.get("error_message", "")) if memo.get("error_code") else None


def dataset_view(snap: Snapshot, validation: dict[str, Any] | None = None) -> Dataset:
    """The dataset; ``validation`` is its current model version's report, read from storage by the caller."""
    memo = snap.memo
    return Dataset(
        dataset_id=memo["dataset_id"],
        job_id=job_id_for(memo["dataset_id"]),
        status=snap.status,
        stage=str(memo.get("stage", "queued")),
        filename=memo.get("filename"),
        size_bytes=memo.get("size_bytes"),
        row_count=memo.get("row_count"),
        column_count=memo.get("column_count"),
        created_at=memo.get("created_at"),
        ready_at=memo.get("ready_at"),
        expires_at=memo.get("expires_at"),
        retention_hours=memo.get("retention_hours"),
        error=_error(memo),
        model_version=memo.get("model_version"),
        refit_error=_refit_error(memo),
        validation=validation,
    )


def _refit_error(memo: dict[str, Any]) -> JobError | None:
    failed = memo.get("refit_error")
    return JobError(code=failed["error_code"], message=failed["error_message"]) if failed else None
