"""The effect estimate a pool process runs: read the model and seed rows, call the engine, store the result.

Idempotent: the same effect id writes the same key, overwritten whole.
"""

from __future__ import annotations

from simulacra.engine.checks.errors import EngineInputError
from simulacra.infra import layout
from simulacra.infra.config import Settings
from simulacra.infra.storage import open_storage
from simulacra.workflows.contracts import EffectInput, EffectResult


def estimate(settings: Settings, job: EffectInput) -> EffectResult:
    from simulacra.engine.effects import estimate_effect  # loads DoWhy: only pool processes import it

    storage = open_storage(settings)
    tenant_id, dataset_id, effect_id = job.tenant_id, job.dataset_id, job.effect_id
    try:
        with (
            storage.local_copy(layout.model_key(tenant_id, dataset_id, job.model_version)) as model_path,
            storage.local_copy(layout.cleaned_key(tenant_id, dataset_id)) as seed_rows,
        ):
            result = estimate_effect(model_path, job.request, seed_parquet=seed_rows)
    except FileNotFoundError:
        raise EngineInputError(
            "simio_dataset_not_found", f"dataset {dataset_id} has no fitted model (deleted or expired)"
        ) from None
    result["model_version"] = job.model_version
    key = layout.effect_result_key(tenant_id, dataset_id, effect_id)
    storage.write_json(key, result)
    # A DELETE of the dataset may have landed while we estimated: nothing of it may reappear after its removal.
    if not storage.exists(layout.schema_key(tenant_id, dataset_id)):
        storage.delete_prefix(key)
        raise EngineInputError("simio_dataset_not_found", f"dataset {dataset_id} was deleted during the estimate")
    return EffectResult(estimate=result["estimate"], method=result["method"])
