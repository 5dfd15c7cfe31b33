"""A worker's scratch directory: where it and its engine processes keep temporary files.

Those files include decrypted local copies of tenant objects (infra.storage's `local_copy`). A worker
killed with SIGKILL, and the engine processes that die with it, run no cleanup, so their temporary
directories would stay behind, in plaintext, for good. Each worker therefore works in a directory named
for its pid (TMPDIR points there, so its engine processes inherit it), and on start removes the
directories of workers that are no longer running: a restarted worker cleans up after the killed one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

PREFIX = "simulacra-worker-"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive, and not ours to judge
        return True
    return True


def remove_abandoned(base: Path) -> list[Path]:
    """Remove the scratch directories under `base` whose worker is gone; those removed."""
    removed = []
    for folder in base.glob(f"{PREFIX}*"):
        pid = folder.name.removeprefix(PREFIX)
        if pid.isdigit() and int(pid) != os.getpid() and not _running(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


@contextlib.contextmanager
def worker_scratch() -> Iterator[Path]:
    """Make this process's temporary files (and its children's) go to its own directory, removed on exit."""
    base = Path(tempfile.gettempdir())
    remove_abandoned(base)
    mine = base / f"{PREFIX}{os.getpid()}"
    # A directory already under our pid is a dead worker's (in a container a restarted worker often gets
    # the killed one's pid): its files are that worker's plaintext, not ours to keep.
    shutil.rmtree(mine, ignore_errors=True)
    mine.mkdir(mode=0o700)
    previous = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = tempfile.tempdir = str(mine)
    try:
        yield mine
    finally:
        tempfile.tempdir = None
        if previous is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = previous
        shutil.rmtree(mine, ignore_errors=True)
