"""The distribution installs one namespace, `simulacra`, holding every module of the five layer folders."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("api", "workflows", "activities", "engine", "infra")


def _build_wheel(tmp_path: Path) -> Path:
    # Built from a copy, so the checkout gets no build/ folder.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for layer in LAYERS:
        shutil.copytree(ROOT / layer, source / layer, ignore=shutil.ignore_patterns("__pycache__"))
    pip = [sys.executable, "-m", "pip"]
    subprocess.run(
        [*pip, "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(source)], check=True
    )
    return next(tmp_path.glob("simulacra-*.whl"))


def _site_packages(venv: Path) -> set[str]:
    (site,) = venv.glob("lib/python3*/site-packages")
    return {entry.name for entry in site.iterdir()}


def test_the_wheel_adds_only_the_simulacra_namespace(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    before = _site_packages(venv)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(venv / "bin" / "python"),
            "install",
            "-q",
            "--no-deps",
            str(wheel),
        ],
        check=True,
    )
    added = _site_packages(venv) - before
    assert {name for name in added if not name.endswith(".dist-info")} == {"simulacra"}
    assert (venv / "bin" / "simulacra").exists()


def test_the_wheel_holds_every_module_of_the_layer_folders(tmp_path: Path) -> None:
    with zipfile.ZipFile(_build_wheel(tmp_path)) as wheel:
        packaged = {name for name in wheel.namelist() if name.endswith(".py")}
    expected = {f"simulacra/{path.relative_to(ROOT)}" for layer in LAYERS for path in (ROOT / layer).rglob("*.py")}
    assert packaged == expected


def test_the_wheel_carries_the_reference_pages_and_quickstarts(tmp_path: Path) -> None:
    with zipfile.ZipFile(_build_wheel(tmp_path)) as wheel:
        packaged = set(wheel.namelist())
        # The quickstarts are links to examples/ in the checkout; the wheel holds their text.
        curl = wheel.read("simulacra/api/reference/quickstart/curl").decode()
    reference = ROOT / "api" / "reference"
    expected = {
        f"simulacra/{path.relative_to(ROOT)}"
        for folder in ("templates", "quickstart")
        for path in (reference / folder).iterdir()
    }
    assert expected <= packaged
    # Alembic's template beside the control database's migrations (their .py files are checked above).
    assert "simulacra/infra/migrations/script.py.mako" in packaged
    assert curl == (ROOT / "examples" / "quickstart.sh").read_text()
