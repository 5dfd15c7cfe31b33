"""An SPSS .sav upload through the real API, Temporal workflow and worker: labels in, labels out."""

from __future__ import annotations

import uuid
from pathlib import Path

import pyarrow.compute as pc
from starlette.testclient import TestClient

from tests.engine.test_engine_spss import AGREEMENT, write_tracker_sav
from tests.flows import bearer, finished, generate, rows_of


def test_sav_upload_is_modelled_with_its_value_labels(
    client: TestClient, token: str, worker: object, tmp_path: Path
) -> None:
    path = tmp_path / "tracker.sav"
    write_tracker_sav(path, rows=400)
    accepted = client.post(
        "/v1/datasets",
        headers=bearer(token, uuid.uuid4().hex),
        files={"file": ("tracker.sav", path.read_bytes(), "application/x-spss-sav")},
    )
    assert accepted.status_code == 202, accepted.text
    job = finished(client, token, accepted.json()["job_id"], worker)
    assert job["status"] == "ready", job.get("error")
    dataset_id = accepted.json()["dataset_id"]
    schema = client.get(f"/v1/datasets/{dataset_id}/schema", headers=bearer(token)).json()
    q1 = next(column for column in schema["columns"] if column["name"] == "q1")
    assert q1["type"] == "ordinal" and q1["source_name"] == "Q1"
    assert [level["value"] for level in q1["levels"]] == list(AGREEMENT.values())
    assert q1["label"] == "I would recommend the brand to a friend"

    generation = generate(
        client, token, dataset_id, {"row_count": 500, "conditions": {"categorical": {"q1": {"Agree": 0.6}}}, "seed": 3}
    )
    assert generation.status_code == 202, generation.text
    done = finished(client, token, generation.json()["job_id"], worker)
    assert done["status"] == "ready", done
    rows = rows_of(client, token, done)
    assert pc.sum(pc.equal(rows["q1"], "Agree")).as_py() == 300
    assert set(rows["q1"].to_pylist()) <= set(AGREEMENT.values())
