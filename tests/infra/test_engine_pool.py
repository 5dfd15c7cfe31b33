from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from simulacra.activities.isolation import (
    AUTO_FLOOR_BYTES,
    EngineFault,
    EngineOutOfMemory,
    EnginePool,
    EngineProcessDied,
    machine_memory_bytes,
    memory_limit_bytes,
)
from simulacra.engine.checks.errors import EngineInputError
from tests.stack import poll_until

GIB = 1024**3


def _pid() -> int:
    return os.getpid()


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _allocate(gib: int) -> int:
    return len(bytearray(gib * GIB))


def _raise(exc: Exception) -> None:
    raise exc


def test_a_job_past_the_memory_limit_fails_in_its_own_process_and_the_pool_goes_on() -> None:
    pool = EnginePool(1, heartbeat=lambda: None, memory_limit_bytes=4 * GIB)
    try:
        assert asyncio.run(pool.run(_allocate, 1)) == GIB
        with pytest.raises(EngineOutOfMemory):
            asyncio.run(pool.run(_allocate, 5))
        assert asyncio.run(pool.run(_allocate, 1)) == GIB
    finally:
        pool.shutdown()


def test_engine_errors_are_sorted_by_whether_a_retry_could_help() -> None:
    pool = EnginePool(1, heartbeat=lambda: None)
    try:
        with pytest.raises(EngineInputError):  # the job's fault, with its code
            asyncio.run(pool.run(_raise, EngineInputError("simio_upload_invalid", "no header row")))
        with pytest.raises(OSError):  # the machine's: storage or disk may work next time
            asyncio.run(pool.run(_raise, ConnectionResetError("storage went away")))
        with pytest.raises(EngineFault, match="FileNotFoundError"):  # the same path is missing next time too
            asyncio.run(pool.run(_raise, FileNotFoundError(2, "No such file", "/data/ds_1/cleaned.parquet")))
        with pytest.raises(EngineFault, match="ZeroDivisionError: division by zero"):  # would repeat
            asyncio.run(pool.run(_raise, ZeroDivisionError("division by zero")))
    finally:
        pool.shutdown()


def test_the_memory_limit_is_the_setting_or_a_share_of_the_machine() -> None:
    assert memory_limit_bytes(0, 2) is None
    assert memory_limit_bytes(6144, 2) == 6 * GIB
    share = memory_limit_bytes(None, 2)
    assert share == max(AUTO_FLOOR_BYTES, machine_memory_bytes() * 3 // 8)
    assert memory_limit_bytes(None, 1000) == AUTO_FLOOR_BYTES


def test_a_killed_engine_process_does_not_break_later_jobs() -> None:
    pool = EnginePool(1, heartbeat=lambda: None)  # outside an activity there is no one to heartbeat to
    try:
        assert isinstance(asyncio.run(pool.run(_pid)), int)
        with pytest.raises(EngineProcessDied):
            asyncio.run(pool.run(_die))
        assert isinstance(asyncio.run(pool.run(_pid)), int)
    finally:
        pool.shutdown()


# A worker process holding an engine pool busy with a long job: it prints the engine process's pid.
_BUSY_WORKER = """
import asyncio, time
from simulacra.activities.isolation import EnginePool

async def main():
    pool = EnginePool(1, heartbeat=lambda: None)
    job = asyncio.ensure_future(pool.run(time.sleep, 600))
    while not pool._executor._processes:
        await asyncio.sleep(0.05)
    print(*pool._executor._processes, flush=True)
    await job

asyncio.run(main())
"""


def _running(pid: int) -> bool:
    # A process whose parent died is reaped by whoever adopts it; until then it is a zombie, not running.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def test_engine_processes_die_with_a_killed_worker() -> None:
    with subprocess.Popen([sys.executable, "-c", _BUSY_WORKER], stdout=subprocess.PIPE, text=True) as worker:
        try:
            assert worker.stdout is not None
            engine = int(worker.stdout.readline())
            assert _running(engine)
            worker.send_signal(signal.SIGKILL)  # no cleanup runs: only the kernel can end the engine process
            worker.wait(timeout=30)
            assert poll_until(lambda: _running(engine), lambda running: not running, timeout=30) is False
        finally:
            worker.kill()
