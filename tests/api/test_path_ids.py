"""Path ids are declared once (api/ids.py): the router checks them, OpenAPI publishes their patterns, and a
malformed id answers exactly like a missing one."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from simulacra.api.app import OPERATIONS
from simulacra.api.examples import EXAMPLES
from simulacra.api.ids import CLIENT, DATASET, EFFECT, GENERATION, JOB, PATH_IDS, ROTATION, SIGNUP, PathId
from simulacra.api.operations import Operation
from simulacra.infra.config import Settings
from simulacra.infra.controldb import ControlDB
from simulacra.infra.credentials import CredentialStore
from simulacra.infra.scopes import Scope
from simulacra.infra.signups import SignupStore
from simulacra.workflows.contracts import derived_id, job_id_for
from tests.flows import bearer

# Shapes no declared id has: a stray character, the wrong case, a trailing newline (what a `$` lets through).
MALFORMED = (lambda _: "not-an-id", lambda p: p.example.upper(), lambda p: f"{p.example}%0A")


def _token(client: TestClient, settings: Settings) -> str:
    store = CredentialStore.for_settings(settings)
    created, claim = store.create_client("shapes", 3600, tuple(Scope))
    secret = store.claim(claim).client_secret
    form = {"grant_type": "client_credentials", "client_id": created.client_id, "client_secret": secret}
    return client.post("/oauth/token", data=form).json()["access_token"]


def _call(client: TestClient, op: Operation, ids: dict[str, str], token: str) -> httpx.Response:
    body = EXAMPLES.get(op.body.__name__) if op.body is not None and op.body_kind == "json" else None
    headers = bearer(token, uuid.uuid4().hex if op.needs_idempotency_key else None)
    return client.request(op.method, op.path.format(**ids), headers=headers, json=body)


def _unknown(path_id: PathId) -> str:
    """Well-formed, and nobody's: the published example with its last character changed."""
    return path_id.example[:-1] + ("b" if path_id.example.endswith("a") else "a")


class _TemporalSpy:
    """The app's Temporal client, noting every workflow id and visibility query the API hands it."""

    def __init__(self, real: Any) -> None:
        self.real, self.seen = real, []

    def get_workflow_handle(self, workflow_id: str, **kwargs: Any) -> Any:
        self.seen.append(workflow_id)
        return self.real.get_workflow_handle(workflow_id, **kwargs)

    def list_workflows(self, query: str, **kwargs: Any) -> Any:
        self.seen.append(query)
        return self.real.list_workflows(query, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def _answer(response: httpx.Response) -> tuple[int, str, str]:
    problem = response.json()
    return problem["status"], problem["code"], problem["title"]


def test_malformed_path_ids_answer_exactly_like_missing_ones(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = _token(client, settings)
    temporal = _TemporalSpy(client.app.state.simulacra.temporal)
    monkeypatch.setattr(client.app.state.simulacra, "temporal", temporal)
    differing, sent = {}, set()
    for op in [op for op in OPERATIONS if op.path_ids]:
        missing = _call(client, op, {p.name: _unknown(p) for p in op.path_ids}, token)
        # A download or a report needs a signed link first, and no link names a missing (or malformed) id.
        linked = op.signed_link or op.sealed_link
        assert missing.status_code == (403 if linked else 404), (op.operation_id, missing.text)
        for shape in MALFORMED:
            malformed = _call(client, op, {p.name: shape(p) for p in op.path_ids}, token)
            sent |= {shape(p).replace("%0A", "\n") for p in op.path_ids}
            if _answer(malformed) != _answer(missing):
                differing[f"{op.operation_id} {malformed.request.url.path!r}"] = malformed.json()["code"]
    assert differing == {}
    # The router answered them: none reached a workflow id or a visibility query (the missing ones did).
    assert temporal.seen and not [text for text in temporal.seen for bad in sent if bad in text]


def test_openapi_publishes_each_path_ids_pattern(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    published = {
        (param["name"], param["schema"]["pattern"], param["example"])
        for path in spec["paths"].values()
        for op in path.values()
        for param in op["parameters"]
        if param["in"] == "path"
    }
    assert published == {(p.name, p.anchored, p.example) for p in PATH_IDS.values()}
    assert all(p.matches(p.example) and not p.matches(f"{p.example}\n") for p in PATH_IDS.values())


def test_ids_the_api_makes_match_their_declared_patterns(tmp_path: Path) -> None:
    for prefix, path_id in (("ds", DATASET), ("gen", GENERATION), ("eff", EFFECT), ("rot", ROTATION)):
        made = derived_id(prefix, "acme", uuid.uuid4().hex, "fingerprint")
        assert path_id.matches(made), made
        assert JOB.matches(job_id_for(made)) == (prefix != "rot")
    db = ControlDB(tmp_path / "control.db")
    created, _ = CredentialStore(db, b"k" * 32, 60).create_client("acme", 60)
    assert CLIENT.matches(created.client_id)
    assert SIGNUP.matches(SignupStore(db).submit("Acme", "ops@acme.test", None).request_id)
