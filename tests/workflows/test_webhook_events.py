"""Webhook events from the job workflows, and the WebhookEventWorkflow's retries, against mock activities."""

from __future__ import annotations

from temporalio.client import Client, WorkflowUpdateStage
from temporalio.exceptions import ApplicationError

from simulacra.workflows.contracts import (
    CLEAN,
    DELETE_UPDATE,
    DELIVER_WEBHOOK,
    FINISH_WEBHOOK_DELIVERY,
    PLAN_WEBHOOK_DELIVERIES,
    WEBHOOK_ENDPOINT_GONE,
    WEBHOOK_EVENT_WORKFLOW,
    WebhookEvent,
    WebhookPlan,
    WebhookTarget,
    webhook_event_id,
)
from tests.workflows.conftest import Run
from tests.workflows.support import (
    TENANT,
    Mocks,
    ended,
    fake_id,
    in_seconds,
    mocked_worker,
    start_dataset,
    start_generation,
    until,
)


def test_a_failed_dataset_tells_job_failed_then_dataset_expired(
    run: Run[None], temporal: Client, task_queue: str
) -> None:
    async def scenario() -> None:
        mocks = Mocks()
        mocks.fail(CLEAN, ApplicationError("no header row", type="simio_upload_invalid", non_retryable=True))
        async with mocked_worker(temporal, task_queue, mocks):
            handle = await start_dataset(temporal, task_queue, expires_in=1.0)
            await ended(handle)
            await until(lambda: len(mocks.events) == 2, 15, "two events planned")
        dataset_id = handle.id.rsplit("/", 1)[-1]
        failed, expired = mocks.events
        assert failed.type == "job.failed" and expired.type == "dataset.expired"
        assert failed.event_id == webhook_event_id(TENANT, dataset_id, "job.failed")
        assert failed.data == {
            "job_id": f"job_{dataset_id}",
            "kind": "dataset",
            "status": "failed",
            "dataset_id": dataset_id,
            "error": {"code": "simio_upload_invalid", "message": "no header row"},
        }
        assert expired.data == {"dataset_id": dataset_id} and expired.tenant_id == TENANT

    run(scenario())


def test_a_ready_generation_tells_once_and_a_deleted_build_tells_only_its_deletion(
    run: Run[None], temporal: Client, task_queue: str
) -> None:
    async def scenario() -> None:
        mocks = Mocks()
        async with mocked_worker(temporal, task_queue, mocks):
            generation = await start_generation(temporal, task_queue)
            await until(lambda: len(mocks.events) == 1, 15, "job.succeeded planned")
            await generation.execute_update(DELETE_UPDATE)
            await ended(generation)
            mocks.hold(CLEAN)
            dataset = await start_dataset(temporal, task_queue)
            await mocks.called(CLEAN)
            await dataset.start_update(DELETE_UPDATE, wait_for_stage=WorkflowUpdateStage.ACCEPTED)
            await ended(dataset)
            await until(lambda: len(mocks.events) == 2, 15, "dataset.deleted planned")
        succeeded, deleted = mocks.events
        assert succeeded.type == "job.succeeded" and succeeded.data["kind"] == "generation"
        assert succeeded.data["status"] == "ready" and succeeded.data["error"] is None
        # A generation's removal is no dataset event; a dataset deleted mid-build never ended as a job.
        assert deleted.type == "dataset.deleted" and deleted.data == {"dataset_id": dataset.id.rsplit("/", 1)[-1]}

    run(scenario())


def test_deliveries_are_retried_until_they_succeed_and_a_deleted_endpoint_is_given_up(
    run: Run[None], temporal: Client, task_queue: str
) -> None:
    async def scenario() -> None:
        mocks = Mocks()
        retried, gone = (
            WebhookTarget(delivery_id=fake_id("dlv"), endpoint_id=fake_id("whe")),
            WebhookTarget(delivery_id=fake_id("dlv"), endpoint_id=fake_id("whe")),
        )
        mocks.results[PLAN_WEBHOOK_DELIVERIES] = WebhookPlan(
            targets=[retried],
            first_retry_seconds=0.1,
            max_retry_seconds=0.2,
            deadline_seconds=20,
            attempt_timeout_seconds=1,
        )
        mocks.fail(
            DELIVER_WEBHOOK, *(ApplicationError("answered 500", type="webhook_attempt_failed") for _ in range(2))
        )
        event = WebhookEvent(
            event_id=fake_id("evt"), tenant_id=TENANT, type="job.partial", timestamp=in_seconds(0), data={}
        )
        async with mocked_worker(temporal, task_queue, mocks):
            first = await temporal.start_workflow(
                WEBHOOK_EVENT_WORKFLOW, event, id=fake_id("wh"), task_queue=task_queue
            )
            await ended(first)
            assert mocks.count(DELIVER_WEBHOOK) == 3 and mocks.count(FINISH_WEBHOOK_DELIVERY) == 0
            # Every attempt carries the same event (the same webhook-id) to the same delivery.
            assert {(d.event.event_id, d.target.delivery_id) for d in mocks.calls[DELIVER_WEBHOOK]} == {
                (event.event_id, retried.delivery_id)
            }
            mocks.results[PLAN_WEBHOOK_DELIVERIES] = mocks.results[PLAN_WEBHOOK_DELIVERIES].model_copy(
                update={"targets": [gone]}
            )
            mocks.fail(DELIVER_WEBHOOK, ApplicationError("deleted", type=WEBHOOK_ENDPOINT_GONE, non_retryable=True))
            second = await temporal.start_workflow(
                WEBHOOK_EVENT_WORKFLOW, event, id=fake_id("wh"), task_queue=task_queue
            )
            await ended(second)
        assert mocks.count(DELIVER_WEBHOOK) == 4
        assert [outcome.delivery_id for outcome in mocks.calls[FINISH_WEBHOOK_DELIVERY]] == [gone.delivery_id]

    run(scenario())
