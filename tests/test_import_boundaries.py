"""The layering of docs/architecture.md, held against the code's own imports."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("dowhy", "causallearn", "sklearn", "pandas", "duckdb", "numpy")
PURE = ("simulacra.engine.checks", "simulacra.engine.records")
# What each layer may import of the others (a prefix of `simulacra.<layer>...`).
ALLOWED = {
    "api": ("infra", "workflows.contracts", "engine.checks", "engine.records"),
    "workflows": ("workflows",),
    "activities": ("engine", "infra", "workflows.contracts"),
    "engine": ("engine",),
    "infra": ("infra",),
}
# The composition roots: they start the processes, so they may import across layers.
ROOTS = {"activities/worker.py", "infra/cli.py", "infra/supervisor.py"}


def _imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
    return [name.removeprefix("simulacra.") for name in found if name.startswith("simulacra.")]


def _layer_files(layer: str) -> list[Path]:
    return [path for path in (ROOT / layer).rglob("*.py") if str(path.relative_to(ROOT)) not in ROOTS]


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_only_what_it_may(layer: str) -> None:
    allowed = (layer, *ALLOWED[layer])
    crossing = {
        f"{path.relative_to(ROOT)} -> {name}"
        for path in _layer_files(layer)
        for name in _imports(path)
        if not any(name == prefix or name.startswith(f"{prefix}.") for prefix in allowed)
    }
    assert sorted(crossing) == []


def test_the_client_imports_only_itself() -> None:
    crossing = {
        f"{path.relative_to(ROOT)} -> {name}"
        for path in (ROOT / "api" / "client").rglob("*.py")
        for name in _imports(path)
        if not name.startswith("api.client")
    }
    assert sorted(crossing) == []


def _loaded_after(statement: str) -> list[str]:
    probe = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()


def test_api_process_loads_no_science_and_only_the_engines_pure_part() -> None:
    loaded = _loaded_after("import simulacra.api.app")
    assert [m for m in loaded if m.split(".")[0] in HEAVY] == []
    engine = [m for m in loaded if m.startswith("simulacra.engine.")]
    assert engine and all(m.startswith(PURE) for m in engine), engine


def test_the_engines_pure_part_loads_no_science() -> None:
    loaded = _loaded_after("import simulacra.engine.checks, simulacra.engine.records")
    assert [m for m in loaded if m.split(".")[0] in HEAVY] == []
    assert [m for m in loaded if m.startswith("simulacra.") and not m.startswith(PURE)] == ["simulacra.engine"]


def test_workflows_import_only_workflow_safe_modules() -> None:
    workflows = ", ".join(f"simulacra.workflows.{name}" for name in ("dataset", "generation", "effects", "sweep"))
    loaded = _loaded_after(f"import {workflows}")
    ours = {m.split(".")[1] for m in loaded if m.startswith("simulacra.") and m.count(".") >= 1}
    assert ours == {"workflows"}
