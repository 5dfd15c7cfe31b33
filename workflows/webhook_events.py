"""Publish a webhook event from a job's workflow: a child WebhookEventWorkflow, abandoned to run on its own.

The child's id follows from the event, so the event is published once whatever replays. Workflows
started before webhooks existed keep their recorded commands: each emission is behind `workflow.patched`.
"""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

with workflow.unsafe.imports_passed_through():
    from simulacra.workflows.contracts import (
        WEBHOOK_EVENT_WORKFLOW,
        ExpireInput,
        WebhookEvent,
        WebhookEventType,
        job_id_for,
        webhook_event_id,
        webhook_event_workflow_id,
    )

# Since 2026-11-30. Two ids, so a dataset that was built before and expires after the deploy still tells.
JOB_EVENTS = "webhook-job-events"
DATASET_EVENTS = "webhook-dataset-events"
JOB_EVENT_TYPES: dict[str, WebhookEventType] = {
    "ready": "job.succeeded",
    "partial": "job.partial",
    "failed": "job.failed",
}


async def emit_job_end(target: ExpireInput, status: str, error_code: str, error_message: str) -> None:
    """A job ended (ready, partial or failed): `job.succeeded`, `job.partial` or `job.failed`."""
    event_type = JOB_EVENT_TYPES.get(status)
    if event_type is None or not workflow.patched(JOB_EVENTS):
        return
    resource_id = target.generation_id or target.effect_id or target.dataset_id
    kind = "generation" if target.generation_id else "effect" if target.effect_id else "dataset"
    data: dict[str, Any] = {
        "job_id": job_id_for(resource_id),
        "kind": kind,
        "status": status,
        "dataset_id": target.dataset_id,
        f"{kind}_id": resource_id,
        "error": {"code": error_code, "message": error_message} if error_code else None,
    }
    await _emit(target.tenant_id, resource_id, event_type, data)


async def emit_dataset_removed(target: ExpireInput, deleted: bool) -> None:
    """A dataset was removed: `dataset.deleted` (DELETE) or `dataset.expired` (its retention ran out)."""
    if target.generation_id or target.effect_id or not workflow.patched(DATASET_EVENTS):
        return
    event_type: WebhookEventType = "dataset.deleted" if deleted else "dataset.expired"
    await _emit(target.tenant_id, target.dataset_id, event_type, {"dataset_id": target.dataset_id})


async def _emit(tenant_id: str, subject: str, event_type: WebhookEventType, data: dict[str, Any]) -> None:
    event_id = webhook_event_id(tenant_id, subject, event_type)
    event = WebhookEvent(event_id=event_id, tenant_id=tenant_id, type=event_type, timestamp=workflow.now(), data=data)
    try:
        await workflow.start_child_workflow(
            WEBHOOK_EVENT_WORKFLOW,
            event,
            id=webhook_event_workflow_id(tenant_id, event_id),
            # An event is published once: the sweep may announce an expiry its dataset's workflow announces too.
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            # Deliveries go on for a day; the job's workflow may end long before.
            parent_close_policy=workflow.ParentClosePolicy.ABANDON,
        )
    except WorkflowAlreadyStartedError:
        workflow.logger.info("webhook event %s already published", event_id)
