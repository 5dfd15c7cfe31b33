from __future__ import annotations

import asyncio
import os
import signal

import pytest

from simulacra.activities.isolation import EnginePool, EngineProcessDied


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
