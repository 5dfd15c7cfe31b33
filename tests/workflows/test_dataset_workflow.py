"""DatasetWorkflow against mock activities: the build, refits, retention and delete, and their races.

Each test runs the real workflow on the local dev server and asserts on what it publishes (memo and
search attributes, as the API reads them through describe()) and on which activities ran how often.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from temporalio.api.enums.v1 import PendingActivityState
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError, WorkflowUpdateStage
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from simulacra.workflows.contracts import (
    CLEAN,
    DELETE_UPDATE,
    DISCOVER,
    EXPIRE,
    FIT,
    REFIT_UPDATE,
    RETENTION_UPDATE,
    ExpireInput,
    RefitRequest,
    RetentionChange,
)
from tests.workflows.conftest import Run
from tests.workflows.support import (
    TENANT,
    Mocks,
    ended,
    has,
    in_seconds,
    mocked_worker,
    pending_activities,
    published,
    published_until,
    start_dataset,
)

GRAPH = {"nodes": ["discount", "churned"], "edges": [["discount", "churned"]]}
# Short enough to wait for, long enough that the mock build is done well before it.
SOON = 2.0


async def refused(handle: WorkflowHandle[Any, Any], update: str, *args: Any) -> str:
    """Send an update the validator should refuse; return the simio_* type it refused it with."""
    with pytest.raises(WorkflowUpdateFailedError) as refusal:
        await handle.execute_update(update, *args)
    cause = refusal.value.cause
    assert isinstance(cause, ApplicationError)
    return cause.type or ""


async def ready(handle: WorkflowHandle[Any, Any], model_version: int = 1) -> dict[str, Any]:
    return await published_until(handle, has(status="ready", stage="ready", model_version=model_version))


async def delete(handle: WorkflowHandle[Any, Any]) -> None:
    """Delete as the API does, and check the workflow then ends on its own."""
    await handle.execute_update(DELETE_UPDATE)
    await ended(handle)


def test_build_publishes_each_result_then_delete_removes_the_dataset_once(
    run: Run[None], temporal: Client, task_queue: str
) -> None:
    async def scenario() -> None:
        mocks = Mocks()
        async with mocked_worker(temporal, task_queue, mocks):
            handle = await start_dataset(temporal, task_queue)
            state = await ready(handle)
            assert state["search"] == {"status": "ready", "stage": "ready"}
            assert (state["row_count"], state["column_count"], state["edge_count"]) == (120, 4, 3)
            assert state["progress"] == 1.0 and "ready_at" in state
            assert [mocks.count(name) for name in (CLEAN, DISCOVER, FIT, EXPIRE)] == [1, 1, 1, 0]

            await handle.execute_update(DELETE_UPDATE)
            # DELETE returns only once storage is clean: the expire activity has run by then.
            assert mocks.count(EXPIRE) == 1
            state = await published(handle)
            assert has(status="deleted", stage="removed")(state) and "removed_at" in state
            assert state["search"] == {"status": "deleted", "stage": "removed"}
            await ended(handle)
            dataset_id = handle.id.rsplit("/", 1)[-1]
            assert mocks.calls[EXPIRE] == [ExpireInput(tenant_id=TENANT, dataset_id=dataset_id)]

    run(scenario())


def test_delete_during_the_build_cancels_it_and_removes_only_after_the_engine_stopped(
    run: Run[None], temporal: Client, task_queue: str
) -> None:
    async def scenario() -> None:
        mocks = Mocks()
        mocks.hold(CLEAN)
        stop_writing = mocks.linger(CLEAN)
        async with mocked_worker(temporal, task_queue, mocks):
            handle = await start_dataset(temporal, task_queue)
            await mocks.called(CLEAN)
            deleting = await handle.start_update(DELETE_UPDATE, wait_for_stage=WorkflowUpdateStage.ACCEPTED)
            # Readers see the dataset gone at once, before anything is removed.
            await published_until(handle, has(status="deleted", stage="removing"))
            await mocks.until_cancelled(CLEAN)
            # The server has recorded the cancel request; the engine step is still finishing its write,
            # so nothing may have been scheduled to remove the files yet.
            pending = await pending_activities(handle)
            assert pending == {CLEAN: PendingActivityState.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED}
            assert mocks.count(EXPIRE) == 0

            stop_writing.set()
            await deleting.result()
            assert mocks.log == [CLEAN, f"{CLEAN} cancelled", f"{CLEAN} stopped", EXPIRE]
            # The cancelled build published nothing (no "failed" over the "deleted").
            assert has(status="deleted", stage="removed")(await published(handle))
            await ended(handle)
            assert [mocks.count(name) for name in (CLEAN, DISCOVER, FIT, EXPIRE)] == [1, 0, 0, 1]

    run(scenario())


def test_refit_on_a_ready_dataset_publishes_the_next_model_version(
    run: Run[None], temporal: Client, task_queue: str
) -> None:
    async def scenario() -> None:
        mocks = Mocks()
        async with mocked_worker(temporal, task_queue, mocks):
            handle = await start_dataset(temporal, task_queue)
            await ready(handle)
            release = mocks.hold(FIT)

            version = await handle.execute_update(
                REFIT_UPDATE, RefitRequest(base_version=1, graph=GRAPH), result_type=int
            )
            assert version == 2
            # While it fits, the dataset keeps serving version 1.
            state = await published_until(handle, has(stage="refitting"))
            assert (state["status"], state["model_version"]) == ("ready", 1)
            await mocks.called(FIT, 2)
            refit = mocks.calls[FIT][1]
            assert (refit.model_version, refit.graph) == (2, GRAPH)

            release.set()
            state = await ready(handle, model_version=2)
            assert state["search"] == {"status": "ready", "stage": "ready"}
            assert state.get("refit_error") is None
            assert mocks.count(FIT) == 2
            await delete(handle)

    run(scenario())


def test_refit_is_refused_while_another_refit_runs(run: Run[None], temporal: Client, task_queue: str) -> None:
    async def scenario() -> None:
        mocks = Mocks()
        async with mocked_worker(temporal, task_queue, mocks):
            handle = await start_dataset(temporal, task_queue)
            await ready(handle)
            release = mocks.hold(FIT)
            await handle.execute_update(REFIT_UPDATE, RefitRequest(base_version=1, graph=GRAPH), result_type=int)

            # The same base version, so only "busy" can refuse it.
            assert await refused(handle, REFIT_UPDATE, RefitRequest(base_version=1, graph=GRAPH)) == (
                "simio_dataset_not_ready"
            )
            release.set()
            await ready(handle, model_version=2)
            assert mocks.count(FIT) == 2
            await delete(handle)

    run(scenario())


def test_refit_on_a_stale_base_version_is_refused(run: Run[None], temporal: Client, task_queue: str) -> None:
    async def scenario() -> None:
        mocks = Mocks()
        async with mocked_worker(temporal, task_queue, mocks):
            handle = await start_dataset(temporal, task_queue)
            await ready(handle)
            await handle.execute_update(REFIT_UPDATE, RefitRequest(base_version=1, graph=GRAPH), result_type=int)
            await ready(handle, model_version=2)

            # A second editor who read version 1 must not overwrite version 2.
            stale = RefitRequest(base_version=1, graph={"nodes": [], "edges": []})
            assert await refused(handle, REFIT_UPDATE, stale) == "simio_graph_version_conflict"
            assert (await published(handle))["model_version"] == 2
            assert mocks.count(FIT) == 2
            # The current base is still accepted.
            current = RefitRequest(base_version=2, graph=GRAPH)
            assert await handle.execute_update(REFIT_UPDATE, current, result_type=int) == 3
            await ready(handle, model_version=3)
            await delete(handle)

    run(scenario())


def test_refit_is_refused_before_the_dataset_is_ready(run: Run[None], temporal: Client, task_queue: str) -> None:
    async def scenario() -> None:
        mocks = Mocks()
        release = mocks.hold(DISCOVER)
        async with mocked_worker(temporal, task_queue, mocks):
            handle = await start_dataset(temporal, task_queue)
            await mocks.called(DISCOVER)
            refit = RefitRequest(base_version=1, graph=GRAPH)
            assert await refused(handle, REFIT_UPDATE, refit) == "simio_dataset_not_ready"
            release.set()
            await ready(handle)
            assert mocks.count(FIT) == 1
            await delete(handle)

    run(scenario())


def test_failed_refit_keeps_serving_the_previous_version(run: Run[None], temporal: Client, task_queue: str) -> None:
    async def scenario() -> None:
        mocks = Mocks()
        async with mocked_worker(temporal, task_queue, mocks):
            handle = await start_dataset(temporal, task_queue)
            await ready(handle)
            mocks.fail(
                FIT, ApplicationError("the edited graph has a cycle", type="simio_invalid_field", non_retryable=True)
            )
            await handle.execute_update(REFIT_UPDATE, RefitRequest(base_version=1, graph=GRAPH), result_type=int)

            state = await published_until(handle, lambda state: state.get("refit_error") is not None)
            assert has(status="ready", stage="ready", model_version=1)(state)
            assert state["refit_error"] == {
                "error_code": "simio_invalid_field",
                "error_message": "the edited graph has a cycle",
            }
            # The failed refit no longer counts as running: the next one is accepted, on version 1.
            assert (
                await handle.execute_update(REFIT_UPDATE, RefitRequest(base_version=1, graph=GRAPH), result_type=int)
                == 2
            )
            state = await ready(handle, model_version=2)
            assert state.get("refit_error") is None
            await delete(handle)

    run(scenario())


def test_delete_during_a_refit_waits_for_the_fit_then_removes_once(
    run: Run[None], temporal: Client, task_queue: str
) -> None:
    async def scenario() -> None:
        mocks = Mocks()
        async with mocked_worker(temporal, task_queue, mocks):
            handle = await start_dataset(temporal, task_queue)
            await ready(handle)
            release = mocks.hold(FIT)
            await handle.execute_update(REFIT_UPDATE, RefitRequest(base_version=1, graph=GRAPH), result_type=int)
            await mocks.called(FIT, 2)

            deleting = await handle.start_update(DELETE_UPDATE, wait_for_stage=WorkflowUpdateStage.ACCEPTED)
            await published_until(handle, has(status="deleted", stage="removing"))
            # The refit is writing version 2's files: removal waits for it rather than racing it.
            assert EXPIRE not in await pending_activities(handle)
            assert mocks.count(EXPIRE) == 0

            release.set()
            await deleting.result()
            assert mocks.log[-2:] == [FIT, EXPIRE]
            state = await published(handle)
            # The refit that ended after the delete did not bring the dataset back as "ready".
            assert has(status="deleted", stage="removed", model_version=1)(state)
            await ended(handle)
            assert mocks.count(EXPIRE) == 1

    run(scenario())


def test_set_retention_rearms_the_timer_and_expiry_removes_once(
    run: Run[None], temporal: Client, task_queue: str
) -> None:
    async def scenario() -> None:
        mocks = Mocks()
        async with mocked_worker(temporal, task_queue, mocks):
            # Created with an hour to live: only the re-armed timer can expire it during the test.
            handle = await start_dataset(temporal, task_queue, expires_in=3600)
            await ready(handle)
            expires_at = in_seconds(SOON)
            await handle.execute_update(RETENTION_UPDATE, RetentionChange(expires_at=expires_at, retention_hours=1))
            state = await published(handle)
            assert (state["expires_at"], state["retention_hours"]) == (expires_at.isoformat(), 1)

            await ended(handle)
            state = await published(handle)
            assert has(status="expired", stage="removed")(state)
            assert state["search"] == {"status": "expired", "stage": "removed"}
            assert datetime.fromisoformat(state["removed_at"]) >= expires_at - timedelta(seconds=1)
            assert mocks.count(EXPIRE) == 1

    run(scenario())


def test_delete_while_expiry_removes_the_dataset_expires_it_once(
    run: Run[None], temporal: Client, task_queue: str
) -> None:
    async def scenario() -> None:
        mocks = Mocks()
        release = mocks.hold(EXPIRE)
        async with mocked_worker(temporal, task_queue, mocks):
            handle = await start_dataset(temporal, task_queue, expires_in=SOON)
            await mocks.called(EXPIRE)
            assert has(status="expired", stage="removing")(await published(handle))

            deleting = await handle.start_update(DELETE_UPDATE, wait_for_stage=WorkflowUpdateStage.ACCEPTED)
            # Too late to keep it longer: the retention cannot be changed once removal began.
            change = RetentionChange(expires_at=in_seconds(3600), retention_hours=2)
            assert await refused(handle, RETENTION_UPDATE, change) == "simio_dataset_not_found"

            release.set()
            await deleting.result()
            await ended(handle)
            # The delete joined the removal under way instead of starting another.
            assert mocks.count(EXPIRE) == 1
            assert has(status="deleted", stage="removed")(await published(handle))

    run(scenario())


def test_delete_after_expiry_finds_no_dataset(run: Run[None], temporal: Client, task_queue: str) -> None:
    async def scenario() -> None:
        mocks = Mocks()
        async with mocked_worker(temporal, task_queue, mocks):
            handle = await start_dataset(temporal, task_queue, expires_in=SOON)
            await ended(handle)
            assert has(status="expired", stage="removed")(await published(handle))

            # The workflow has ended: the server answers NOT_FOUND, which the API turns into a 404.
            with pytest.raises(RPCError) as gone:
                await handle.execute_update(DELETE_UPDATE)
            assert gone.value.status == RPCStatusCode.NOT_FOUND
            assert mocks.count(EXPIRE) == 1
            assert has(status="expired", stage="removed")(await published(handle))

    run(scenario())


def test_failed_build_publishes_its_code_refuses_refits_and_still_expires(
    run: Run[None], temporal: Client, task_queue: str
) -> None:
    async def scenario() -> None:
        mocks = Mocks()
        # What activities/engine_activities.py raises for an EngineInputError: not retried.
        mocks.fail(CLEAN, ApplicationError("no header row", type="simio_upload_invalid", non_retryable=True))
        async with mocked_worker(temporal, task_queue, mocks):
            handle = await start_dataset(temporal, task_queue, expires_in=3600)
            state = await published_until(handle, has(status="failed"))
            assert has(stage="failed", error_code="simio_upload_invalid", error_message="no header row")(state)
            assert state["search"] == {"status": "failed", "stage": "failed"}
            assert await refused(handle, REFIT_UPDATE, RefitRequest(base_version=1, graph=GRAPH)) == (
                "simio_dataset_not_ready"
            )

            # A failed upload is still held for its retention (and can be shortened), then removed.
            change = RetentionChange(expires_at=in_seconds(SOON), retention_hours=1)
            await handle.execute_update(RETENTION_UPDATE, change)
            await ended(handle)
            assert has(status="expired", stage="removed")(await published(handle))
            assert [mocks.count(name) for name in (CLEAN, DISCOVER, FIT, EXPIRE)] == [1, 0, 0, 1]

    run(scenario())


def test_retention_set_during_the_build_is_the_one_that_counts(
    run: Run[None], temporal: Client, task_queue: str
) -> None:
    async def scenario() -> None:
        mocks = Mocks()
        release = mocks.hold(CLEAN)
        async with mocked_worker(temporal, task_queue, mocks):
            handle = await start_dataset(temporal, task_queue, expires_in=3600)
            await mocks.called(CLEAN)
            expires_at = in_seconds(SOON)
            await handle.execute_update(RETENTION_UPDATE, RetentionChange(expires_at=expires_at, retention_hours=1))
            release.set()
            # Not the hour the workflow was started with: the change made while it built.
            await ended(handle)
            assert has(status="expired", stage="removed")(await published(handle))
            assert mocks.count(EXPIRE) == 1

    run(scenario())
