"""The malformed-request corpus (tests/corpus/*.json) against the real stack: every entry gets its expected
status and simio_* code, nothing answers 5xx, and no answer leaks a server path or a library's wording.

All entries are sent first, then the uploads they started (bad bytes are accepted with 202 and fail in the
workflow) are polled together, so the whole corpus costs about one failed upload's wall time.
"""

from __future__ import annotations

import re
import tempfile
import time
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient

from simulacra.api.errors import REGISTRY
from simulacra.infra.config import Settings
from tests.conftest import claim_token
from tests.corpus.materialise import Stack, load_entries, prepare
from tests.corpus.payloads import random_bytes
from tests.flows import bearer, upload
from tests.security import forge
from tests.stack import TERMINAL

ACTIVE = load_entries(
    "files.json",
    "bodies.json",
    "headers_and_tokens.json",
    "ids_and_links.json",
    "bombs.json",
    "webhooks.json",
    "report_links.json",
)
MIN_ENTRIES = 150
# Words that only a library or a stack trace would put in a client's text.
LEAKS = (
    "Traceback",
    'File "',
    "pyarrow",
    "duckdb",
    "sniffing",
    "Error when",
    "pydantic",
    "starlette",
    "jose",
    "python_multipart",
    "codec can't",
    "errors.pydantic.dev",
)
EXCEPTION_NAME = re.compile(r"\b[A-Z]\w*(?:Error|Exception)\b")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    text: str
    json: Any
    job: dict[str, Any] | None = None


def _send(client: TestClient, entry: dict[str, Any], stack: Stack) -> Answer:
    key = f"corpus-{entry['id']}-{time.time_ns()}"
    for before in entry.get("prelude", []):
        request = prepare({**entry, **before}, stack, key)
        assert (
            client.request(request.method, request.path, headers=request.headers, content=request.content).status_code
            < 500
        )
    request = prepare(entry, stack, key)
    response = client.request(request.method, request.path, headers=request.headers, content=request.content)
    try:
        body = response.json()
    except ValueError:
        body = None
    return Answer(response.status_code, dict(response.headers), response.text, body)


def _send_or_record(client: TestClient, entry: dict[str, Any], stack: Stack) -> Answer:
    """One entry's answer; an exception out of the app (a 500 the test client re-raises) fails that entry only."""
    try:
        return _send(client, entry, stack)
    except Exception as exc:  # noqa: BLE001 - recorded, and asserted on in the entry's own test
        return Answer(0, {}, f"the request raised {exc!r}", None)


def _failed_upload(client: TestClient, token: str) -> str:
    accepted = upload(client, token, random_bytes(2048, seed=7), "noise.csv")
    assert accepted.status_code == 202, accepted.text
    return accepted.json()["dataset_id"]


def _poll_together(client: TestClient, token: str, jobs: dict[str, str], worker: Any) -> dict[str, dict]:
    """Each job's final state, polling all of them in one loop."""
    final: dict[str, dict] = {}
    deadline = time.monotonic() + 180
    while len(final) < len(jobs) and time.monotonic() < deadline:
        for name, job_id in jobs.items():
            if name not in final:
                job = client.get(f"/v1/jobs/{job_id}", headers=bearer(token)).json()
                if job.get("status") in TERMINAL:
                    final[name] = job
        assert worker.poll() is None, "the worker process died"
        time.sleep(0.2)
    assert len(final) == len(jobs), f"jobs not finished: {set(jobs) - set(final)}"
    return final


@pytest.fixture(scope="module")
def stack(
    client: TestClient, settings: Settings, token: str, other_token: str, ready_dataset: str, worker: Any
) -> Stack:
    failed = {"failed_dataset": _failed_upload(client, token), "other_dataset": _failed_upload(client, other_token)}
    _poll_together(client, token, {"acme": f"job_{failed['failed_dataset']}"}, worker)
    _poll_together(client, other_token, {"globex": f"job_{failed['other_dataset']}"}, worker)
    ids = {
        "dataset": ready_dataset,
        "job": f"job_{ready_dataset}",
        "other_job": f"job_{failed['other_dataset']}",
        "missing_dataset": "ds_" + "0" * 20,
        "missing_generation": "gen_" + "0" * 20,
        "missing_effect": "eff_" + "0" * 20,
        "missing_job": "job_gen_" + "0" * 20,
        **failed,
    }
    tokens = {
        "tenant": token,
        "other": other_token,
        "read_only": claim_token(client, settings, "acme", scope="datasets:read generations:read"),
    }
    kid = client.get("/.well-known/jwks.json").json()["keys"][0]["kid"]
    return Stack(settings, tokens, ids, forge.real_client(settings, "acme"), kid)


@pytest.fixture(scope="module")
def answers(client: TestClient, stack: Stack, token: str, worker: Any) -> dict[str, Answer]:
    sent = {entry["id"]: _send_or_record(client, entry, stack) for entry in ACTIVE}
    jobs = {
        entry["id"]: sent[entry["id"]].json["job_id"]
        for entry in ACTIVE
        if "job" in entry["expect"] and sent[entry["id"]].status == 202
    }
    for name, job in _poll_together(client, token, jobs, worker).items():
        sent[name].job = job
    return sent


def test_the_corpus_is_large_and_consistent() -> None:
    every = ACTIVE
    assert len(every) >= MIN_ENTRIES, len(every)
    ids = [entry["id"] for entry in every]
    assert len(ids) == len(set(ids)), [i for i in ids if ids.count(i) > 1]
    for entry in ACTIVE:
        expect = entry["expect"]
        code = expect["job"]["code"] if "job" in expect else expect["code"]
        assert code in REGISTRY, (entry["id"], code)
        if "job" not in expect:
            assert REGISTRY[code].status == expect["status"], entry["id"]


@pytest.mark.parametrize("entry", ACTIVE, ids=[entry["id"] for entry in ACTIVE])
def test_entry_gets_its_answer(entry: dict[str, Any], answers: dict[str, Answer]) -> None:
    _check(entry, answers[entry["id"]])


def _check(entry: dict[str, Any], answer: Answer) -> None:
    expect = entry["expect"]
    assert 0 < answer.status < 500, answer.text
    assert answer.status == expect["status"], answer.text
    if "job" in expect:
        assert answer.job is not None
        assert answer.job["status"] == expect["job"]["status"], answer.job
        assert (answer.job["error"] or {}).get("code") == expect["job"]["code"], answer.job
        return
    assert answer.headers["content-type"] == "application/problem+json", answer.headers
    assert answer.json["code"] == expect["code"] and answer.json["code"].startswith("simio_"), answer.text
    assert answer.json["status"] == answer.status and answer.json["request_id"] == answer.headers["x-request-id"]


def test_no_answer_leaks_paths_or_library_wording(settings: Settings, answers: dict[str, Answer]) -> None:
    secrets = (tempfile.gettempdir().rstrip("/") + "/", str(settings.data_dir))
    found = []
    for name, answer in answers.items():
        texts = [answer.text, *answer.headers.values(), *([str(answer.job)] if answer.job else [])]
        for text in texts:
            hits = [word for word in (*secrets, *LEAKS) if word in text] + EXCEPTION_NAME.findall(text)
            if hits:
                found.append((name, hits, text[:300]))
    assert not found, found
