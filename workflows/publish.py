"""Publish a job's public state as memo + search attributes, so the API answers from describe()."""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from simulacra.workflows.contracts import JOB_STATUS, STAGE, Failure, JobMemo


def publish(status: str, stage: str, progress: float, **fields: Any) -> None:
    """Publish JobMemo fields (checked against the model) with the job's status, stage and progress."""
    updated_at = workflow.now().isoformat()
    workflow.upsert_memo(
        JobMemo.changes(status=status, stage=stage, progress=progress, updated_at=updated_at, **fields)
    )
    workflow.upsert_search_attributes([STAGE.value_set(stage), JOB_STATUS.value_set(status)])


def failure_of(exc: ActivityError) -> Failure:
    """Bad input keeps its simio_* code and message; anything else is internal and says nothing more."""
    cause = exc.cause
    if isinstance(cause, ApplicationError) and (cause.type or "").startswith("simio_"):
        return Failure(error_code=cause.type or "", error_message=cause.message)
    return Failure(
        error_code="simio_internal", error_message="The job failed unexpectedly; retrying the request may help."
    )


def error_fields(exc: ActivityError) -> dict[str, str]:
    """The failure as the memo's top-level error fields."""
    return failure_of(exc).model_dump()
