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
import resource
import signal
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, TypeVar

import structlog
from temporalio import activity

from simulacra.engine.checks.errors import EngineInputError

T = TypeVar("T")
log = structlog.get_logger("simulacra.engine")
# Well inside the activities' 10 s heartbeat timeout (workflows.policies); the worker sends each one as it
# comes (activities/worker.py sets the SDK's throttle to this interval).
HEARTBEAT_EVERY_SECONDS = 2.0
_PR_SET_PDEATHSIG = 1  # linux/prctl.h
AUTO_FLOOR_BYTES = 4 * 1024**3


def _start_engine_process(parent: int, memory_limit_bytes: int | None) -> None:
    """Pool initializer: an engine process never outlives its worker, nor grows past its memory limit.

    A worker killed with SIGKILL runs no cleanup, and its engine processes would go on burning CPU
    and memory; the kernel's parent-death signal ends them with it instead. The address-space limit
    turns a job that would take the machine's memory into a MemoryError in this process alone.
    """
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the worker died before the signal was armed
        os._exit(1)
    if memory_limit_bytes is not None:
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit_bytes, memory_limit_bytes))


class EngineProcessDied(Exception):
    """An engine process was killed (by the kernel's OOM killer, say); the pool was replaced."""


# The code a job fails with when it needs more memory than an engine process may use.
MEMORY_EXCEEDED = "simio_engine_memory_exceeded"


class EngineOutOfMemory(Exception):
    """The job needed more memory than the engine process may use: it would need it again on a retry."""


class EngineFault(Exception):
    """The engine raised something other than bad input, memory or I/O: a fault that would repeat.

    Carries the original's class and message for the logs; the traceback travels as its cause.
    """


def _in_engine_process(fn: Callable[..., T], *args: Any) -> T:
    """Runs in the pool process and sorts what fn raises by whether a retry could help."""
    try:
        return fn(*args)
    except EngineInputError:
        raise  # bad input keeps its code
    except (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError) as exc:
        # The same paths would fail the same way on every attempt, for the 6 hours retries may last.
        raise EngineFault(f"{type(exc).__name__}: {exc}") from exc
    except OSError:
        raise  # I/O (storage, network, a full disk) may well work on the next attempt
    except MemoryError:
        raise EngineOutOfMemory() from None
    except Exception as exc:
        # DuckDB reports its allocation failures as its own exception, not Python's MemoryError; it is
        # loaded wherever it could have raised (not looked up by import, which would load it in the worker).
        duckdb = sys.modules.get("duckdb")
        if duckdb is not None and isinstance(exc, duckdb.OutOfMemoryException):
            raise EngineOutOfMemory() from None
        raise EngineFault(f"{type(exc).__name__}: {exc}") from exc


def machine_memory_bytes() -> int:
    """Physical memory, or the container's cgroup limit when that is smaller."""
    physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    try:
        declared = Path("/sys/fs/cgroup/memory.max").read_text().strip()
    except OSError:
        return physical
    return min(physical, int(declared)) if declared.isdigit() else physical


def memory_limit_bytes(limit_mb: int | None, processes: int) -> int | None:
    """The limit each engine process runs under: the setting, or a share of the machine; 0 turns it off.

    The share is three quarters of the memory split among the engine processes, leaving the rest to
    the worker, the API and the system, with a floor of AUTO_FLOOR: an engine process reserves about
    2.5 GB of address space (thread arenas, DuckDB) before it holds any data.
    """
    if limit_mb == 0:
        return None
    if limit_mb is not None:
        return limit_mb * 1024 * 1024
    share = machine_memory_bytes() * 3 // 4 // max(1, processes)
    if share < AUTO_FLOOR_BYTES:
        # The floor is more than the machine can give: the host's OOM killer may act before the limit does.
        log.warning(
            "engine_memory_limit_over_machine",
            share_mb=share // 1024**2,
            limit_mb=AUTO_FLOOR_BYTES // 1024**2,
            fix="set SIMULACRA_ENGINE_MEMORY_LIMIT_MB, or run fewer SIMULACRA_ENGINE_PROCESSES",
        )
    return max(AUTO_FLOOR_BYTES, share)


class EnginePool:
    def __init__(
        self,
        processes: int,
        heartbeat: Callable[[], None] = activity.heartbeat,
        memory_limit_bytes: int | None = None,
    ) -> None:
        self._processes = processes
        self._heartbeat = heartbeat
        self.memory_limit_bytes = memory_limit_bytes
        self._executor = self._new_executor()

    def _new_executor(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self._processes,
            mp_context=multiprocessing.get_context("spawn"),
            max_tasks_per_child=50,
            initializer=_start_engine_process,
            initargs=(os.getpid(), self.memory_limit_bytes),
        )

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run fn(*args) in a pool process, heartbeating while it works.

        Raises what fn raised if it is EngineInputError or OSError, EngineOutOfMemory past the
        memory limit, EngineFault for anything else fn raised, EngineProcessDied if the process died.
        """
        executor = self._executor
        try:
            future = asyncio.wrap_future(executor.submit(_in_engine_process, fn, *args))
        except BrokenProcessPool:
            future = asyncio.wrap_future(self._replace(executor).submit(_in_engine_process, fn, *args))
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
