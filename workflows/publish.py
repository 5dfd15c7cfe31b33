"""Publish a job's public state as memo + search attributes, so the API answers from describe()."""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from simulacra.workflows.contracts import JOB_STATUS, STAGE


def publish(status: str, stage: str, progress: float, **fields: Any) -> None:
    workflow.upsert_memo(
        {"status": status, "stage": stage, "progress": progress, "updated_at": workflow.now().isoformat(), **fields}
    )
    workflow.upsert_search_attributes([STAGE.value_set(stage), JOB_STATUS.value_set(status)])


def error_fields(exc: ActivityError) -> dict[str, str]:
    """Bad input keeps its simio_* code and message; anything else is internal and says nothing more."""
    cause = exc.cause
    if isinstance(cause, ApplicationError) and (cause.type or "").startswith("simio_"):
        return {"error_code": cause.type or "", "error_message": cause.message}
    return {
        "error_code": "simio_internal",
        "error_message": "The job failed unexpectedly; retrying the request may help.",
    }
