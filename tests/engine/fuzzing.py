"""The hypothesis profile of the fuzz tests: bounded and reproducible, so it belongs in the normal suite.

Derandomized (the same examples on every run and machine) and without the example database, so CI sees
exactly what a developer saw; a budget of examples and a per-example deadline keep each test under ~30 s.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

FUZZ = settings(
    max_examples=200,
    deadline=2000,  # ms per example: generous on a loaded 2-core machine, still catches a hang
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
# Library wording and server paths: none of them may reach an EngineInputError's detail (the client sees it).
LEAKS = ("Traceback", 'File "', "pyarrow", "duckdb", "Duckdb", "sniff", "Error when", "pydantic", "codec", "/tmp/")
