"""DatasetWorkflow: clean -> discover -> fit, publish readiness, hold until retention or delete, then remove."""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from simulacra.workflows.contracts import (
        CLEAN,
        DATASET_WORKFLOW,
        DELETE_UPDATE,
        DISCOVER,
        FIT,
        REFIT_UPDATE,
        RETENTION_UPDATE,
        CleanResult,
        DatasetInput,
        DatasetRef,
        DiscoverResult,
        ExpireInput,
        FitResult,
        RefitRequest,
        RetentionChange,
    )
    from simulacra.workflows.lifecycle import Lifecycle
    from simulacra.workflows.policies import engine_step
    from simulacra.workflows.publish import error_fields, failure_of


@workflow.defn(name=DATASET_WORKFLOW)
class DatasetWorkflow:
    def __init__(self) -> None:
        self._life = Lifecycle()
        self._ready = False
        self._model_version = 1
        self._ref = DatasetRef(tenant_id="", dataset_id="")
        self._refits: list[asyncio.Future[None]] = []

    @workflow.update(name=DELETE_UPDATE)
    async def delete(self) -> None:
        await self._life.delete()

    @workflow.update(name=RETENTION_UPDATE)
    def set_retention(self, change: RetentionChange) -> None:
        self._life.retain_until(change)

    @set_retention.validator
    def _retention_allowed(self, change: RetentionChange) -> None:
        if self._life.deleted or self._life.ending:
            raise ApplicationError("the dataset is already being removed", type="simio_dataset_not_found")

    @workflow.update(name=REFIT_UPDATE)
    async def refit(self, request: RefitRequest) -> int:
        """Accept an edited graph and fit it in the background as the next version; returns that version.

        The dataset stays `ready` on its current version meanwhile (stage `refitting`); generations
        keep the version they started with.
        """
        version = self._model_version + 1
        self._life.busy = True
        self._life.publish("ready", "refitting", 1.0, refit_error=None)
        ref = DatasetRef(
            **self._ref.model_dump(exclude={"model_version", "graph"}), model_version=version, graph=request.graph
        )
        self._refits.append(asyncio.ensure_future(self._fit_version(ref)))
        return version

    @refit.validator
    def _refit_allowed(self, request: RefitRequest) -> None:
        if self._life.busy or self._life.deleted or self._life.ending or not self._ready:
            raise ApplicationError("the dataset is not ready for a refit", type="simio_dataset_not_ready")
        if request.base_version != self._model_version:
            raise ApplicationError(
                f"the graph was edited since version {request.base_version}; current is {self._model_version}",
                type="simio_graph_version_conflict",
            )

    async def _fit_version(self, ref: DatasetRef) -> None:
        try:
            await engine_step(FIT, ref, FitResult)
            self._model_version = ref.model_version
            self._life.publish("ready", "ready", 1.0, model_version=ref.model_version)
        except ActivityError as exc:
            # The previous model still stands: say why the refit failed, keep serving that version.
            self._life.publish("ready", "ready", 1.0, refit_error=failure_of(exc))
        finally:
            self._life.busy = False

    @workflow.run
    async def run(self, job: DatasetInput) -> None:
        ref = self._ref = DatasetRef(tenant_id=job.tenant_id, dataset_id=job.dataset_id, upload_key=job.upload_key)
        target = ExpireInput(tenant_id=job.tenant_id, dataset_id=job.dataset_id, upload_key=job.upload_key)
        await self._life.run(self._build(ref), job.expires_at, target)

    async def _build(self, ref: DatasetRef) -> None:
        publish = self._life.publish
        try:
            publish("running", "cleaning", 0.0)
            cleaned = await engine_step(CLEAN, ref, CleanResult)
            publish("running", "discovering", 0.3, row_count=cleaned.row_count, column_count=cleaned.column_count)
            discovered = await engine_step(DISCOVER, ref, DiscoverResult)
            publish("running", "fitting", 0.6, edge_count=discovered.edge_count)
            await engine_step(FIT, ref, FitResult)
            publish("ready", "ready", 1.0, ready_at=workflow.now().isoformat(), model_version=1)
            self._ready = True
        except ActivityError as exc:
            publish("failed", "failed", 1.0, **error_fields(exc))
