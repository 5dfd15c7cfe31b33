"""Engine work runs in a pool of worker processes, one job per process at a time.

Why: DoWhy and causal-learn seed and draw from numpy's process-wide RNG, hold the GIL
in places, and can use gigabytes; a separate process keeps concurrent jobs from
sharing a generator, keeps the worker's event loop free to heartbeat, and gives
memory back when a process is recycled.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from temporalio import activity

T = TypeVar("T")
HEARTBEAT_EVERY_SECONDS = 10.0


class EnginePool:
    def __init__(self, processes: int) -> None:
        self._executor = ProcessPoolExecutor(
            max_workers=processes,
            mp_context=multiprocessing.get_context("spawn"),
            max_tasks_per_child=50,
        )

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run fn(*args) in a pool process, heartbeating while it works."""
        future = asyncio.wrap_future(self._executor.submit(fn, *args))
        try:
            while True:
                activity.heartbeat()
                done, _ = await asyncio.wait({future}, timeout=HEARTBEAT_EVERY_SECONDS)
                if done:
                    return future.result()
        except asyncio.CancelledError:
            # A running process cannot be interrupted safely: let it finish, then report the cancel,
            # so whoever removes this job's files next does so after its last write.
            await asyncio.wait({future})
            raise

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
