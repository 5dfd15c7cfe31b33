"""The functions a pool process runs: read from storage, call the engine, write results back.

Each is idempotent: same ids -> same storage keys, overwritten whole. `engine` loads DoWhy and
causal-learn lazily, on first use, so only the pool processes ever load them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulacra import engine
from simulacra.engine import EngineInputError
from simulacra.engine.cleaning.limits import TableLimits
from simulacra.engine.records import CausalGraph, CleanedSchema
from simulacra.infra import layout
from simulacra.infra.config import Settings
from simulacra.infra.storage import Storage, open_storage
from simulacra.workflows.contracts import (
    CleanResult,
    DiscoverResult,
    FitResult,
    GenerationInput,
    GenerationResult,
)

if TYPE_CHECKING:  # the module loads DoWhy's package on import: only pool processes may
    from simulacra.engine.model.fit_sample import FitRows


def table_limits(settings: Settings) -> TableLimits:
    return TableLimits(
        rows=settings.max_table_rows,
        columns=settings.max_table_columns,
        cells=settings.max_table_cells,
        text_bytes=settings.max_upload_bytes,
    )


def clean(settings: Settings, tenant_id: str, dataset_id: str, upload_key: str | None) -> CleanResult:
    """Clean the upload where the API staged it, then remove it: nothing reads the raw upload again."""
    storage = open_storage(settings)
    source_key = upload_key or layout.upload_key(tenant_id, dataset_id)
    schema_key = layout.schema_key(tenant_id, dataset_id)
    if not storage.exists(source_key) and storage.exists(schema_key):
        schema = storage.read_document(schema_key, CleanedSchema)  # a retry of a clean that had finished
    else:
        with storage.local_copy(source_key) as source, tempfile.TemporaryDirectory() as tmp:
            out = str(Path(tmp) / "cleaned.parquet")
            schema = engine.clean_table(source, out, table_limits(settings))
            storage.put_file(out, layout.cleaned_key(tenant_id, dataset_id))
        storage.write_document(schema_key, schema)
        storage.delete_prefix(source_key)
    return CleanResult(row_count=schema.row_count, column_count=len(schema.columns))


def discover(settings: Settings, tenant_id: str, dataset_id: str, seed: int) -> DiscoverResult:
    storage = open_storage(settings)
    schema = storage.read_document(layout.schema_key(tenant_id, dataset_id), CleanedSchema)
    hints_key = layout.hints_key(tenant_id, dataset_id)
    hints = storage.read_json(hints_key) if storage.exists(hints_key) else None
    with storage.local_copy(layout.cleaned_key(tenant_id, dataset_id)) as cleaned, tempfile.TemporaryDirectory() as tmp:
        fit_rows = _fit_rows(settings, cleaned, schema, seed, tmp)
        learnt_from = fit_rows.sample_path if fit_rows else cleaned
        graph = engine.discover_graph(learnt_from, schema, seed=seed, hints=hints)
    storage.write_document(layout.graph_key(tenant_id, dataset_id, 1), graph)
    return DiscoverResult(edge_count=len(graph.edges))


def fit(
    settings: Settings, tenant_id: str, dataset_id: str, version: int, edited: CausalGraph | None, seed: int
) -> FitResult:
    storage = open_storage(settings)
    schema = storage.read_document(layout.schema_key(tenant_id, dataset_id), CleanedSchema)
    if edited is not None:  # a refit: the edited graph becomes this version's graph
        storage.write_document(layout.graph_key(tenant_id, dataset_id, version), edited)
    graph = storage.read_document(layout.graph_key(tenant_id, dataset_id, version), CausalGraph)
    with storage.local_copy(layout.cleaned_key(tenant_id, dataset_id)) as cleaned, tempfile.TemporaryDirectory() as tmp:
        model_path = str(Path(tmp) / "model.pkl")
        fit_rows = _fit_rows(settings, cleaned, schema, seed, tmp)
        learnt_from = fit_rows.sample_path if fit_rows else cleaned
        report = engine.fit_model(learnt_from, schema, graph, model_path, seed=seed, whole_table=cleaned)
        storage.put_file(model_path, layout.model_key(tenant_id, dataset_id, version))
        # Part of the fit: a version is ready only with its validation report, which the dataset shows.
        validation = engine.validate_model(
            learnt_from, schema, graph, report, seed=seed, fit_rows=fit_rows, model_path=model_path
        )
    storage.write_document(layout.fit_report_key(tenant_id, dataset_id, version), report)
    validation.model_version = version
    storage.write_document(layout.validation_key(tenant_id, dataset_id, version), validation)
    return FitResult(node_count=len(report.nodes))


def _fit_rows(settings: Settings, cleaned: str, schema: CleanedSchema, seed: int, folder: str) -> FitRows | None:
    """A large seed's stratified sample and held-out rows; discovery and fit draw the same ones (same seed)."""
    from simulacra.engine.model.fit_sample import split_for_fit

    return split_for_fit(cleaned, schema, settings.fit_sample_rows, seed, folder)


def generate(settings: Settings, job: GenerationInput) -> GenerationResult:
    storage = open_storage(settings)
    tenant_id, dataset_id, generation_id = job.tenant_id, job.dataset_id, job.generation_id
    model = layout.model_key(tenant_id, dataset_id, job.model_version)
    try:
        with (
            storage.local_copy(model) as model_path,
            storage.local_copy(layout.cleaned_key(tenant_id, dataset_id)) as seed_rows,
        ):
            table, report = engine.generate_rows(
                model_path, job.conditions, job.row_count, seed=job.seed, seed_parquet=seed_rows
            )
    except FileNotFoundError:
        raise EngineInputError(
            "simio_dataset_not_found", f"dataset {dataset_id} has no fitted model (deleted or expired)"
        ) from None
    report["model_version"] = job.model_version
    _write_artifact(storage, layout.artifact_key(tenant_id, generation_id, job.format), table, job.format)
    storage.write_json(layout.generation_report_key(tenant_id, generation_id), report)
    return GenerationResult(rows_generated=report["rows_generated"], conditions_met=report["conditions_met"])


def _write_artifact(storage: Storage, key: str, table: Any, fmt: str) -> None:
    import pyarrow.csv
    import pyarrow.ipc
    import pyarrow.parquet

    with storage.open_write(key) as handle:
        if fmt == "parquet":
            pyarrow.parquet.write_table(table, handle)
        elif fmt == "arrow":
            with pyarrow.ipc.new_file(handle, table.schema) as writer:
                writer.write_table(table)
        else:
            pyarrow.csv.write_csv(neutralise_formulas(table), handle)


def neutralise_formulas(table: Any) -> Any:
    """Text cells a spreadsheet would run as a formula (=, +, -, @, tab, CR first) get a leading quote (OWASP)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for index, field in enumerate(table.schema):
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            column = table.column(index)
            risky = pc.match_substring_regex(column, r"^[=+\-@\t\r]")
            quoted = pc.binary_join_element_wise("'", column, "")
            table = table.set_column(index, field, pc.if_else(risky, quoted, column))
    return table
