"""GenerationWorkflow against mock activities: retries, errors, billing, and a delete during sampling.

Usage is what a tenant pays for, so every test checks that the generation settled exactly once, and with what.
"""

from __future__ import annotations

from typing import Any

from temporalio.client import Client, WorkflowHandle, WorkflowUpdateStage
from temporalio.exceptions import ApplicationError

from simulacra.workflows.contracts import DELETE_UPDATE, EXPIRE, GENERATE, SETTLE_USAGE, GenerationResult
from tests.workflows.conftest import Run
from tests.workflows.support import Mocks, ended, has, mocked_worker, published, published_until, start_generation

ROWS = 500  # what start_generation asks for


def settled(mocks: Mocks) -> list[int]:
    """The rows each settle_usage call billed, in order."""
    return [settlement.rows_generated for settlement in mocks.calls[SETTLE_USAGE]]


async def delete(handle: WorkflowHandle[Any, Any]) -> None:
    await handle.execute_update(DELETE_UPDATE)
    await ended(handle)


def test_transient_failure_is_retried_then_ready_and_settled_once(
    run: Run[None], temporal: Client, task_queue: str
) -> None:
    async def scenario() -> None:
        mocks = Mocks()
        # A lost engine process, three times: a machine fault, so ENGINE_RETRY goes on past any fixed count.
        mocks.fail(GENERATE, *(RuntimeError("engine process died") for _ in range(3)))
        async with mocked_worker(temporal, task_queue, mocks):
            handle = await start_generation(temporal, task_queue)
            state = await published_until(handle, has(stage="ready"))
            assert has(status="ready", progress=1.0, rows_generated=ROWS)(state)
            assert state["search"] == {"status": "ready", "stage": "ready"}
            assert "error_code" not in state
            assert mocks.count(GENERATE) == 4
            # Billed once, for what the successful attempt made, not once per attempt.
            assert settled(mocks) == [ROWS]
            assert mocks.calls[SETTLE_USAGE][0].generation_id == handle.id.rsplit("/", 1)[-1]
            await delete(handle)
            assert settled(mocks) == [ROWS] and mocks.count(EXPIRE) == 1

    run(scenario())


def test_non_retryable_simio_error_fails_the_job_with_its_code(
    run: Run[None], temporal: Client, task_queue: str
) -> None:
    async def scenario() -> None:
        mocks = Mocks()
        # What activities/engine_activities.py raises for an EngineInputError.
        mocks.fail(
            GENERATE,
            ApplicationError("condition on unknown column 'discount'", type="simio_invalid_field", non_retryable=True),
        )
        async with mocked_worker(temporal, task_queue, mocks):
            handle = await start_generation(temporal, task_queue)
            state = await published_until(handle, has(status="failed"))
            assert has(stage="failed", error_code="simio_invalid_field")(state)
            assert state["error_message"] == "condition on unknown column 'discount'"
            assert state["search"] == {"status": "failed", "stage": "failed"}
            assert mocks.count(GENERATE) == 1  # bad input is not retried
            # Nothing made, nothing billed: the reservation is released with a settlement of 0.
            assert settled(mocks) == [0]
            await delete(handle)
            assert settled(mocks) == [0]

    run(scenario())


def test_unexpected_error_is_published_as_internal_without_its_message(
    run: Run[None], temporal: Client, task_queue: str
) -> None:
    async def scenario() -> None:
        mocks = Mocks()
        mocks.fail(GENERATE, ApplicationError("KeyError: '/srv/keys/tenant_test'", type="KeyError", non_retryable=True))
        async with mocked_worker(temporal, task_queue, mocks):
            handle = await start_generation(temporal, task_queue)
            state = await published_until(handle, has(status="failed"))
            assert state["error_code"] == "simio_internal"
            assert "/srv/keys" not in state["error_message"]
            assert settled(mocks) == [0]
            await delete(handle)

    run(scenario())


def test_rows_short_of_the_request_publish_partial_and_bill_what_was_made(
    run: Run[None], temporal: Client, task_queue: str
) -> None:
    async def scenario() -> None:
        mocks = Mocks()
        mocks.results[GENERATE] = GenerationResult(rows_generated=320, conditions_met=False)
        async with mocked_worker(temporal, task_queue, mocks):
            handle = await start_generation(temporal, task_queue)
            state = await published_until(handle, has(stage="ready"))
            assert has(status="partial", rows_generated=320)(state)
            assert settled(mocks) == [320]
            await delete(handle)

    run(scenario())


def test_delete_during_sampling_cancels_it_releases_the_reservation_and_removes_once(
    run: Run[None], temporal: Client, task_queue: str
) -> None:
    async def scenario() -> None:
        mocks = Mocks()
        mocks.hold(GENERATE)
        async with mocked_worker(temporal, task_queue, mocks):
            handle = await start_generation(temporal, task_queue)
            await mocks.called(GENERATE)
            deleting = await handle.start_update(DELETE_UPDATE, wait_for_stage=WorkflowUpdateStage.ACCEPTED)
            await deleting.result()
            assert mocks.cancelled[GENERATE] == 1
            assert mocks.log == [GENERATE, f"{GENERATE} cancelled", f"{GENERATE} stopped", SETTLE_USAGE, EXPIRE]
            assert settled(mocks) == [0]
            assert has(status="deleted", stage="removed")(await published(handle))
            await ended(handle)
            assert mocks.count(EXPIRE) == 1

    run(scenario())


# A delete cancels the build wherever it is. Before the generation-settles-once patch, a cancel that
# landed on a settlement (an io_step, cancellation type TRY_CANCEL) raised at once while the activity
# carried on: a second settlement of 0 raced the first, or, after a failure, the workflow failed.


def test_delete_while_a_failed_generation_releases_its_reservation_still_removes_it(
    run: Run[None], temporal: Client, task_queue: str
) -> None:
    async def scenario() -> None:
        mocks = Mocks()
        mocks.fail(GENERATE, ApplicationError("bad conditions", type="simio_invalid_field", non_retryable=True))
        release = mocks.hold(SETTLE_USAGE)
        async with mocked_worker(temporal, task_queue, mocks):
            handle = await start_generation(temporal, task_queue)
            await mocks.called(SETTLE_USAGE)  # settling 0 after the failure
            deleting = await handle.start_update(DELETE_UPDATE, wait_for_stage=WorkflowUpdateStage.ACCEPTED)
            await published_until(handle, has(status="deleted", stage="removing"))
            release.set()
            await deleting.result()
            await ended(handle)
            assert mocks.count(EXPIRE) == 1 and settled(mocks) == [0]
            assert has(status="deleted", stage="removed")(await published(handle))

    run(scenario())


def test_delete_while_usage_is_settled_never_runs_two_settlements_at_once(
    run: Run[None], temporal: Client, task_queue: str
) -> None:
    async def scenario() -> None:
        mocks = Mocks()
        release = mocks.hold(SETTLE_USAGE)
        async with mocked_worker(temporal, task_queue, mocks):
            handle = await start_generation(temporal, task_queue)
            await mocks.called(SETTLE_USAGE)  # settling the 500 rows made
            deleting = await handle.start_update(DELETE_UPDATE, wait_for_stage=WorkflowUpdateStage.ACCEPTED)
            await published_until(handle, has(status="deleted", stage="removing"))
            # Whatever the workflow does after the cancel, it has done it by now (one workflow task).
            release.set()
            await deleting.result()
            await ended(handle)
            assert mocks.most_at_once[SETTLE_USAGE] == 1, f"settlements overlapped: {settled(mocks)}"
            assert mocks.count(EXPIRE) == 1

    run(scenario())
