"""Secret files under the data directory, created once with owner-only permissions."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def read_or_create(path: Path, make: Callable[[], bytes]) -> bytes:
    """Create the file whole or not at all: API, worker and CLI may start at the same moment.

    The content is written to a private temporary file first and then hard-linked into place;
    link fails if another process got there first, and we read its complete file instead.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(make())
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    return path.read_bytes()
