"""A ready dataset carries its model's validation report, with the fields the README documents."""

from __future__ import annotations

from starlette.testclient import TestClient

from tests.flows import bearer, finished, upload
from tests.stack import poll_until


def test_ready_dataset_carries_its_validation_report(client: TestClient, token: str, ready_dataset: str) -> None:
    dataset = client.get(f"/v1/datasets/{ready_dataset}", headers=bearer(token)).json()
    schema = client.get(f"/v1/datasets/{ready_dataset}/schema", headers=bearer(token)).json()
    validation = dataset["validation"]
    assert validation is not None, dataset
    assert validation["model_version"] == dataset["model_version"]

    fidelity = validation["held_out_fidelity"]
    assert fidelity["computed"]
    assert fidelity["train_rows"] + fidelity["held_out_rows"] == dataset["row_count"]
    for scores in (fidelity, fidelity["reference"]):
        assert 0.8 < scores["score"] <= 1.0
        assert 0.0 <= scores["column_shapes"] <= 1.0 and 0.0 <= scores["column_pair_trends"] <= 1.0
    assert {item["column"] for item in fidelity["worst_columns"]} <= {c["name"] for c in schema["columns"]}
    assert all(len(item["columns"]) == 2 for item in fidelity["worst_pairs"])

    assert [node["name"] for node in validation["nodes"]] == [c["name"] for c in schema["columns"]]
    for node in validation["nodes"]:
        assert node["metric"] in (("r2", "log_likelihood") if node["parents"] else (None,)), node

    falsification = validation["falsification"]
    assert falsification["verdict"].startswith("not falsified"), falsification
    assert falsification["falsified"] is False
    assert falsification["tests"] > 0 and falsification["test"] in ("gsq", "chisq")
    assert falsification["permutations"]["run"] > 0
    assert isinstance(validation["warnings"], list)


def test_lists_leave_validation_to_the_dataset_itself(client: TestClient, token: str, ready_dataset: str) -> None:
    listed = client.get("/v1/datasets", params={"limit": 100}, headers=bearer(token)).json()["data"]
    assert listed and all(dataset["validation"] is None for dataset in listed)


def test_a_refit_brings_its_own_report(client: TestClient, token: str, tracker_csv: bytes, worker: object) -> None:
    accepted = upload(client, token, tracker_csv)
    dataset_id = accepted.json()["dataset_id"]
    assert finished(client, token, accepted.json()["job_id"], worker)["status"] == "ready"
    edit = client.patch(
        f"/v1/datasets/{dataset_id}/graph",
        headers=bearer(token),
        json={"edits": [{"op": "remove", "from": "price", "to": "purchase_intent"}]},
    )
    assert edit.status_code == 202, edit.text
    dataset = poll_until(
        lambda: client.get(f"/v1/datasets/{dataset_id}", headers=bearer(token)),
        lambda r: r.json()["model_version"] == 2,
        timeout=120,
    ).json()
    assert dataset["validation"]["model_version"] == 2
    # The edit asserts that price does not move intent given intent's other parents; the data disagree.
    violations = dataset["validation"]["falsification"]["violations"]
    assert any({v["column"], v["independent_of"]} == {"purchase_intent", "price"} for v in violations), violations
