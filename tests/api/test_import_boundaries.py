from __future__ import annotations

import subprocess
import sys

HEAVY = ("dowhy", "causallearn", "sklearn", "pandas", "duckdb")


def test_api_process_never_loads_the_science_stack() -> None:
    probe = f"import sys, api.app; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"


def test_workflows_import_only_workflow_safe_modules() -> None:
    probe = (
        "import sys, workflows.dataset, workflows.generation;"
        "print(sorted(m for m in ('engine', 'infra', 'activities') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"
