"""Worker composition root: the workflows, the activities and their resources on one task queue."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

from opentelemetry import trace
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleSpec,
)
from temporalio.worker import Worker

from simulacra.activities.engine_activities import EngineActivities
from simulacra.activities.isolation import HEARTBEAT_EVERY_SECONDS, EnginePool, memory_limit_bytes
from simulacra.activities.storage_activities import StorageActivities
from simulacra.activities.sweep_activities import SweepActivities
from simulacra.activities.usage_activities import UsageActivities
from simulacra.activities.webhook_activities import WebhookActivities
from simulacra.infra.config import Settings
from simulacra.infra.controldb import ControlDB
from simulacra.infra.key_provider import load_key_provider
from simulacra.infra.storage import open_storage
from simulacra.infra.usage import UsageLedger
from simulacra.infra.webhook_store import WebhookStore
from simulacra.workflows.contracts import SWEEP_SCHEDULE_ID, SWEEP_WORKFLOW
from simulacra.workflows.dataset import DatasetWorkflow
from simulacra.workflows.effects import EffectWorkflow
from simulacra.workflows.generation import GenerationWorkflow
from simulacra.workflows.sweep import RetentionSweepWorkflow
from simulacra.workflows.webhook_delivery import WebhookEventWorkflow

SWEEP_EVERY = timedelta(hours=1)


@contextlib.asynccontextmanager
async def running_worker(
    client: Client, settings: Settings, tracer: trace.Tracer | None = None
) -> AsyncIterator[Worker]:
    """A started worker; leaving the block drains it and stops the engine processes. Workflow and activity spans
    come from the client's interceptors; `tracer` makes the engine's (infra/tracing.py)."""
    limit = memory_limit_bytes(settings.engine_memory_limit_mb, settings.engine_processes)
    pool = EnginePool(settings.engine_processes, memory_limit_bytes=limit)
    storage = open_storage(settings)
    engine = EngineActivities(settings, pool, tracer)
    expiry = StorageActivities(storage)
    sweep = SweepActivities(client, storage)
    db = ControlDB(settings.resolved_control_db)
    usage = UsageActivities(UsageLedger(db))
    webhooks = WebhookActivities(
        WebhookStore(db, load_key_provider(settings), settings.webhook_secret_overlap_seconds), settings
    )
    worker = Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[DatasetWorkflow, GenerationWorkflow, EffectWorkflow, RetentionSweepWorkflow, WebhookEventWorkflow],
        activities=[
            engine.clean,
            engine.discover,
            engine.fit,
            engine.generate,
            engine.generate_shard,
            engine.combine_shards,
            engine.estimate_effect,
            expiry.expire,
            usage.settle,
            sweep.sweep,
            webhooks.plan,
            webhooks.deliver,
            webhooks.give_up,
        ],
        max_concurrent_activities=max(2, settings.engine_processes * 2),
        # Send each heartbeat as it comes (the SDK would hold them for 80% of the timeout): a busy machine
        # then has most of the timeout as slack before a live worker's attempt is taken for lost.
        max_heartbeat_throttle_interval=timedelta(seconds=HEARTBEAT_EVERY_SECONDS),
    )
    try:
        async with worker:
            await ensure_sweep_schedule(client, settings.task_queue)
            yield worker
    finally:
        pool.shutdown()


async def ensure_sweep_schedule(client: Client, task_queue: str) -> None:
    """Every worker may try; the first creates the schedule and the rest find it there."""
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(SWEEP_WORKFLOW, id=f"{SWEEP_SCHEDULE_ID}-run", task_queue=task_queue),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=SWEEP_EVERY)]),
    )
    with contextlib.suppress(ScheduleAlreadyRunningError):
        await client.create_schedule(f"{SWEEP_SCHEDULE_ID}-{task_queue}", schedule)
