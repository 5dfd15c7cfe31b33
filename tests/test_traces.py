"""Traces end to end: a real API, worker and Temporal export to an OTLP/HTTP receiver, one trace per request from
the API's span to the engine's, each span carrying the request id; and with no endpoint, nothing at all."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import trace
from starlette.testclient import TestClient
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.worker import Replayer

from simulacra.api.app import create_app
from simulacra.api.tracing import TracingMiddleware
from simulacra.infra.config import Settings
from simulacra.infra.temporal import connect_to
from simulacra.infra.tracing import REQUEST_ID, STAGE, start_tracing
from simulacra.workflows.contracts import dataset_workflow_id, generation_workflow_id
from tests.flows import bearer, finished
from tests.otlp import ReceivedSpan, Receiver, otlp_receiver
from tests.stack import poll_until, settings_env, start_cli
from tests.workflows.support import WORKFLOWS

UPLOAD_SPANS = {
    ("simulacra-api", "createDataset"),
    ("simulacra-api", "StartWorkflow:DatasetWorkflow"),
    ("simulacra-worker", "RunWorkflow:DatasetWorkflow"),
    ("simulacra-worker", "StartActivity:clean_dataset"),
    ("simulacra-worker", "RunActivity:clean_dataset"),
    ("simulacra-worker", "RunEngine:clean"),
    ("simulacra-worker", "RunActivity:discover_graph"),
    ("simulacra-worker", "RunEngine:discover"),
    ("simulacra-worker", "RunActivity:fit_model"),
    ("simulacra-worker", "RunEngine:fit"),
}
GENERATION_SPANS = {
    ("simulacra-api", "createGeneration"),
    ("simulacra-api", "StartWorkflow:GenerationWorkflow"),
    ("simulacra-worker", "RunWorkflow:GenerationWorkflow"),
    ("simulacra-worker", "RunActivity:generate_rows"),
    ("simulacra-worker", "RunEngine:generate"),
}
# The generation's caller sends its own trace context, and baggage that tries to name the request.
CALLER_TRACE, CALLER_SPAN = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
CALLER_HEADERS = {"traceparent": f"00-{CALLER_TRACE}-{CALLER_SPAN}-01", "baggage": f"{REQUEST_ID}=forged"}
# Export in a tenth of a second instead of the SDK's five, so the test waits on spans, not on the batch timer.
FAST_EXPORT = {"OTEL_BSP_SCHEDULE_DELAY": "100"}


@dataclasses.dataclass(frozen=True)
class TracedRun:
    receiver: Receiver
    upload_request_id: str
    generation_request_id: str
    workflow_ids: tuple[str, str]


@pytest.fixture(scope="module")
def traced(
    settings: Settings, token: str, tracker_csv: bytes, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TracedRun]:
    """An upload and a generation through an API and a worker of their own that both trace to the receiver."""
    with otlp_receiver() as receiver, pytest.MonkeyPatch.context() as patch:
        for name, value in FAST_EXPORT.items():
            patch.setenv(name, value)
        # Its own task queue: the session's worker, which does not trace, must not take these jobs.
        traced_settings = dataclasses.replace(
            settings, task_queue=f"traced-{uuid.uuid4().hex[:8]}", otlp_endpoint=receiver.url
        )
        env = {**settings_env(traced_settings), "SIMULACRA_OTLP_ENDPOINT": receiver.url}
        worker = start_cli(["worker"], env, tmp_path_factory.mktemp("traced") / "worker.log")
        try:
            with TestClient(create_app(traced_settings), base_url=settings.base_url) as client:
                upload_request_id = f"trace-up-{uuid.uuid4().hex[:8]}"
                accepted = client.post(
                    "/v1/datasets",
                    headers={**bearer(token, uuid.uuid4().hex), "X-Request-Id": upload_request_id},
                    files={"file": ("tracker.csv", tracker_csv, "text/csv")},
                )
                assert accepted.status_code == 202, accepted.text
                assert accepted.headers["X-Request-Id"] == upload_request_id
                assert finished(client, token, accepted.json()["job_id"], worker)["status"] == "ready"
                generation = client.post(
                    f"/v1/datasets/{accepted.json()['dataset_id']}/generations",
                    headers={**bearer(token, uuid.uuid4().hex), **CALLER_HEADERS},
                    json={"row_count": 200},
                )
                assert generation.status_code == 202, generation.text
                assert finished(client, token, generation.json()["job_id"], worker)["status"] == "ready"
            # Leaving the client ran the app's shutdown, which flushed the API's spans; the worker exports on its own.
            workflow_ids = (
                dataset_workflow_id("acme", accepted.json()["dataset_id"]),
                generation_workflow_id("acme", generation.json()["generation_id"]),
            )
            yield TracedRun(receiver, upload_request_id, generation.headers["X-Request-Id"], workflow_ids)
        finally:
            worker.terminate()
            worker.wait(timeout=30)


def trace_of(receiver: Receiver, operation_id: str, request_id: str, expected: set[tuple[str, str]]) -> list[Any]:
    """Every span of the trace whose API span is `operation_id` for `request_id`, once all `expected` arrived."""

    def spans() -> list[ReceivedSpan]:
        received = receiver.received()
        roots = [s for s in received if s.name == operation_id and s.attributes.get(REQUEST_ID) == request_id]
        return [s for s in received if roots and s.trace_id == roots[0].trace_id]

    return poll_until(spans, lambda found: expected <= {(s.service, s.name) for s in found}, timeout=60)


@pytest.mark.parametrize(
    ("operation_id", "request_id_of", "expected", "stages", "caller_span"),
    [
        ("createDataset", "upload_request_id", UPLOAD_SPANS, {"clean", "discover", "fit"}, ""),
        ("createGeneration", "generation_request_id", GENERATION_SPANS, {"generate"}, CALLER_SPAN),
    ],
)
def test_one_trace_runs_from_the_request_to_the_engine_with_its_request_id_on_every_span(
    traced: TracedRun,
    operation_id: str,
    request_id_of: str,
    expected: set[tuple[str, str]],
    stages: set[str],
    caller_span: str,
) -> None:
    request_id = getattr(traced, request_id_of)
    spans = trace_of(traced.receiver, operation_id, request_id, expected)
    assert {s.attributes.get(REQUEST_ID) for s in spans} == {request_id}
    # No span of this request strayed into another trace (a broken hand-over would start one).
    trace_ids = {s.trace_id for s in traced.receiver.received() if s.attributes.get(REQUEST_ID) == request_id}
    assert trace_ids == {spans[0].trace_id}
    by_id = {s.span_id: s for s in spans}
    server = next(s for s in spans if s.name == operation_id)
    assert server.attributes["http.response.status_code"] == 202
    # A caller's traceparent is followed (its trace goes on here); its baggage is not (the request id is ours).
    assert server.parent_id == caller_span
    assert (spans[0].trace_id == CALLER_TRACE) == bool(caller_span)
    engine = [s for s in spans if s.name.startswith("RunEngine:")]
    assert {s.attributes[STAGE] for s in engine} == stages
    for span in engine:  # each engine run hangs under the activity that waited on it
        assert by_id[span.parent_id].name.startswith("RunActivity:")


def test_with_no_endpoint_nothing_is_exported_and_no_provider_is_installed(
    settings: Settings, token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert settings.otlp_endpoint is None
    with otlp_receiver() as receiver:
        # The SDK's own variables do not switch tracing on: only SIMULACRA_OTLP_ENDPOINT does.
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.url)
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", receiver.url + "/v1/traces")
        tracing = start_tracing(settings, "simulacra-worker")
        assert (tracing.enabled, tracing.provider, tracing.interceptors) == (False, None, [])
        assert isinstance(tracing.tracer, trace.NoOpTracer)
        app = create_app(settings)
        assert TracingMiddleware not in [middleware.cls for middleware in app.user_middleware]
        with TestClient(app, base_url=settings.base_url) as client:
            assert client.get("/v1/usage", headers=bearer(token)).status_code == 200
            assert client.app.state.simulacra.temporal.config()["interceptors"] == []
        assert receiver.received() == []
    assert isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)


def test_traced_histories_replay_with_tracing_on_and_off(traced: TracedRun, settings: Settings) -> None:
    """The interceptor only adds a `_tracer-data` header to the start and to each scheduled activity: the commands
    are the same, so a history recorded with tracing replays without it too (and tests/workflows/test_replay.py
    replays the recorded, untraced ones with it)."""

    async def replay() -> None:
        client = await connect_to(settings)
        for workflow_id in traced.workflow_ids:
            history = await client.get_workflow_handle(workflow_id).fetch_history()
            started = history.events[0].workflow_execution_started_event_attributes
            assert "_tracer-data" in started.header.fields
            for interceptors in ([], [TracingInterceptor()]):
                # The worker's converter: its histories are encrypted under the session's payload key.
                replayer = Replayer(
                    workflows=WORKFLOWS, data_converter=client.data_converter, interceptors=interceptors
                )
                await replayer.replay_workflow(history)

    asyncio.run(replay())
