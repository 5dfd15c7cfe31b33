from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from simulacra.activities.isolation import EnginePool, EngineProcessDied
from tests.stack import poll_until


def _pid() -> int:
    return os.getpid()


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


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
