"""Temporal activities for the engine: thin wrappers that run engine_jobs in the pool."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import structlog
from opentelemetry import trace
from temporalio import activity
from temporalio.exceptions import ApplicationError

from simulacra.activities import effect_jobs, engine_jobs, shard_jobs
from simulacra.activities.isolation import (
    MEMORY_EXCEEDED,
    EngineFault,
    EngineOutOfMemory,
    EnginePool,
    EngineProcessDied,
)
from simulacra.activities.metrics import ROWS_GENERATED, EngineMeter
from simulacra.engine.checks.errors import EngineInputError
from simulacra.engine.records import CausalGraph
from simulacra.infra.config import Settings
from simulacra.infra.tracing import STAGE
from simulacra.workflows.contracts import (
    CLEAN,
    COMBINE_SHARDS,
    DISCOVER,
    ESTIMATE_EFFECT,
    FIT,
    GENERATE,
    GENERATE_SHARD,
    CleanResult,
    DatasetRef,
    DiscoverResult,
    EffectInput,
    EffectResult,
    FitResult,
    GenerationInput,
    GenerationResult,
    ShardInput,
    ShardResult,
)

T = TypeVar("T")
log = structlog.get_logger("simulacra.engine")
# Structure and fit are deterministic per dataset; the generation seed comes from the request.
MODEL_SEED = 0
# An engine process killed this often on one job is not bad luck: the kernel ends it for want of memory.
DEATHS_BEFORE_GIVING_UP = 3
# Not a simio_* code: the job fails as simio_internal and the client learns nothing more.
ENGINE_FAULT = "EngineFault"
_MEMORY_ADVICE = (
    "Upload fewer columns (wide batteries of ratings cost the most) or fewer rows, or ask your operator "
    "to raise SIMULACRA_ENGINE_MEMORY_LIMIT_MB."
)


class EngineActivities:
    """Sorts what an engine job raised into the job's faults, which fail at once with their code,
    and the machine's (a lost worker or engine process, I/O), which Temporal retries."""

    def __init__(self, settings: Settings, pool: EnginePool, tracer: trace.Tracer | None = None) -> None:
        # Settings, not a Storage: each pool process opens storage with its own key provider.
        self._settings = settings
        self._pool = pool
        self._deaths: dict[tuple[str | None, str], int] = {}
        self._meter = EngineMeter(settings.engine_processes)
        self._tracer = tracer or trace.NoOpTracer()

    async def _run(self, stage: str, fn: Callable[..., T], *args: Any) -> T:
        # The span covers the wait on the pool too: a busy pool shows as a long engine span under its activity.
        with self._tracer.start_as_current_span(f"RunEngine:{stage}", attributes={STAGE: stage}):
            return await self._sorted(stage, fn, *args)

    async def _sorted(self, stage: str, fn: Callable[..., T], *args: Any) -> T:
        info = activity.info()
        job = (info.workflow_id, info.activity_id)
        deaths = self._deaths.pop(job, 0)  # kept only while a lost engine process is being retried
        with self._meter.stage(stage):
            try:
                return await self._pool.run(fn, self._settings, *args)
            except EngineProcessDied:
                deaths += 1
                if deaths < DEATHS_BEFORE_GIVING_UP:
                    self._deaths[job] = deaths
                    raise
                raise ApplicationError(
                    f"The engine process was killed {deaths} times while working on this job, most likely for "
                    "want of memory. " + _MEMORY_ADVICE,
                    type=MEMORY_EXCEEDED,
                    non_retryable=True,
                ) from None
            except EngineInputError as exc:
                raise ApplicationError(exc.detail, type=exc.code, non_retryable=True) from None
            except EngineOutOfMemory:
                raise ApplicationError(self._memory_message(), type=MEMORY_EXCEEDED, non_retryable=True) from None
            except EngineFault as exc:
                log.error("engine_fault", stage=stage, fault=str(exc), exc_info=exc)
                raise ApplicationError("the engine failed on this job", type=ENGINE_FAULT, non_retryable=True) from None

    def _memory_message(self) -> str:
        limit = self._pool.memory_limit_bytes
        size = f" of {limit // 1024**2} MiB" if limit else ""
        return f"The job needed more memory than the engine's limit{size}. " + _MEMORY_ADVICE

    @activity.defn(name=CLEAN)
    async def clean(self, ref: DatasetRef) -> CleanResult:
        return await self._run("clean", engine_jobs.clean, ref.tenant_id, ref.dataset_id, ref.upload_key)

    @activity.defn(name=DISCOVER)
    async def discover(self, ref: DatasetRef) -> DiscoverResult:
        return await self._run("discover", engine_jobs.discover, ref.tenant_id, ref.dataset_id, MODEL_SEED)

    @activity.defn(name=FIT)
    async def fit(self, ref: DatasetRef) -> FitResult:
        edited = None if ref.graph is None else CausalGraph.model_validate(ref.graph)
        return await self._run(
            "fit", engine_jobs.fit, ref.tenant_id, ref.dataset_id, ref.model_version, edited, MODEL_SEED
        )

    @activity.defn(name=GENERATE)
    async def generate(self, job: GenerationInput) -> GenerationResult:
        result = await self._run("generate", engine_jobs.generate, job)
        ROWS_GENERATED.inc(result.rows_generated)
        return result

    @activity.defn(name=GENERATE_SHARD)
    async def generate_shard(self, shard: ShardInput) -> ShardResult:
        return await self._run("generate", shard_jobs.generate_shard, shard)

    @activity.defn(name=COMBINE_SHARDS)
    async def combine_shards(self, job: GenerationInput) -> GenerationResult:
        result = await self._run("combine", shard_jobs.combine, job)
        ROWS_GENERATED.inc(result.rows_generated)
        return result

    @activity.defn(name=ESTIMATE_EFFECT)
    async def estimate_effect(self, job: EffectInput) -> EffectResult:
        return await self._run("estimate", effect_jobs.estimate, job)
