"""A worker's temporary files live in its own directory; a restarted worker removes a killed one's."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from simulacra.infra.scratch import PREFIX, remove_abandoned, worker_scratch


def _last_pid() -> int:
    """The pid of a process that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_abandoned_directories_go_and_live_ones_stay(tmp_path: Path) -> None:
    abandoned = tmp_path / f"{PREFIX}{_last_pid()}"
    live = tmp_path / f"{PREFIX}{os.getppid()}"
    unrelated = tmp_path / "simulacra-notes"
    for folder in (abandoned, live, unrelated):
        folder.mkdir()
        (folder / "plaintext.csv").write_text("a,b\n")
    assert remove_abandoned(tmp_path) == [abandoned]
    assert not abandoned.exists() and live.exists() and unrelated.exists()


def test_temporary_files_of_the_worker_and_its_children_go_to_its_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)
    with worker_scratch() as mine:
        assert mine == tmp_path / f"{PREFIX}{os.getpid()}"
        assert Path(tempfile.mkdtemp()).parent == mine
        child = subprocess.run(
            [sys.executable, "-c", "import tempfile; print(tempfile.gettempdir())"], capture_output=True, text=True
        )
        assert child.stdout.strip() == str(mine)
    assert not mine.exists()
    assert os.environ["TMPDIR"] == str(tmp_path)
