"""The functions a pool process runs: read from storage, call the engine, write results back.

Each is idempotent: same ids -> same storage keys, overwritten whole. `engine` loads DoWhy and
causal-learn lazily, on first use, so only the pool processes ever load them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import engine
from engine import EngineInputError
from infra import layout
from infra.storage import Storage


def clean(storage_url: str, tenant_id: str, dataset_id: str) -> dict[str, int]:
    storage = Storage(storage_url)
    with storage.local_copy(layout.upload_key(tenant_id, dataset_id)) as source, tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "cleaned.parquet")
        schema = engine.clean_table(source, out)
        storage.put_file(out, layout.cleaned_key(tenant_id, dataset_id))
    storage.write_json(layout.schema_key(tenant_id, dataset_id), schema)
    return {"row_count": schema["row_count"], "column_count": len(schema["columns"])}


def discover(storage_url: str, tenant_id: str, dataset_id: str, seed: int) -> dict[str, int]:
    storage = Storage(storage_url)
    schema = storage.read_json(layout.schema_key(tenant_id, dataset_id))
    with storage.local_copy(layout.cleaned_key(tenant_id, dataset_id)) as cleaned:
        graph = engine.discover_graph(cleaned, schema, seed=seed)
    storage.write_json(layout.graph_key(tenant_id, dataset_id), graph)
    return {"edge_count": len(graph["edges"])}


def fit(storage_url: str, tenant_id: str, dataset_id: str, seed: int) -> dict[str, int]:
    storage = Storage(storage_url)
    schema = storage.read_json(layout.schema_key(tenant_id, dataset_id))
    graph = storage.read_json(layout.graph_key(tenant_id, dataset_id))
    with storage.local_copy(layout.cleaned_key(tenant_id, dataset_id)) as cleaned, tempfile.TemporaryDirectory() as tmp:
        model_path = str(Path(tmp) / "model.pkl")
        report = engine.fit_model(cleaned, schema, graph, model_path, seed=seed)
        storage.put_file(model_path, layout.model_key(tenant_id, dataset_id))
    storage.write_json(layout.fit_report_key(tenant_id, dataset_id), report)
    return {"node_count": len(report["nodes"])}


def generate(storage_url: str, job: dict[str, Any]) -> dict[str, Any]:
    storage = Storage(storage_url)
    tenant_id, dataset_id, generation_id = job["tenant_id"], job["dataset_id"], job["generation_id"]
    model = layout.model_key(tenant_id, dataset_id)
    if not storage.exists(model):
        raise EngineInputError(
            "simio_dataset_not_found", f"dataset {dataset_id} has no fitted model (deleted or expired)"
        )
    with storage.local_copy(model) as model_path:
        table, report = engine.generate_rows(model_path, job["conditions"], job["row_count"], seed=job["seed"])
    _write_artifact(storage, layout.artifact_key(tenant_id, generation_id, job["format"]), table, job["format"])
    report["conditions_met"] = _conditions_met(job["conditions"], report)
    storage.write_json(layout.generation_report_key(tenant_id, generation_id), report)
    return {"rows_generated": report["rows_generated"], "conditions_met": report["conditions_met"]}


def _write_artifact(storage: Storage, key: str, table: Any, fmt: str) -> None:
    import pyarrow.csv
    import pyarrow.parquet

    with storage.open_write(key) as handle:
        if fmt == "parquet":
            pyarrow.parquet.write_table(table, handle)
        else:
            pyarrow.csv.write_csv(table, handle)


def _conditions_met(conditions: dict[str, Any], report: dict[str, Any]) -> bool:
    """Share targets within half a point, ranges held by every row."""
    achieved = report.get("achieved", {})
    for column, levels in conditions.get("categorical", {}).items():
        got = achieved.get("categorical", {}).get(column, {})
        if any(abs(got.get(level, 0.0) - share) > 0.005 for level, share in levels.items()):
            return False
    for column in conditions.get("numeric", {}):
        if achieved.get("numeric", {}).get(column, {}).get("share_in_range", 0.0) < 1.0:
            return False
    return True
