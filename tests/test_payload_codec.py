"""No tenant data in Temporal's histories: what the server stores, read past the codec, is ciphertext.

The session's real worker and app ran the upload -> ready flow (ready_dataset), a conditioned generation and
a failing upload whose error names its columns; their histories are fetched from the server by a client
without the codec, and then opened with the real one.
"""

from __future__ import annotations

import asyncio
from typing import Any

from google.protobuf.message import Message
from starlette.testclient import TestClient
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure
from temporalio.api.history.v1 import History, MarkerRecordedEventAttributes

from simulacra.infra.config import Settings
from simulacra.infra.payload_codec import ENCODING
from simulacra.infra.temporal import connect, connect_to
from simulacra.workflows.contracts import dataset_workflow_id, generation_workflow_id
from tests.flows import finished, generate, upload

CONDITIONS = {"categorical": {"segment": {"genz_switcher": 0.3}}, "numeric": {"price": {"min": 5.49, "max": 5.49}}}
FAILING = b"zq_marker_alpha,zq_marker_beta\n" + b"1,x\n" * 25  # both constant: the error names them


def _walk(message: Message, payloads: list[Payload], failures: list[Failure]) -> None:
    """Every payload and failure in a history, except search attributes (plaintext by design: indexed ids) and
    the SDK core's patch markers (`{"id": <patch name>}`, written by the core, past the codec: our code's names)."""
    if isinstance(message, MarkerRecordedEventAttributes) and message.marker_name == "core_patch":
        return
    if isinstance(message, Payload):
        payloads.append(message)
        return
    if isinstance(message, Failure):
        failures.append(message)
    for field, value in message.ListFields():
        if field.type != field.TYPE_MESSAGE or field.name == "search_attributes":
            continue
        if field.message_type.GetOptions().map_entry:
            values = value.values() if field.message_type.fields_by_name["value"].message_type else []
        else:
            values = [value] if isinstance(value, Message) else value
        for item in values:
            _walk(item, payloads, failures)


def _secrets(client: TestClient, token: str, dataset_id: str) -> set[bytes]:
    schema = client.get(f"/v1/datasets/{dataset_id}/schema", headers={"Authorization": f"Bearer {token}"}).json()
    names = {c["name"] for c in schema["columns"]} | {c["source_name"] for c in schema["columns"]}
    names |= {d["source_name"] for d in schema["dropped"]}
    # Names of five characters or more: a shorter string may turn up in ciphertext by chance.
    return {name.encode() for name in names if len(name) >= 5} | {
        b"genz_switcher",
        b"5.49",
        b"tracker_q3",
        b"zq_marker_alpha",
        b"zq_failing_upload",
    }


def test_histories_on_the_server_hold_no_plaintext(
    settings: Settings, client: TestClient, token: str, worker: Any, ready_dataset: str
) -> None:
    generation = generate(client, token, ready_dataset, {"row_count": 50, "conditions": CONDITIONS})
    assert generation.status_code == 202, generation.text
    assert finished(client, token, generation.json()["job_id"], worker)["status"] in ("ready", "partial")
    failing = upload(client, token, FAILING, "zq_failing_upload.csv")
    job = finished(client, token, failing.json()["job_id"], worker)
    assert job["status"] == "failed" and "zq_marker_alpha" in job["error"]["message"]  # the API still reads it
    workflow_ids = [
        dataset_workflow_id("acme", ready_dataset),
        generation_workflow_id("acme", generation.json()["generation_id"]),
        dataset_workflow_id("acme", failing.json()["dataset_id"]),
    ]

    async def fetch() -> tuple[list[bytes], list[Payload], list[Failure], list[Payload]]:
        bare = await connect(settings.resolved_temporal_address, settings.temporal_namespace)  # no codec
        histories = [await bare.get_workflow_handle(wid).fetch_history() for wid in workflow_ids]
        payloads: list[Payload] = []
        failures: list[Failure] = []
        for history in histories:
            for event in history.events:
                _walk(event, payloads, failures)
        real = await connect_to(settings)
        assert real.data_converter.payload_codec is not None
        decoded = await real.data_converter.payload_codec.decode(payloads)
        raw = [History(events=history.events).SerializeToString() for history in histories]
        return raw, payloads, failures, decoded

    raw, payloads, failures, decoded = asyncio.run(fetch())
    secrets = _secrets(client, token, ready_dataset)
    for history_bytes in raw:
        assert [secret for secret in secrets if secret in history_bytes] == []
    assert payloads and all(payload.metadata["encoding"] == ENCODING for payload in payloads)
    # The failing upload's activity and workflow failures: the message and stack trace went into the ciphertext.
    assert failures and {failure.message for failure in failures} == {"Encoded failure"}
    assert {failure.stack_trace for failure in failures} == {""}
    opened = b"".join(payload.data for payload in decoded)
    assert all(payload.metadata["encoding"] != ENCODING for payload in decoded)
    # What was hidden is there: the conditions, the failure naming the columns, the file name.
    assert b"genz_switcher" in opened and b"zq_marker_alpha" in opened and b"tracker_q3.csv" in opened
