"""Worker composition root: the workflows, the activities and their resources on one task queue."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from temporalio.client import Client
from temporalio.worker import Worker

from activities.engine_activities import EngineActivities
from activities.isolation import EnginePool
from activities.storage_activities import StorageActivities
from activities.usage_activities import UsageActivities
from infra.config import Settings
from infra.controldb import ControlDB
from infra.storage import Storage
from infra.usage import UsageLedger
from workflows.dataset import DatasetWorkflow
from workflows.generation import GenerationWorkflow


@contextlib.asynccontextmanager
async def running_worker(client: Client, settings: Settings) -> AsyncIterator[Worker]:
    """A started worker; leaving the block drains it and stops the engine processes."""
    pool = EnginePool(settings.engine_processes)
    engine = EngineActivities(settings.resolved_storage_url, pool)
    storage = StorageActivities(Storage(settings.resolved_storage_url))
    usage = UsageActivities(UsageLedger(ControlDB(settings.resolved_control_db)))
    worker = Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[DatasetWorkflow, GenerationWorkflow],
        activities=[engine.clean, engine.discover, engine.fit, engine.generate, storage.expire, usage.settle],
        max_concurrent_activities=max(2, settings.engine_processes * 2),
    )
    try:
        async with worker:
            yield worker
    finally:
        pool.shutdown()
