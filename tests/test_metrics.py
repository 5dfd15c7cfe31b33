"""Operators see what happened: real requests against a real `simulacra api` and worker move the counters that
their /metrics listeners serve, and promtool accepts what they serve."""

from __future__ import annotations

import time
import uuid
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from simulacra.infra.config import Settings
from simulacra.infra.signed_urls import UrlSigner
from tests.flows import bearer
from tests.promtool import promtool
from tests.stack import wait_for_job

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(port: int) -> str:
    response = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    assert response.status_code == 200
    return response.text


def samples(port: int) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(scrape(port))
        for sample in family.samples
    }


def value(seen: Samples, name: str, **labels: str) -> float:
    return seen.get((name, frozenset(labels.items())), 0.0)


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def test_api_counts_requests_by_operation_and_refusals_by_reason(
    live_api: str, metrics_ports: dict[str, int], ready_dataset: str, other_token: str
) -> None:
    port = metrics_ports["api_metrics_port"]
    before = samples(port)
    dataset = f"{live_api}/v1/datasets/{ready_dataset}"
    assert requests.get(dataset, timeout=30).status_code == 401
    assert requests.get(dataset, headers=bearer("not.a.jwt"), timeout=30).status_code == 401
    # Another tenant's id answers exactly like a missing one; the counter is what lets an alert see probing.
    assert requests.get(dataset, headers=bearer(other_token), timeout=30).status_code == 404
    assert requests.get(f"{live_api}/no/such/path", timeout=30).status_code == 404
    after = samples(port)

    assert moved(before, after, "simulacra_api_auth_failures_total", reason="missing_token") == 1
    assert moved(before, after, "simulacra_api_auth_failures_total", reason="malformed") == 1
    assert moved(before, after, "simulacra_api_resource_not_found_total", kind="dataset") == 1
    assert moved(before, after, "simulacra_api_requests_total", operation="getDataset", status="401") == 2
    assert moved(before, after, "simulacra_api_requests_total", operation="getDataset", status="404") == 1
    # Unknown paths are one series, not one per path: the labels stay bounded whatever clients send.
    assert moved(before, after, "simulacra_api_requests_total", operation="unmatched", status="404") == 1
    assert moved(before, after, "simulacra_api_request_duration_seconds_count", operation="getDataset") == 3


def test_signed_link_failures_and_generated_rows_are_counted(
    live_api: str, metrics_ports: dict[str, int], settings: Settings, ready_dataset: str, token: str, worker
) -> None:
    api_port, worker_port = metrics_ports["api_metrics_port"], metrics_ports["worker_metrics_port"]
    api_before, worker_before = samples(api_port), samples(worker_port)
    accepted = requests.post(
        f"{live_api}/v1/datasets/{ready_dataset}/generations",
        headers=bearer(token, uuid.uuid4().hex),
        json={"row_count": 120},
        timeout=30,
    )
    assert accepted.status_code == 202, accepted.text
    job = wait_for_job(
        lambda path: requests.get(f"{live_api}{path}", headers=bearer(token), timeout=30),
        accepted.json()["job_id"],
        lambda: worker.poll() is None,
    )
    assert job["status"] in ("ready", "partial"), job
    link = urlsplit(job["artifact_url"])
    query = parse_qs(link.query)
    signature = query["signature"][0]
    altered = signature[:-1] + ("1" if signature[-1] == "0" else "0")
    tampered = urlencode({"expires": query["expires"][0], "signature": altered})
    refused = requests.get(f"{live_api}{link.path}?{tampered}", headers=bearer(token), timeout=30)
    assert refused.status_code == 403 and refused.json()["code"] == "simio_invalid_signature"
    # An authentic link whose time has passed, signed with the API's own key (the session's data directory).
    stale, _ = UrlSigner.for_settings(settings).sign(live_api, "acme", link.path, now=time.time() - 3600)
    expired = requests.get(stale, headers=bearer(token), timeout=30)
    assert expired.status_code == 403 and expired.json()["code"] == "simio_signature_expired"
    api_after, worker_after = samples(api_port), samples(worker_port)

    assert moved(api_before, api_after, "simulacra_api_signed_url_failures_total", reason="tampered") == 1
    assert moved(api_before, api_after, "simulacra_api_signed_url_failures_total", reason="expired") == 1
    assert moved(api_before, api_after, "simulacra_api_requests_total", operation="downloadArtifact", status="403") == 2
    # The session's worker is shared: other tests' jobs may finish meanwhile, never fewer than ours.
    assert moved(worker_before, worker_after, "simulacra_worker_rows_generated_total") >= job["rows_generated"] > 0
    assert moved(worker_before, worker_after, "simulacra_worker_jobs_started_total", kind="generation") >= 1
    finished = moved(
        worker_before,
        worker_after,
        "simulacra_worker_jobs_finished_total",
        kind="generation",
        status=job["status"],
        code="",
    )
    assert finished >= 1
    ran = moved(
        worker_before, worker_after, "simulacra_worker_stage_duration_seconds_count", stage="generate", outcome="ok"
    )
    assert ran >= 1
    assert value(worker_after, "simulacra_worker_engine_processes") == settings.engine_processes
    assert value(worker_after, "simulacra_worker_engine_processes_busy") <= settings.engine_processes


@pytest.mark.parametrize("listener", ["api_metrics_port", "worker_metrics_port"])
def test_promtool_accepts_what_the_listeners_serve(
    live_api: str, worker, ready_dataset: str, metrics_ports: dict[str, int], listener: str
) -> None:
    scraped = scrape(metrics_ports[listener])
    assert "simulacra_" in scraped
    checked = promtool("check", "metrics", stdin=scraped)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_worker_serves_the_temporal_sdks_own_metrics(
    worker, ready_dataset: str, metrics_ports: dict[str, int]
) -> None:
    # The SDK's runtime exports these itself (its names are its own, so promtool's naming lint is not applied).
    scraped = scrape(metrics_ports["worker_sdk_metrics_port"])
    assert "temporal_worker_task_slots_available{" in scraped, scraped[:2000]
