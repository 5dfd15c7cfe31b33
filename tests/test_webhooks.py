"""Webhooks end to end: a real receiver on loopback, the real worker delivering, signatures checked with the
`standardwebhooks` package (an implementation other than ours), retries after 500s, and tenant isolation."""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook
from starlette.testclient import TestClient

from simulacra.api.app import create_app
from simulacra.infra.config import Settings
from simulacra.workflows.contracts import webhook_event_id
from tests.conftest import claim_token
from tests.flows import bearer, finished, upload
from tests.stack import poll_until

NOT_A_TABLE = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"  # accepted, then refused by the clean step


class Receiver:
    """A webhook receiver on loopback that answers 500 to the first `failures` requests of each event (each
    webhook-id), then 204: two events in flight at once are each refused as often, however they interleave."""

    def __init__(self, failures: int) -> None:
        self.received: list[tuple[dict[str, str], bytes, int]] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver._lock:
                    event = self.headers["webhook-id"]
                    tries = sum(1 for seen, _, _ in receiver.received if seen["webhook-id"] == event)
                    status = 500 if tries < failures else 204
                    receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks?source=simulacra"

    def acknowledged(self) -> set[str]:
        """The webhook-ids answered 2xx: the events this receiver has."""
        with self._lock:
            return {headers["webhook-id"] for headers, _, status in self.received if status < 300}


@contextlib.contextmanager
def receiving(failures: int = 0) -> Iterator[Receiver]:
    receiver = Receiver(failures)
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


def _create(client: TestClient, token: str, url: str, event_types: list[str]) -> Any:
    body = {"url": url, "event_types": event_types}
    return client.post("/v1/webhook-endpoints", headers=bearer(token, uuid.uuid4().hex), json=body)


def _failed_upload(client: TestClient, token: str, worker: object) -> str:
    accepted = upload(client, token, NOT_A_TABLE, "table.csv")
    assert accepted.status_code == 202, accepted.text
    assert finished(client, token, accepted.json()["job_id"], worker)["status"] == "failed"
    return str(accepted.json()["dataset_id"])


def test_signed_retried_events_reach_exactly_their_tenant(
    client: TestClient, settings: Settings, worker: object
) -> None:
    token_a, token_b = claim_token(client, settings, "hooks-a"), claim_token(client, settings, "hooks-b")
    with receiving(failures=2) as receiver_a, receiving() as receiver_b:
        created = _create(client, token_a, receiver_a.url, ["job.failed", "dataset.deleted"])
        assert created.status_code == 201, created.text
        endpoint = created.json()
        assert endpoint["secret"].startswith("whsec_") and created.headers["cache-control"] == "no-store"
        rotated = client.post(
            f"/v1/webhook-endpoints/{endpoint['endpoint_id']}/rotate-secret", headers=bearer(token_a, uuid.uuid4().hex)
        )
        assert rotated.status_code == 200 and rotated.json()["previous_secret_expires_at"]
        other = _create(client, token_b, receiver_b.url, ["job.succeeded", "job.failed", "dataset.deleted"])
        assert other.status_code == 201, other.text

        dataset_a, dataset_b = _failed_upload(client, token_a, worker), _failed_upload(client, token_b, worker)
        assert client.delete(f"/v1/datasets/{dataset_a}", headers=bearer(token_a)).status_code == 204
        expected_a = {
            webhook_event_id("hooks-a", dataset_a, "job.failed"),
            webhook_event_id("hooks-a", dataset_a, "dataset.deleted"),
        }
        expected_b = {webhook_event_id("hooks-b", dataset_b, "job.failed")}
        poll_until(
            lambda: (receiver_a.acknowledged(), receiver_b.acknowledged()),
            lambda got: got == (expected_a, expected_b),
            timeout=60,
        )

    # Every request, retries included, is signed by both live secrets; the old one verifies until the overlap ends.
    new, old = Webhook(rotated.json()["secret"]), Webhook(endpoint["secret"])
    for headers, body, _ in receiver_a.received:
        payload = new.verify(body, headers)
        assert old.verify(body, headers) == payload and len(headers["webhook-signature"].split()) == 2
        assert payload["data"]["dataset_id"] == dataset_a and headers["content-type"] == "application/json"
    for headers, body, _ in receiver_b.received:
        assert Webhook(other.json()["secret"]).verify(body, headers)["data"]["dataset_id"] == dataset_b
    # Each event was refused twice, then taken: three requests, one webhook-id, the same bytes each time.
    first = [
        (h, body) for h, body, _ in receiver_a.received if h["webhook-id"] == receiver_a.received[0][0]["webhook-id"]
    ]
    assert len(first) == 3 and len({body for _, body in first}) == 1
    # The receiver has the answer a moment before the worker records it.
    deliveries = poll_until(
        lambda: client.get(endpoint["deliveries_url"], headers=bearer(token_a)).json()["data"],
        lambda found: (
            {d["event_type"]: d["status"] for d in found} == {"job.failed": "succeeded", "dataset.deleted": "succeeded"}
        ),
        timeout=30,
    )
    retried = next(d for d in deliveries if d["event_id"] == first[0][0]["webhook-id"])
    assert [a["status_code"] for a in retried["attempts"]] == [500, 500, 204]
    assert retried["attempts"][0]["error"].startswith("Answered HTTP 500") and retried["attempts"][-1]["error"] is None


def test_endpoints_are_tenant_isolated_and_never_show_their_secret(
    client: TestClient, token: str, other_token: str
) -> None:
    created = _create(client, token, "https://hooks.example.com/simulacra", ["dataset.expired"]).json()
    path = f"/v1/webhook-endpoints/{created['endpoint_id']}"
    mine = client.get(path, headers=bearer(token)).json()
    assert mine["secret"] is None and mine["url"] == "https://hooks.example.com/simulacra"
    assert created["endpoint_id"] in {
        e["endpoint_id"] for e in client.get("/v1/webhook-endpoints", headers=bearer(token)).json()["data"]
    }
    for method in ("GET", "DELETE"):
        refused = client.request(method, path, headers=bearer(other_token))
        assert refused.status_code == 404 and refused.json()["code"] == "simio_webhook_endpoint_not_found"
    assert client.get(f"{path}/deliveries", headers=bearer(other_token)).status_code == 404
    assert created["endpoint_id"] not in str(client.get("/v1/webhook-endpoints", headers=bearer(other_token)).json())
    assert client.delete(path, headers=bearer(token)).status_code == 204
    assert client.get(path, headers=bearer(token)).status_code == 404


def test_a_replayed_create_shows_the_same_endpoint_and_secret(client: TestClient, token: str) -> None:
    headers = bearer(token, uuid.uuid4().hex)
    body = {"url": "https://hooks.example.com/replayed", "event_types": ["job.succeeded"]}
    first = client.post("/v1/webhook-endpoints", headers=headers, json=body)
    again = client.post("/v1/webhook-endpoints", headers=headers, json=body)
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    changed = client.post("/v1/webhook-endpoints", headers=headers, json={**body, "event_types": ["job.failed"]})
    assert changed.status_code == 422 and changed.json()["code"] == "simio_idempotency_conflict"
    client.delete(f"/v1/webhook-endpoints/{first.json()['endpoint_id']}", headers=bearer(token))


def test_by_default_only_public_https_urls_are_accepted(settings: Settings, token: str) -> None:
    strict = settings.with_overrides(webhook_allow_private=False, webhook_allow_http=False)
    with TestClient(create_app(strict), base_url=strict.base_url) as strict_client:
        for url, code in (
            ("http://hooks.example.com/x", "simio_webhook_url_insecure"),
            ("https://127.0.0.1:8443/x", "simio_webhook_url_not_allowed"),
            ("https://169.254.169.254/latest/meta-data/", "simio_webhook_url_not_allowed"),
            ("https://[::1]/x", "simio_webhook_url_not_allowed"),
            ("https://localhost/x", "simio_webhook_url_not_allowed"),
        ):
            refused = _create(strict_client, token, url, ["job.failed"])
            assert refused.status_code == 400 and refused.json()["code"] == code, (url, refused.text)
            assert refused.json()["errors"][0]["pointer"] == "/url"
