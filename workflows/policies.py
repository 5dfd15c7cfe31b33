"""How workflows call activities: timeouts and retry policies kept in one place."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.workflow import ActivityCancellationType

T = TypeVar("T")

# The job's own faults (bad input, memory past the limit, an engine error that would repeat) fail at
# once: the activities raise them non-retryable. The machine's faults (a lost worker, a killed engine
# process, I/O) are retried without a count until ENGINE_DEADLINE; a lost worker is noticed after
# ENGINE_HEARTBEAT_TIMEOUT, so a crash costs seconds, not a minute.
ENGINE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=0,
)
ENGINE_HEARTBEAT_TIMEOUT = timedelta(seconds=10)
ENGINE_ATTEMPT_TIMEOUT = timedelta(minutes=30)
ENGINE_DEADLINE = timedelta(hours=6)
IO_RETRY = RetryPolicy(initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=5))


async def engine_step(activity: str, arg: Any, result_type: type[T]) -> T:
    """Long CPU work in the engine: heartbeats prove the worker is alive while it runs."""
    result: T = await workflow.execute_activity(
        activity,
        arg,
        result_type=result_type,
        start_to_close_timeout=ENGINE_ATTEMPT_TIMEOUT,
        schedule_to_close_timeout=ENGINE_DEADLINE,
        heartbeat_timeout=ENGINE_HEARTBEAT_TIMEOUT,
        retry_policy=ENGINE_RETRY,
        # On cancel (a delete during the build) wait until the engine process stopped writing.
        cancellation_type=ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    )
    return result


async def io_step(activity: str, arg: Any) -> None:
    """Short I/O (deleting artifacts, settling usage): idempotent, so retried until it succeeds."""
    await workflow.execute_activity(activity, arg, start_to_close_timeout=timedelta(minutes=5), retry_policy=IO_RETRY)
