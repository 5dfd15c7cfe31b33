"""promtool, from Debian's `prometheus` package (.ci/run installs it): tests that need it fail without it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def promtool(*args: str, stdin: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run promtool and return its result; a missing promtool is a failure, never a skip."""
    executable = shutil.which("promtool")
    assert executable, "promtool is missing: install Debian's `prometheus` package (see .ci/run)"
    return subprocess.run([executable, *args], input=stdin, capture_output=True, text=True, cwd=cwd, timeout=120)
