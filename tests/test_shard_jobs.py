"""The shard and combine jobs on real encrypted storage, without Temporal: parts larger than an encryption
chunk, any order of shards, a combine retried after it finished."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.csv
import pytest

from simulacra.activities import shard_jobs
from simulacra.engine import clean_table, discover_graph, fit_model
from simulacra.infra import layout
from simulacra.infra.config import Settings
from simulacra.infra.storage import open_storage
from simulacra.workflows.contracts import GenerationInput, ShardInput

TENANT, DATASET = "acme", "ds_00000000000000000001"


@pytest.fixture(scope="module")
def stored_model(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    folder = tmp_path_factory.mktemp("shard-jobs")
    settings = Settings(data_dir=folder / "data")
    storage = open_storage(settings)
    source = Path(__file__).parents[1] / "examples" / "tracker_q3.csv"
    parquet, model = folder / "cleaned.parquet", folder / "model.pkl"
    schema = clean_table(str(source), str(parquet))
    fit_model(str(parquet), schema, discover_graph(str(parquet), schema), str(model))
    storage.put_file(parquet, layout.cleaned_key(TENANT, DATASET))
    storage.put_file(model, layout.model_key(TENANT, DATASET, 1))
    return settings


def _job(generation_id: str) -> GenerationInput:
    # 20,000-row shards: each part is well over the 1 MiB encryption chunk.
    return GenerationInput(
        tenant_id=TENANT,
        dataset_id=DATASET,
        generation_id=generation_id,
        row_count=45_000,
        conditions={"categorical": {"segment": {"genz_switcher": 0.25}}},
        seed=3,
        expires_at=datetime.now(UTC),
        shard_rows=20_000,
    )


def _artifact(settings: Settings, job: GenerationInput, order: list[int]) -> bytes:
    for index in order:
        shard_jobs.generate_shard(settings, ShardInput(job=job, index=index))
    result = shard_jobs.combine(settings, job)
    assert result.rows_generated == 45_000 and result.conditions_met
    return open_storage(settings).read_bytes(layout.artifact_key(TENANT, job.generation_id, "csv"))


def test_parts_combine_into_the_same_artifact_whatever_order_the_shards_ran(stored_model: Settings) -> None:
    first = _artifact(stored_model, _job("gen_00000000000000000001"), [0, 1, 2])
    second = _artifact(stored_model, _job("gen_00000000000000000002"), [2, 0, 1])
    assert first == second
    table = pyarrow.csv.read_csv(io.BytesIO(first))
    assert table.num_rows == 45_000 and table["segment"].to_pylist().count("genz_switcher") == 11_250
    storage = open_storage(stored_model)
    assert not storage.exists(layout.shards_prefix(TENANT, "gen_00000000000000000001"))
    report = storage.read_json(layout.generation_report_key(TENANT, "gen_00000000000000000001"))
    assert report["shards"] == 3 and report["privacy"]["rows_sampled"] <= 10_003
    # A retry of a combine that had finished answers from its report.
    again = shard_jobs.combine(stored_model, _job("gen_00000000000000000001"))
    assert again.rows_generated == 45_000
