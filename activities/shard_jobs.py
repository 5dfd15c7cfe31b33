"""A sharded generation's engine jobs, run in the pool: sample one shard, then combine them all.

Each shard writes its rows (an Arrow IPC stream) and its tally under the generation's `shards/` prefix,
encrypted like every object; a retried shard overwrites its own part with the same bytes. The combine
step streams the parts, in shard order, into the one artifact, builds the report from the tallies, and
removes the parts: what it holds at once is one shard's rows and a bounded sample for privacy figures.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.ipc

from simulacra.activities.artifact_writer import ArtifactWriter
from simulacra.engine import EngineInputError
from simulacra.engine.model.model_file import load_model
from simulacra.engine.sampling import shards
from simulacra.engine.sampling.shards import ShardPlan
from simulacra.infra import layout
from simulacra.infra.config import Settings
from simulacra.infra.storage import COPY_BUFFER, Storage, open_storage
from simulacra.workflows.contracts import GenerationInput, GenerationResult, ShardInput, ShardResult


def generate_shard(settings: Settings, shard: ShardInput) -> ShardResult:
    storage = open_storage(settings)
    job = shard.job
    with _model(storage, job) as model_path:
        table, counts = shards.sample_shard(model_path, job.conditions, _plan(job), shard.index, job.seed)
    with storage.open_write(layout.shard_rows_key(job.tenant_id, job.generation_id, shard.index)) as handle:
        with pyarrow.ipc.new_stream(handle, table.schema) as writer:
            writer.write_table(table)
    # The tally last: a shard whose tally is stored has its rows stored too.
    storage.write_json(layout.shard_tally_key(job.tenant_id, job.generation_id, shard.index), counts)
    return ShardResult(rows_generated=table.num_rows)


def combine(settings: Settings, job: GenerationInput) -> GenerationResult:
    storage = open_storage(settings)
    tenant_id, generation_id = job.tenant_id, job.generation_id
    report_key = layout.generation_report_key(tenant_id, generation_id)
    parts = layout.shards_prefix(tenant_id, generation_id)
    if not storage.exists(parts) and storage.exists(report_key):  # a retry of a combine that had finished
        return _result(storage.read_json(report_key))
    tallies = [storage.read_json(layout.shard_tally_key(tenant_id, generation_id, i)) for i in range(job.shard_count)]
    with _model(storage, job) as model_path, storage.local_copy(layout.cleaned_key(tenant_id, job.dataset_id)) as seed:
        model = load_model(model_path)
        report = shards.combined_report(model, job.conditions, job.row_count, tallies)
        sample = _write_artifact(storage, job, tallies, report["rows_generated"])
        report["privacy"] = shards.sampled_privacy(sample, seed, model, report["rows_generated"], job.seed)
    report["model_version"] = job.model_version
    storage.write_json(report_key, report)
    storage.delete_prefix(parts)
    return _result(report)


def _write_artifact(storage: Storage, job: GenerationInput, tallies: list[dict], rows_total: int) -> pa.Table:
    """Stream every shard's rows into the artifact; return the sample of rows privacy figures are computed on."""
    sample: list[pa.RecordBatch] = []
    schema: pa.Schema | None = None
    key = layout.artifact_key(job.tenant_id, job.generation_id, job.format)
    with storage.open_write(key) as handle, contextlib.ExitStack() as stack:
        writer: ArtifactWriter | None = None
        for index, counts in enumerate(tallies):
            wanted = _sample_rows(counts["rows"], rows_total)
            with _part(storage, layout.shard_rows_key(job.tenant_id, job.generation_id, index)) as part:
                reader = pyarrow.ipc.open_stream(part)
                if writer is None:
                    schema = reader.schema
                    writer = stack.enter_context(ArtifactWriter(handle, job.format, schema))
                for batch in reader:
                    writer.write(batch)
                    if wanted:
                        taken = min(wanted, batch.num_rows)
                        # take() copies: a slice would keep the whole shard's buffers alive.
                        sample.append(batch.take(pa.array(range(taken))))
                        wanted -= taken
    return pa.Table.from_batches(sample, schema=schema)


def _part(storage: Storage, key: str) -> io.BufferedReader:
    """A shard's rows, buffered: Arrow reads whole messages and takes a short read (the decrypting reader
    returns a chunk at a time) for a truncated stream."""
    return io.BufferedReader(storage.open_read(key), buffer_size=COPY_BUFFER)


def _sample_rows(shard_rows: int, rows_total: int) -> int:
    """A shard's part of the privacy sample, in proportion to its rows (its rows are in random order)."""
    if not rows_total:
        return 0
    return min(shard_rows, -(-shards.PRIVACY_SAMPLE_ROWS * shard_rows // rows_total))


def _plan(job: GenerationInput) -> ShardPlan:
    return ShardPlan(job.row_count, job.shard_rows or job.row_count)


def _result(report: dict) -> GenerationResult:
    return GenerationResult(rows_generated=report["rows_generated"], conditions_met=report["conditions_met"])


@contextlib.contextmanager
def _model(storage: Storage, job: GenerationInput) -> Iterator[str]:
    key = layout.model_key(job.tenant_id, job.dataset_id, job.model_version)
    if not storage.exists(key):
        raise EngineInputError(
            "simio_dataset_not_found", f"dataset {job.dataset_id} has no fitted model (deleted or expired)"
        )
    with storage.local_copy(key) as path:
        yield path
