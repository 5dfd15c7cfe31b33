"""DatasetWorkflow: clean -> discover -> fit, publish readiness, hold until retention or delete, then remove."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import (
        CLEAN,
        DATASET_WORKFLOW,
        DELETE_UPDATE,
        DISCOVER,
        FIT,
        REFIT_UPDATE,
        CleanResult,
        DatasetInput,
        DatasetRef,
        DiscoverResult,
        ExpireInput,
        FitResult,
        RefitRequest,
    )
    from workflows.lifecycle import Lifecycle
    from workflows.policies import engine_step
    from workflows.publish import error_fields


@workflow.defn(name=DATASET_WORKFLOW)
class DatasetWorkflow:
    def __init__(self) -> None:
        self._life = Lifecycle()
        self._ready = False
        self._model_version = 1
        self._ref = DatasetRef(tenant_id="", dataset_id="")

    @workflow.update(name=DELETE_UPDATE)
    async def delete(self) -> None:
        await self._life.delete()

    @workflow.update(name=REFIT_UPDATE)
    async def refit(self, request: RefitRequest) -> None:
        """Fit the edited graph as a new model version; generations keep the version they started with."""
        self._life.busy = True
        try:
            publish = self._life.publish
            publish("running", "refitting", 0.6)
            ref = DatasetRef(
                tenant_id=self._ref.tenant_id, dataset_id=self._ref.dataset_id, model_version=request.model_version
            )
            try:
                await engine_step(FIT, ref, FitResult)
                self._model_version = request.model_version
                publish("ready", "ready", 1.0, model_version=request.model_version)
            except ActivityError as exc:
                # The previous model still stands: report the failed refit, keep serving that version.
                publish("ready", "ready", 1.0, model_version=self._model_version, refit_error=error_fields(exc))
                raise ApplicationError("the refit failed; the previous model version is still in use") from None
        finally:
            self._life.busy = False

    @refit.validator
    def _refit_allowed(self, request: RefitRequest) -> None:
        if self._life.busy or self._life.deleted or not self._ready:
            raise ApplicationError("the dataset is not ready for a refit", type="simio_dataset_not_ready")
        if request.model_version != self._model_version + 1:
            raise ApplicationError("a newer model version exists", type="simio_graph_version_conflict")

    @workflow.run
    async def run(self, job: DatasetInput) -> None:
        ref = self._ref = DatasetRef(tenant_id=job.tenant_id, dataset_id=job.dataset_id)
        target = ExpireInput(tenant_id=job.tenant_id, dataset_id=job.dataset_id)
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
