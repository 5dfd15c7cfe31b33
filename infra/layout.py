"""Where each artifact lives in storage: one function per object, so every layer agrees."""

from __future__ import annotations


def staging_key(tenant_id: str, upload_id: str) -> str:
    """Where an upload streams to before its request (and so its dataset id) is known."""
    return f"tenants/{tenant_id}/staging/{upload_id}"


def dataset_prefix(tenant_id: str, dataset_id: str) -> str:
    return f"tenants/{tenant_id}/datasets/{dataset_id}"


def upload_key(tenant_id: str, dataset_id: str) -> str:
    return f"{dataset_prefix(tenant_id, dataset_id)}/upload"


def cleaned_key(tenant_id: str, dataset_id: str) -> str:
    return f"{dataset_prefix(tenant_id, dataset_id)}/cleaned.parquet"


def schema_key(tenant_id: str, dataset_id: str) -> str:
    return f"{dataset_prefix(tenant_id, dataset_id)}/schema.json"


def hints_key(tenant_id: str, dataset_id: str) -> str:
    return f"{dataset_prefix(tenant_id, dataset_id)}/causal_hints.json"


# Graph, model and fit report are versioned together: an edited graph is refitted as a new model
# version, and each generation names the version it sampled from.
def graph_key(tenant_id: str, dataset_id: str, version: int) -> str:
    return f"{dataset_prefix(tenant_id, dataset_id)}/graph-v{version}.json"


def model_key(tenant_id: str, dataset_id: str, version: int) -> str:
    return f"{dataset_prefix(tenant_id, dataset_id)}/model-v{version}.pkl"


def fit_report_key(tenant_id: str, dataset_id: str, version: int) -> str:
    return f"{dataset_prefix(tenant_id, dataset_id)}/fit-report-v{version}.json"


def validation_key(tenant_id: str, dataset_id: str, version: int) -> str:
    return f"{dataset_prefix(tenant_id, dataset_id)}/validation-v{version}.json"


def dataset_report_key(tenant_id: str, dataset_id: str, version: int) -> str:
    """The model report's page, drawn on first view: a version's records never change once it is fitted."""
    return f"{dataset_prefix(tenant_id, dataset_id)}/report-v{version}.html"


# Generations live beside, not under, their dataset: deleting a dataset leaves already generated
# artifacts to expire on their own retention windows.
def generation_prefix(tenant_id: str, generation_id: str) -> str:
    return f"tenants/{tenant_id}/generations/{generation_id}"


def artifact_key(tenant_id: str, generation_id: str, fmt: str) -> str:
    return f"{generation_prefix(tenant_id, generation_id)}/rows.{fmt}"


def generation_report_key(tenant_id: str, generation_id: str) -> str:
    return f"{generation_prefix(tenant_id, generation_id)}/report.json"


def generation_page_key(tenant_id: str, generation_id: str) -> str:
    return f"{generation_prefix(tenant_id, generation_id)}/report.html"


# A sharded generation's parts, each shard's rows and tally, until they are combined into the artifact.
def shards_prefix(tenant_id: str, generation_id: str) -> str:
    return f"{generation_prefix(tenant_id, generation_id)}/shards"


def shard_rows_key(tenant_id: str, generation_id: str, index: int) -> str:
    return f"{shards_prefix(tenant_id, generation_id)}/{index:06d}.arrows"


def shard_tally_key(tenant_id: str, generation_id: str, index: int) -> str:
    return f"{shards_prefix(tenant_id, generation_id)}/{index:06d}.json"


# Effects live under their dataset: they describe its model, so deleting or expiring the dataset
# removes them with it.
def effect_prefix(tenant_id: str, dataset_id: str, effect_id: str) -> str:
    return f"{dataset_prefix(tenant_id, dataset_id)}/effects/{effect_id}"


def effect_result_key(tenant_id: str, dataset_id: str, effect_id: str) -> str:
    return f"{effect_prefix(tenant_id, dataset_id, effect_id)}/result.json"


def effect_page_key(tenant_id: str, dataset_id: str, effect_id: str) -> str:
    return f"{effect_prefix(tenant_id, dataset_id, effect_id)}/report.html"
