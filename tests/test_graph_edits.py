"""Causal hints at upload and graph edits after: the user's knowledge shapes the model, and is checked."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests
from starlette.testclient import TestClient

from tests.flows import bearer, finished, generate
from tests.stack import poll_until

HINTS = {"tiers": [["Segment", "Region"], ["Age Band", "Brand"], ["Price"]], "forbidden": []}


def _upload_with_hints(client: TestClient, token: str, csv: bytes, hints: dict) -> dict:
    response = client.post(
        "/v1/datasets",
        headers=bearer(token, uuid.uuid4().hex),
        files={"file": ("tracker.csv", csv)},
        data={"causal_hints": json.dumps(hints)},
    )
    assert response.status_code == 202, response.text
    return response.json()


def test_hints_by_raw_header_shape_the_graph(
    client: TestClient, token: str, tracker_csv: bytes, worker: object
) -> None:
    accepted = _upload_with_hints(client, token, tracker_csv, HINTS)
    assert finished(client, token, accepted["job_id"], worker)["status"] == "ready"
    graph = client.get(f"/v1/datasets/{accepted['dataset_id']}/graph", headers=bearer(token)).json()
    assert graph["hints_applied"]["tiers"][0] == ["segment", "region"]
    edges = {(edge["from"], edge["to"]) for edge in graph["edges"]}
    assert ("price", "brand") not in edges and ("age_band", "segment") not in edges


def test_hints_naming_an_unknown_column_fail_the_job_with_a_pointer(
    client: TestClient, token: str, tracker_csv: bytes, worker: object
) -> None:
    accepted = _upload_with_hints(client, token, tracker_csv, {"tiers": [["Segment"], ["Shoe Size"]]})
    job = finished(client, token, accepted["job_id"], worker)
    assert job["status"] == "failed" and job["error"]["code"] == "simio_invalid_field"
    assert "Shoe Size" in job["error"]["message"]


def test_malformed_hints_are_refused_at_upload(client: TestClient, token: str) -> None:
    response = client.post(
        "/v1/datasets",
        headers=bearer(token, uuid.uuid4().hex),
        files={"file": ("t.csv", b"a,b\n1,2\n")},
        data={"causal_hints": "{not json"},
    )
    assert response.status_code == 400 and response.json()["errors"][0]["pointer"] == "/causal_hints"


def test_graph_edit_refits_a_new_version(client: TestClient, token: str, tracker_csv: bytes, worker: object) -> None:
    accepted = _upload_with_hints(client, token, tracker_csv, {})
    dataset_id = accepted["dataset_id"]
    assert finished(client, token, accepted["job_id"], worker)["status"] == "ready"
    path = f"/v1/datasets/{dataset_id}/graph"

    cycle = client.patch(
        path, headers=bearer(token), json={"edits": [{"op": "add", "from": "purchase_intent", "to": "region"}]}
    )
    assert cycle.status_code == 422 and cycle.json()["code"] == "simio_graph_cycle"
    assert cycle.json()["errors"][0]["pointer"] == "/edits/0"

    edit = client.patch(
        path, headers=bearer(token), json={"edits": [{"op": "remove", "from": "price", "to": "purchase_intent"}]}
    )
    assert edit.status_code == 202, edit.text
    assert edit.json()["model_version"] == 2 and edit.json()["status"] == "ready"
    poll_until(
        lambda: client.get(path, headers=bearer(token)),
        lambda r: r.status_code == 200 and r.json()["model_version"] == 2,
        timeout=120,
    )
    graph = client.get(path, headers=bearer(token)).json()
    assert ("price", "purchase_intent") not in {(e["from"], e["to"]) for e in graph["edges"]}

    # Without that edge, fixing the price no longer moves purchase intent directly: generations say which model.
    job = finished(client, token, generate(client, token, dataset_id, {"row_count": 50}).json()["job_id"], worker)
    assert client.get(f"/v1/generations/{job['generation_id']}", headers=bearer(token)).json()["model_version"] == 2


def test_concurrent_edits_never_both_land(
    live_api: str, client: TestClient, token: str, tracker_csv: bytes, worker: object
) -> None:
    accepted = _upload_with_hints(client, token, tracker_csv, {})
    assert finished(client, token, accepted["job_id"], worker)["status"] == "ready"
    path = f"{live_api}/v1/datasets/{accepted['dataset_id']}/graph"
    edits = [{"op": "remove", "from": "price", "to": "satisfaction"}, {"op": "remove", "from": "brand", "to": "price"}]

    def send(edit: dict) -> requests.Response:
        return requests.patch(path, headers=bearer(token), json={"edits": [edit], "model_version": 1}, timeout=60)

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(send, edits))
    assert sorted(a.status_code for a in answers) == [202, 409], [a.text for a in answers]
    refused = next(a for a in answers if a.status_code == 409).json()
    assert refused["code"] in ("simio_graph_version_conflict", "simio_dataset_not_ready")
    stale = requests.patch(path, headers=bearer(token), json={"edits": [edits[0]], "model_version": 1}, timeout=60)
    assert stale.status_code == 409 and stale.json()["code"] in (
        "simio_graph_version_conflict",
        "simio_dataset_not_ready",
    )
