"""Temporal activities for the engine: thin wrappers that run engine_jobs in the pool."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from temporalio import activity
from temporalio.exceptions import ApplicationError

from simulacra.activities import effect_jobs, engine_jobs
from simulacra.activities.isolation import EnginePool
from simulacra.activities.metrics import ROWS_GENERATED, EngineMeter
from simulacra.engine.checks.errors import EngineInputError
from simulacra.engine.records import CausalGraph
from simulacra.infra.config import Settings
from simulacra.workflows.contracts import (
    CLEAN,
    DISCOVER,
    ESTIMATE_EFFECT,
    FIT,
    GENERATE,
    CleanResult,
    DatasetRef,
    DiscoverResult,
    EffectInput,
    EffectResult,
    FitResult,
    GenerationInput,
    GenerationResult,
)

T = TypeVar("T")
# Structure and fit are deterministic per dataset; the generation seed comes from the request.
MODEL_SEED = 0


class EngineActivities:
    def __init__(self, settings: Settings, pool: EnginePool) -> None:
        # Settings, not a Storage: each pool process opens storage with its own key provider.
        self._settings = settings
        self._pool = pool
        self._meter = EngineMeter(settings.engine_processes)

    async def _run(self, stage: str, fn: Callable[..., T], *args: Any) -> T:
        with self._meter.stage(stage):
            try:
                return await self._pool.run(fn, self._settings, *args)
            except EngineInputError as exc:
                raise ApplicationError(exc.detail, type=exc.code, non_retryable=True) from None

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

    @activity.defn(name=ESTIMATE_EFFECT)
    async def estimate_effect(self, job: EffectInput) -> EffectResult:
        return await self._run("estimate", effect_jobs.estimate, job)
