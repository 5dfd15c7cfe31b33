"""Engine work runs in a pool of worker processes, one job per process at a time.

Why: DoWhy and causal-learn seed and draw from numpy's process-wide RNG, hold the GIL
in places, and can use gigabytes; a separate process keeps concurrent jobs from
sharing a generator, keeps the worker's event loop free to heartbeat, and gives
memory back when a process is recycled.
"""

from __future__ import annotations

import asyncio
import ctypes
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from temporalio import activity

T = TypeVar("T")
HEARTBEAT_EVERY_SECONDS = 10.0
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent(parent: int) -> None:
    """Pool initializer: an engine process never outlives the worker that started it.

    A worker killed with SIGKILL runs no cleanup, and its engine processes would go on burning CPU
    and memory; the kernel's parent-death signal ends them with it instead.
    """
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the worker died before the signal was armed
        os._exit(1)


class EngineProcessDied(Exception):
    """An engine process was killed (out of memory, say); the attempt is retried on a fresh pool."""


class EnginePool:
    def __init__(self, processes: int, heartbeat: Callable[[], None] = activity.heartbeat) -> None:
        self._processes = processes
        self._heartbeat = heartbeat
        self._executor = self._new_executor()

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self._processes,
            mp_context=multiprocessing.get_context("spawn"),
            max_tasks_per_child=50,
            initializer=_die_with_parent,
            initargs=(os.getpid(),),
        )

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run fn(*args) in a pool process, heartbeating while it works."""
        executor = self._executor
        try:
            future = asyncio.wrap_future(executor.submit(fn, *args))
        except BrokenProcessPool:
            future = asyncio.wrap_future(self._replace(executor).submit(fn, *args))
        try:
            while True:
                self._heartbeat()
                done, _ = await asyncio.wait({future}, timeout=HEARTBEAT_EVERY_SECONDS)
                if done:
                    return future.result()
        except BrokenProcessPool:
            # One dead process breaks the whole executor: replace it so later jobs run, and let
            # Temporal retry this attempt.
            self._replace(executor)
            raise EngineProcessDied("an engine process died while running this job") from None
        except asyncio.CancelledError:
            # A running process cannot be interrupted safely: let it finish, then report the cancel,
            # so whoever removes this job's files next does so after its last write.
            await asyncio.wait({future})
            raise

    def _replace(self, broken: ProcessPoolExecutor) -> ProcessPoolExecutor:
        if self._executor is broken:
            broken.shutdown(wait=False, cancel_futures=True)
            self._executor = self._new_executor()
        return self._executor

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
