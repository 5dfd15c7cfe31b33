"""An uploaded filename is a label: it never reaches a filesystem path, however hostile."""

from __future__ import annotations

import os

import pytest
from starlette.testclient import TestClient

from simulacra.infra.config import Settings
from tests.flows import bearer, finished, upload

HOSTILE = ["../../../../tmp/owned.csv", "/etc/passwd", "..\\..\\windows\\win.ini", "a/../../b.csv", "x" * 300 + ".csv"]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_filenames_stay_labels(client: TestClient, settings: Settings, token: str, name: str) -> None:
    before = set(settings.data_dir.rglob("*"))
    accepted = upload(client, token, b"segment,price\na,1.0\nb,2.0\n", name)
    assert accepted.status_code == 202, accepted.text
    dataset = client.get(f"/v1/datasets/{accepted.json()['dataset_id']}", headers=bearer(token)).json()
    assert dataset["filename"] == name
    created = set(settings.data_dir.rglob("*")) - before
    leaf = os.path.basename(name.replace("\\", "/"))
    # Everything written lives under the storage root, and nothing is named after the upload.
    storage = settings.data_dir / "storage"
    assert all(
        path.is_relative_to(storage) or path.suffix in (".log", ".sqlite3-wal", ".sqlite3-shm") for path in created
    )
    assert not any(leaf and leaf in path.name for path in created)
    assert not os.path.exists("/tmp/owned.csv")


def test_job_of_a_hostile_name_runs_normally(client: TestClient, token: str, worker: object) -> None:
    accepted = upload(client, token, b"segment,price\na,1.0\nb,2.0\na,3.0\n" * 20, "../../x.csv")
    job = finished(client, token, accepted.json()["job_id"], worker)
    assert job["status"] == "ready", job
