"""How workflows call activities: timeouts and retry policies kept in one place."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.workflow import ActivityCancellationType

T = TypeVar("T")

# Bad input fails fast with its simio_* code; anything else (I/O, a killed worker) is retried.
ENGINE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_attempts=3,
    non_retryable_error_types=["simio_upload_invalid", "simio_invalid_field", "simio_dataset_not_found"],
)
IO_RETRY = RetryPolicy(initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=5))


async def engine_step(activity: str, arg: Any, result_type: type[T]) -> T:
    """Long CPU work in the engine: heartbeats prove the worker is alive while it runs."""
    result: T = await workflow.execute_activity(
        activity,
        arg,
        result_type=result_type,
        start_to_close_timeout=timedelta(minutes=30),
        heartbeat_timeout=timedelta(seconds=60),
        retry_policy=ENGINE_RETRY,
        # On cancel (a delete during the build) wait until the engine process stopped writing.
        cancellation_type=ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    )
    return result


async def io_step(activity: str, arg: Any) -> None:
    """Short I/O (deleting artifacts, settling usage): idempotent, so retried until it succeeds."""
    await workflow.execute_activity(activity, arg, start_to_close_timeout=timedelta(minutes=5), retry_policy=IO_RETRY)
