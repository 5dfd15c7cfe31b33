"""The dataset's engine jobs on real encrypted storage, without Temporal: a seed longer than
fit_sample_rows is discovered and fitted on the sample, and its validation report says so."""

from __future__ import annotations

from pathlib import Path

from simulacra.activities import engine_jobs
from simulacra.engine.records import CausalGraph, CleanedSchema, ValidationReport
from simulacra.infra import layout
from simulacra.infra.config import Settings
from simulacra.infra.storage import open_storage

TENANT, DATASET = "acme", "ds_00000000000000000002"
SEED = Path(__file__).parents[1] / "examples" / "tracker_q3.csv"


def test_a_seed_past_the_setting_is_learnt_from_its_sample(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", fit_sample_rows=400)
    storage = open_storage(settings)
    storage.put_file(SEED, layout.upload_key(TENANT, DATASET))
    cleaned = engine_jobs.clean(settings, TENANT, DATASET, None)
    engine_jobs.discover(settings, TENANT, DATASET, 0)
    engine_jobs.fit(settings, TENANT, DATASET, 1, None, 0)
    schema = storage.read_document(layout.schema_key(TENANT, DATASET), CleanedSchema)
    graph = storage.read_document(layout.graph_key(TENANT, DATASET, 1), CausalGraph)
    report = storage.read_document(layout.validation_key(TENANT, DATASET, 1), ValidationReport)
    assert schema.row_count == cleaned.row_count > 400
    assert graph.rows_used == 400
    assert report.fit_sample is not None and report.fit_sample.rows == 400
    assert report.fit_sample.held_out_rows == schema.row_count - 400
    assert report.held_out_fidelity.train_rows == 400 and report.held_out_fidelity.computed
