"""The engine activities sort failures: the job's fail at once with a code, the machine's are retried."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from simulacra.activities.engine_activities import DEATHS_BEFORE_GIVING_UP, EngineActivities
from simulacra.activities.isolation import EnginePool, EngineProcessDied
from simulacra.infra.config import Settings

GIB = 1024**3


def _die(_settings: Settings) -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _allocate(_settings: Settings, gib: int) -> int:
    return len(bytearray(gib * GIB))


def _duckdb_out_of_memory(_settings: Settings) -> None:
    import duckdb

    raise duckdb.OutOfMemoryException("Out of Memory Error: Allocation failure")


def _divide(_settings: Settings) -> float:
    return 1 / 0


@pytest.fixture
def activities(tmp_path: Path) -> EngineActivities:
    pool = EnginePool(1, heartbeat=lambda: None, memory_limit_bytes=4 * GIB)
    yield EngineActivities(Settings(data_dir=tmp_path), pool)
    pool.shutdown()


def test_an_engine_process_killed_again_and_again_fails_the_job_with_the_memory_code(
    activities: EngineActivities,
) -> None:
    env = ActivityEnvironment()
    for _ in range(DEATHS_BEFORE_GIVING_UP - 1):  # retried: a worker's bad luck, not the job's fault
        with pytest.raises(EngineProcessDied):
            asyncio.run(env.run(activities._run, "fit", _die))
    with pytest.raises(ApplicationError) as failed:
        asyncio.run(env.run(activities._run, "fit", _die))
    assert failed.value.type == "simio_engine_memory_exceeded" and failed.value.non_retryable
    assert f"killed {DEATHS_BEFORE_GIVING_UP} times" in failed.value.message


def test_memory_past_the_limit_fails_at_once_and_names_the_limit(activities: EngineActivities) -> None:
    with pytest.raises(ApplicationError) as failed:
        asyncio.run(ActivityEnvironment().run(activities._run, "fit", _allocate, 5))
    assert failed.value.type == "simio_engine_memory_exceeded" and failed.value.non_retryable
    assert "limit of 4096 MiB" in failed.value.message


def test_duckdb_out_of_memory_fails_with_the_memory_code_not_as_a_fault(activities: EngineActivities) -> None:
    # A 5,000 x 102 upload under a 900 MiB limit failed while cleaning as a bad upload before this.
    with pytest.raises(ApplicationError) as failed:
        asyncio.run(ActivityEnvironment().run(activities._run, "clean", _duckdb_out_of_memory))
    assert failed.value.type == "simio_engine_memory_exceeded" and failed.value.non_retryable


def test_an_engine_error_that_would_repeat_fails_at_once_without_its_wording(activities: EngineActivities) -> None:
    with pytest.raises(ApplicationError) as failed:
        asyncio.run(ActivityEnvironment().run(activities._run, "fit", _divide))
    assert failed.value.non_retryable and not (failed.value.type or "").startswith("simio_")
    assert "division" not in failed.value.message
