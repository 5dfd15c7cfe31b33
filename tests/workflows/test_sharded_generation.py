"""GenerationWorkflow with a generation larger than one shard: fan-out, progress, retries, billing, delete."""

from __future__ import annotations

from collections import Counter

from temporalio.client import Client, WorkflowUpdateStage
from temporalio.exceptions import ApplicationError

from simulacra.workflows.contracts import (
    COMBINE_SHARDS,
    DELETE_UPDATE,
    EXPIRE,
    GENERATE,
    GENERATE_SHARD,
    SETTLE_USAGE,
)
from tests.workflows.conftest import Run
from tests.workflows.support import Mocks, ended, has, mocked_worker, published, published_until, start_generation

SHARDED = {"row_count": 2000, "shard_rows": 500, "parallel_shards": 2}  # four shards, two at a time


def settled(mocks: Mocks) -> list[int]:
    return [settlement.rows_generated for settlement in mocks.calls[SETTLE_USAGE]]


def attempts(mocks: Mocks) -> Counter[int]:
    """How often each shard ran."""
    return Counter(shard.index for shard in mocks.calls[GENERATE_SHARD])


def test_shards_fan_out_up_to_the_width_then_combine_with_progress(
    run: Run[None], temporal: Client, task_queue: str
) -> None:
    async def scenario() -> None:
        mocks = Mocks()
        shards = mocks.hold(GENERATE_SHARD)
        combining = mocks.hold(COMBINE_SHARDS)
        async with mocked_worker(temporal, task_queue, mocks):
            handle = await start_generation(temporal, task_queue, **SHARDED)
            await mocks.called(GENERATE_SHARD, 2)
            assert has(status="running", stage="sampling", progress=0.0)(await published(handle))
            shards.set()
            state = await published_until(handle, has(stage="combining"))
            # Every shard done: their rows are counted, the combine step has the rest of the bar.
            assert has(status="running", progress=0.95, rows_generated=2000)(state)
            assert mocks.most_at_once[GENERATE_SHARD] == 2
            assert attempts(mocks) == Counter({0: 1, 1: 1, 2: 1, 3: 1}) and mocks.count(GENERATE) == 0
            assert settled(mocks) == []
            combining.set()
            state = await published_until(handle, has(stage="ready"))
            assert has(status="ready", progress=1.0, rows_generated=2000)(state)
            assert mocks.count(COMBINE_SHARDS) == 1 and settled(mocks) == [2000]
            await handle.execute_update(DELETE_UPDATE)
            await ended(handle)
            assert settled(mocks) == [2000] and mocks.count(EXPIRE) == 1

    run(scenario())


def test_a_failed_shard_is_retried_alone(run: Run[None], temporal: Client, task_queue: str) -> None:
    async def scenario() -> None:
        mocks = Mocks()
        # A lost worker or engine process on the first shard started: the machine's fault, retried.
        mocks.fail(GENERATE_SHARD, RuntimeError("engine process died"))
        async with mocked_worker(temporal, task_queue, mocks):
            handle = await start_generation(temporal, task_queue, **SHARDED)
            state = await published_until(handle, has(stage="ready"))
            assert has(status="ready", rows_generated=2000)(state)
            counts = attempts(mocks)
            assert sorted(counts.values()) == [1, 1, 1, 2] and set(counts) == {0, 1, 2, 3}
            assert mocks.count(COMBINE_SHARDS) == 1 and settled(mocks) == [2000]
            await handle.execute_update(DELETE_UPDATE)
            await ended(handle)

    run(scenario())


def test_a_shard_refused_fails_the_job_without_combining_or_billing(
    run: Run[None], temporal: Client, task_queue: str
) -> None:
    async def scenario() -> None:
        mocks = Mocks()
        mocks.fail(
            GENERATE_SHARD,
            ApplicationError("more memory than the limit", type="simio_engine_memory_exceeded", non_retryable=True),
        )
        async with mocked_worker(temporal, task_queue, mocks):
            handle = await start_generation(temporal, task_queue, **SHARDED)
            state = await published_until(handle, has(status="failed"))
            assert state["error_code"] == "simio_engine_memory_exceeded"
            # The shard running beside it finishes, and if the workflow hears of that before the failure it
            # starts a third; once it has heard of the failure nothing more starts, so the fourth never runs.
            assert mocks.count(GENERATE_SHARD) in (2, 3) and mocks.count(COMBINE_SHARDS) == 0
            assert settled(mocks) == [0]
            await handle.execute_update(DELETE_UPDATE)
            await ended(handle)

    run(scenario())


def test_delete_while_shards_run_cancels_them_and_releases_the_reservation(
    run: Run[None], temporal: Client, task_queue: str
) -> None:
    async def scenario() -> None:
        mocks = Mocks()
        mocks.hold(GENERATE_SHARD)
        async with mocked_worker(temporal, task_queue, mocks):
            handle = await start_generation(temporal, task_queue, **SHARDED)
            await mocks.called(GENERATE_SHARD, 2)
            deleting = await handle.start_update(DELETE_UPDATE, wait_for_stage=WorkflowUpdateStage.ACCEPTED)
            await deleting.result()
            assert mocks.cancelled[GENERATE_SHARD] == 2 and mocks.count(GENERATE_SHARD) == 2
            # Both shards stopped before the settlement, and the removal came last.
            assert mocks.log[-2:] == [SETTLE_USAGE, EXPIRE]
            assert mocks.count(COMBINE_SHARDS) == 0 and settled(mocks) == [0]
            assert has(status="deleted", stage="removed")(await published(handle))
            await ended(handle)

    run(scenario())
