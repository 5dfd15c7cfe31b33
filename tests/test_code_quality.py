"""Lint, format and type checks, run with the suite so CI and `pytest` hold every change to them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("api", "workflows", "activities", "engine", "infra")


def _run(*command: str, cwd: Path = ROOT) -> None:
    done = subprocess.run([sys.executable, "-m", *command], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_finds_nothing() -> None:
    _run("ruff", "check", str(ROOT))


def test_code_is_formatted() -> None:
    _run("ruff", "format", "--check", str(ROOT))


def test_types_check(tmp_path: Path) -> None:
    # mypy cannot follow the editable install's import hook, so it reads the layer folders through
    # a simulacra/ folder of links, named as the wheel installs them.
    package = tmp_path / "simulacra"
    package.mkdir()
    for layer in LAYERS:
        (package / layer).symlink_to(ROOT / layer, target_is_directory=True)
    packages = [arg for layer in LAYERS for arg in ("-p", f"simulacra.{layer}")]
    config = str(ROOT / "pyproject.toml")
    _run("mypy", "--config-file", config, "--cache-dir", str(tmp_path / "cache"), *packages, cwd=tmp_path)
