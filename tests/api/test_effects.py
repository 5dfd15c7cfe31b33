"""POST /v1/datasets/{id}/effects through the real stack: validation, the estimate, and its agreement with rows."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any

import numpy as np
import pytest
from starlette.testclient import TestClient

from simulacra.activities.storage_activities import StorageActivities
from simulacra.infra import layout
from simulacra.infra.config import Settings
from simulacra.infra.storage import open_storage
from simulacra.workflows.contracts import ExpireInput
from tests.conftest import claim_token
from tests.flows import bearer, finished, generate, rows_of, upload
from tests.test_retention import SMALL, _stored

PRICE = {"column": "price", "from": 4.99, "to": 5.49}
# examples/make_tracker.py sampled under do(price) with 400,000 rows per arm: E[intent | do(5.49)] - E[... 4.99].
TRUE_PRICE_EFFECT = -6.23
# Region causes price, so no intervention on price reaches it: an exact zero, quick to compute (no refits).
CHEAP = {
    "treatment": PRICE,
    "outcome": "region",
    "outcome_level": "north",
    "samples": 1000,
    "interval_method": "bootstrap_refit",
}


def post_effect(client: TestClient, token: str, dataset_id: str, body: dict[str, Any], key: str | None = None):
    return client.post(f"/v1/datasets/{dataset_id}/effects", headers=bearer(token, key or uuid.uuid4().hex), json=body)


def estimated(client: TestClient, token: str, dataset_id: str, body: dict[str, Any], worker: object) -> dict:
    accepted = post_effect(client, token, dataset_id, body)
    assert accepted.status_code == 202, accepted.text
    job = finished(client, token, accepted.json()["job_id"], worker)
    assert job["status"] == "ready" and job["kind"] == "effect", job
    effect = client.get(f"/v1/effects/{accepted.json()['effect_id']}", headers=bearer(token))
    assert effect.status_code == 200, effect.text
    return effect.json()


@pytest.fixture(scope="module")
def price_effect(client: TestClient, token: str, ready_dataset: str, worker: object) -> dict:
    body = {"treatment": PRICE, "outcome": "purchase_intent", "segment_by": "segment", "seed": 11}
    return estimated(client, token, ready_dataset, body, worker)


def test_accepted_with_location_and_polled_as_a_job(client: TestClient, token: str, ready_dataset: str) -> None:
    accepted = post_effect(client, token, ready_dataset, CHEAP)
    assert accepted.status_code == 202, accepted.text
    body = accepted.json()
    assert body["effect_id"].startswith("eff_") and body["job_id"] == f"job_{body['effect_id']}"
    assert accepted.headers["Location"] == f"/v1/jobs/{body['job_id']}" and accepted.headers["Retry-After"]
    job = client.get(f"/v1/jobs/{body['job_id']}", headers=bearer(token)).json()
    assert (job["kind"], job["effect_id"], job["dataset_id"]) == ("effect", body["effect_id"], ready_dataset)
    listed = client.get("/v1/jobs", headers=bearer(token), params={"limit": 100}).json()["data"]
    assert body["job_id"] in {j["job_id"] for j in listed}


def test_price_effect_is_near_the_truth_with_interval_support_and_path(price_effect: dict) -> None:
    effect = price_effect
    assert effect["ci_low"] < effect["estimate"] < effect["ci_high"] < 0
    assert effect["ci_low"] <= TRUE_PRICE_EFFECT <= effect["ci_high"], effect
    assert abs(effect["estimate"] - TRUE_PRICE_EFFECT) < 0.1 * abs(TRUE_PRICE_EFFECT)
    # The default interval spans the graphs rediscovered on bootstrap resamples, and says what it found.
    assert effect["method"] == effect["interval_method"] == "bootstrap_rediscover" and effect["resamples"] >= 10
    assert effect["confidence_level"] == 0.95 and "discovered again" in effect["interval_covers"]
    structure = effect["structure"]
    assert structure["resamples"] == effect["resamples"] and structure["rows_per_resample"] == 5000
    assert 0 < structure["resamples_with_path"] <= structure["resamples"]
    assert ["price", "purchase_intent"] in [path["path"] for path in structure["paths"]]
    assert structure["effect_low"] <= effect["estimate"] or structure["effect_low"] <= effect["ci_low"]
    assert structure["effect_low"] <= structure["effect_median"] <= structure["effect_high"]
    for edge in structure["contested_edges"]:
        assert edge["present_share"] + edge["reversed_share"] + edge["absent_share"] == pytest.approx(1, abs=0.01)
    assert "effect_range" in effect
    assert ["price", "purchase_intent"] in effect["graph_path"] and effect["note"] is None
    support = effect["support"]
    assert support["in_support"] and support["level"] == "good"
    assert (
        0
        < support["share_of_seed_rows_at_or_near"]
        == min(support["from"]["share_of_seed_rows_at_or_near"], support["to"]["share_of_seed_rows_at_or_near"])
    )
    assert effect["treatment"] == PRICE and effect["model_version"] == 1 and effect["seed"] == 11


def test_segments_carry_their_own_estimates(price_effect: dict) -> None:
    segments = {segment["level"]: segment for segment in price_effect["segments"]}
    assert set(segments) == {"genz_switcher", "loyal_boomer", "value_seeker", "premium_millennial"}
    assert sum(segment["units"] for segment in segments.values()) == price_effect["samples"] == 20000
    for segment in segments.values():
        # The true effect is -6.2 in every segment (examples/make_tracker.py: price acts the same for all).
        assert segment["ci_low"] < segment["estimate"] < segment["ci_high"] < 0
        assert segment["support"]["in_support"]


def test_effect_agrees_with_two_generations(client: TestClient, token: str, ready_dataset: str, worker: object) -> None:
    rows, seed = 2000, 5
    effect = estimated(
        client,
        token,
        ready_dataset,
        {
            "treatment": PRICE,
            "outcome": "purchase_intent",
            "samples": rows,
            "seed": seed,
            "interval_method": "bootstrap_refit",
        },
        worker,
    )
    means = []
    for value in (PRICE["from"], PRICE["to"]):
        body = {"row_count": rows, "seed": seed, "conditions": {"numeric": {"price": {"min": value, "max": value}}}}
        job = finished(client, token, generate(client, token, ready_dataset, body).json()["job_id"], worker)
        generation = client.get(f"/v1/generations/{job['generation_id']}", headers=bearer(token)).json()
        assert generation["model_version"] == effect["model_version"]
        means.append(float(np.nanmean(rows_of(client, token, job)["purchase_intent"].to_numpy(zero_copy_only=False))))
    difference = means[1] - means[0]
    # Same engine, same seed, same number of units: the arms are the very rows a generation makes.
    assert effect["arms"]["from"]["mean"] == pytest.approx(means[0], abs=1e-4)
    assert effect["arms"]["to"]["mean"] == pytest.approx(means[1], abs=1e-4)
    assert effect["ci_low"] <= difference <= effect["ci_high"] and difference == pytest.approx(
        effect["estimate"], abs=1e-4
    )


def test_an_outcome_the_treatment_cannot_reach_is_exactly_zero(
    client: TestClient, token: str, ready_dataset: str, worker: object
) -> None:
    graph = client.get(f"/v1/datasets/{ready_dataset}/graph", headers=bearer(token)).json()
    assert ["region", "price"] in [[edge["from"], edge["to"]] for edge in graph["edges"]]  # a cause, not an effect
    effect = estimated(client, token, ready_dataset, CHEAP, worker)
    assert (effect["estimate"], effect["ci_low"], effect["ci_high"]) == (0.0, 0.0, 0.0)
    assert effect["method"] == "exact_zero" and effect["graph_path"] == [] and "not a descendant" in effect["note"]
    assert effect["arms"]["from"]["mean"] == effect["arms"]["to"]["mean"]


@pytest.mark.parametrize(
    ("body", "code", "pointer"),
    [
        (
            {"treatment": {**PRICE, "column": "Price"}, "outcome": "purchase_intent"},
            "simio_unknown_condition_column",
            "/treatment/column",
        ),
        ({"treatment": PRICE, "outcome": "loyalty"}, "simio_unknown_condition_column", "/outcome"),
        (
            {"treatment": {"column": "brand", "from": "Fizzo", "to": "Cola"}, "outcome": "purchase_intent"},
            "simio_unknown_condition_level",
            "/treatment/to",
        ),
        ({"treatment": PRICE, "outcome": "brand"}, "simio_invalid_field", "/outcome_level"),
        (
            {"treatment": PRICE, "outcome": "brand", "outcome_level": "Cola"},
            "simio_unknown_condition_level",
            "/outcome_level",
        ),
        (
            {"treatment": PRICE, "outcome": "purchase_intent", "outcome_level": "high"},
            "simio_invalid_field",
            "/outcome_level",
        ),
        ({"treatment": PRICE, "outcome": "price"}, "simio_invalid_field", "/outcome"),
        ({"treatment": {**PRICE, "to": 4.99}, "outcome": "purchase_intent"}, "simio_invalid_field", "/treatment/to"),
        (
            {"treatment": {**PRICE, "from": "cheap"}, "outcome": "purchase_intent"},
            "simio_invalid_field",
            "/treatment/from",
        ),
        (
            {"treatment": PRICE, "outcome": "purchase_intent", "segment_by": "satisfaction"},
            "simio_invalid_field",
            "/segment_by",
        ),
        (
            {"treatment": PRICE, "outcome": "purchase_intent", "segment_by": "Segment"},
            "simio_unknown_condition_column",
            "/segment_by",
        ),
        ({"treatment": PRICE, "outcome": "purchase_intent", "samples": 10**6}, "simio_invalid_field", "/samples"),
        (
            {"treatment": PRICE, "outcome": "purchase_intent", "confidence_level": 1.5},
            "simio_invalid_field",
            "/confidence_level",
        ),
        (
            {"treatment": {"column": "price", "from": 4.99}, "outcome": "purchase_intent"},
            "simio_invalid_field",
            "/treatment/to",
        ),
        ({"treatment": PRICE, "outcome": "purchase_intent", "by": "segment"}, "simio_invalid_field", "/by"),
    ],
)
def test_bad_requests_are_refused_before_any_work(
    client: TestClient, token: str, ready_dataset: str, body: dict, code: str, pointer: str
) -> None:
    refused = post_effect(client, token, ready_dataset, body)
    assert refused.status_code == 400, refused.text
    problem = refused.json()
    assert (problem["code"], problem["errors"][0]["pointer"]) == (code, pointer), problem


def test_a_refused_request_can_be_fixed_under_the_same_key(client: TestClient, token: str, ready_dataset: str) -> None:
    key = uuid.uuid4().hex
    assert post_effect(client, token, ready_dataset, {**CHEAP, "outcome_level": "nowhere"}, key).status_code == 400
    # Refused requests are not recorded: the same key works once the request is fixed.
    assert post_effect(client, token, ready_dataset, CHEAP, key).status_code == 202


def test_raw_headers_get_a_hint_and_segments_must_not_be_caused_by_the_treatment(
    client: TestClient, token: str, ready_dataset: str
) -> None:
    raw = post_effect(client, token, ready_dataset, {"treatment": {**PRICE, "column": "Price"}, "outcome": "awareness"})
    assert "the raw header 'Price' is the cleaned column 'price'" in raw.json()["detail"]
    caused = post_effect(
        client,
        token,
        ready_dataset,
        {
            "treatment": {"column": "segment", "from": "value_seeker", "to": "genz_switcher"},
            "outcome": "purchase_intent",
            "segment_by": "brand",
        },
    )
    assert caused.json()["errors"][0]["pointer"] == "/segment_by" and "caused by segment" in caused.json()["detail"]


def test_replay_returns_the_same_effect_and_a_changed_body_conflicts(
    client: TestClient, token: str, ready_dataset: str
) -> None:
    key, body = uuid.uuid4().hex, CHEAP
    first, again = (post_effect(client, token, ready_dataset, body, key) for _ in range(2))
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    changed = post_effect(client, token, ready_dataset, {**body, "samples": 2000}, key)
    assert changed.status_code == 422 and changed.json()["code"] == "simio_idempotency_conflict"


def test_other_tenants_see_nothing(
    client: TestClient, token: str, other_token: str, ready_dataset: str, price_effect: dict
) -> None:
    effect_id = price_effect["effect_id"]
    assert (
        client.get(f"/v1/effects/{effect_id}", headers=bearer(other_token)).json()["code"] == "simio_effect_not_found"
    )
    assert client.get(f"/v1/jobs/job_{effect_id}", headers=bearer(other_token)).status_code == 404
    refused = post_effect(client, other_token, ready_dataset, CHEAP)
    assert refused.status_code == 404 and refused.json()["code"] == "simio_dataset_not_found"
    missing = client.get("/v1/effects/eff_00000000000000000000", headers=bearer(token))
    assert missing.status_code == 404 and missing.json()["code"] == "simio_effect_not_found"


def test_effects_need_generation_scopes(client: TestClient, settings: Settings, ready_dataset: str) -> None:
    reader = claim_token(client, settings, "acme", scope="datasets:read datasets:write generations:read")
    refused = post_effect(client, reader, ready_dataset, CHEAP)
    assert refused.status_code == 403 and refused.json()["code"] == "simio_insufficient_scope"


def test_an_effect_goes_with_its_dataset(client: TestClient, token: str, settings: Settings, worker: object) -> None:
    accepted = upload(client, token, SMALL, "small.csv").json()
    dataset_id = accepted["dataset_id"]
    assert finished(client, token, accepted["job_id"], worker)["status"] == "ready"
    dataset = client.get(f"/v1/datasets/{dataset_id}", headers=bearer(token)).json()
    body = {
        "treatment": {"column": "group", "from": "g0", "to": "g1"},
        "outcome": "score",
        "samples": 1000,
        "retention_hours": 168,
    }
    effect = estimated(client, token, dataset_id, body, worker)
    # Asked for a week, kept no longer than the dataset (24 hours) whose model it describes.
    assert datetime.fromisoformat(effect["expires_at"]) == datetime.fromisoformat(dataset["expires_at"])
    assert _stored(settings, "datasets", dataset_id, "effects", effect["effect_id"])

    assert client.delete(f"/v1/datasets/{dataset_id}", headers=bearer(token)).status_code == 204
    gone = client.get(f"/v1/effects/{effect['effect_id']}", headers=bearer(token))
    assert gone.status_code == 404 and gone.json()["code"] == "simio_effect_not_found"
    assert _stored(settings, "datasets", dataset_id, "effects") == []
    refused = post_effect(client, token, dataset_id, body)
    assert refused.status_code == 404 and refused.json()["code"] == "simio_dataset_not_found"


def test_an_effects_own_expiry_removes_only_its_result(settings: Settings) -> None:
    storage, dataset_id = open_storage(settings), f"ds_{uuid.uuid4().hex[:20]}"
    kept, removed = layout.schema_key("acme", dataset_id), layout.effect_result_key("acme", dataset_id, "eff_1")
    for key in (kept, removed):
        storage.write_json(key, {})
    target = ExpireInput(tenant_id="acme", dataset_id=dataset_id, effect_id="eff_1")
    asyncio.run(StorageActivities(storage).expire(target))
    assert storage.exists(kept) and not storage.exists(removed)
    storage.delete_prefix(layout.dataset_prefix("acme", dataset_id))
