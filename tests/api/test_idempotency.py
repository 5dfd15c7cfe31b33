from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import requests
from starlette.testclient import TestClient

from tests.flows import bearer, generate, upload
from tests.stack import poll_until

SMALL_CSV = b"a,b\n" + b"".join(f"{i % 3},{i % 5}\n".encode() for i in range(40))


def test_missing_and_malformed_keys_are_refused(client: TestClient, token: str) -> None:
    missing = client.post("/v1/datasets", headers=bearer(token), files={"file": ("t.csv", SMALL_CSV)})
    assert missing.status_code == 400 and missing.json()["code"] == "simio_idempotency_key_required"
    malformed = upload(client, token, SMALL_CSV, key="no spaces allowed")
    assert malformed.status_code == 400 and malformed.json()["code"] == "simio_invalid_idempotency_key"


def test_same_key_same_upload_replays_original(client: TestClient, token: str) -> None:
    key = uuid.uuid4().hex
    first = upload(client, token, SMALL_CSV, key=key)
    quoted = upload(client, token, SMALL_CSV, key=f'"{key}"')
    assert first.status_code == quoted.status_code == 202
    assert quoted.json() == first.json()
    assert quoted.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers


def test_same_key_different_upload_conflicts(client: TestClient, token: str) -> None:
    key = uuid.uuid4().hex
    assert upload(client, token, SMALL_CSV, key=key).status_code == 202
    conflict = upload(client, token, SMALL_CSV + b"9,9\n", key=key)
    assert conflict.status_code == 422 and conflict.json()["code"] == "simio_idempotency_conflict"


def test_keys_are_scoped_per_tenant(client: TestClient, token: str, other_token: str) -> None:
    key = uuid.uuid4().hex
    mine = upload(client, token, SMALL_CSV, key=key).json()
    theirs = upload(client, other_token, SMALL_CSV, key=key).json()
    assert mine["dataset_id"] != theirs["dataset_id"]


def test_rejected_request_is_not_stored(client: TestClient, token: str, ready_dataset: str) -> None:
    key = uuid.uuid4().hex
    bad = generate(client, token, ready_dataset, {"row_count": 0}, key=key)
    assert bad.status_code == 400 and bad.json()["code"] == "simio_invalid_field"
    assert bad.json()["errors"][0]["pointer"] == "/row_count"
    # Same key, fixed body: accepted, because the refused attempt did no work and left no record.
    good = generate(client, token, ready_dataset, {"row_count": 50}, key=key)
    assert good.status_code == 202
    replay = generate(client, token, ready_dataset, {"row_count": 50}, key=key)
    assert replay.json()["generation_id"] == good.json()["generation_id"]


def test_concurrent_requests_with_one_key_create_one_dataset(live_api: str, token: str) -> None:
    key = uuid.uuid4().hex

    def send(_: int) -> requests.Response:
        return requests.post(
            f"{live_api}/v1/datasets", headers=bearer(token, key), files={"file": ("t.csv", SMALL_CSV)}, timeout=60
        )

    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(send, range(32)))
    accepted = [a for a in answers if a.status_code == 202]
    assert accepted and all(a.status_code in (202, 409) for a in answers)
    assert {a.json()["dataset_id"] for a in accepted} == {accepted[0].json()["dataset_id"]}
    in_flight = [a for a in answers if a.status_code == 409]
    assert all(a.json()["code"] == "simio_idempotency_in_flight" and a.headers["retry-after"] for a in in_flight)
    dataset_id = accepted[0].json()["dataset_id"]

    def copies_listed() -> int:
        page = requests.get(f"{live_api}/v1/datasets", headers=bearer(token), params={"limit": 100}, timeout=30)
        return sum(d["dataset_id"] == dataset_id for d in page.json()["data"])

    # Temporal's list index follows a start by a moment: wait until the dataset is listed, then count it.
    assert poll_until(copies_listed, bool, timeout=30) == 1
