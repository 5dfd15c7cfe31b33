"""Traces: OpenTelemetry spans exported over OTLP/HTTP when `SIMULACRA_OTLP_ENDPOINT` is set; no-op tracers otherwise.

One trace follows a request from the API's server span through the Temporal client (`StartWorkflow`), the
workflow (`RunWorkflow`, `StartActivity`) and the activity (`RunActivity`) to the engine run it waits on
(`RunEngine`). Temporal's own `TracingInterceptor` carries the trace context in workflow and activity headers,
with its W3C baggage; the request id rides in that baggage, and `RequestIdSpanProcessor` copies it onto every
span as it starts, in whichever process that is. Nothing is a process-wide global: each process builds its
provider here and hands the tracer to what makes spans, so a process that does not trace has none installed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from opentelemetry import baggage, context, trace
from opentelemetry.sdk.trace import Span, SpanProcessor, TracerProvider
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from temporalio.client import Interceptor

from simulacra.infra.config import Settings

REQUEST_ID = "simulacra.request_id"
STAGE = "simulacra.stage"


class RequestIdSpanProcessor(SpanProcessor):
    """Every span of a request's trace carries its id, so one attribute finds the whole trace in a backend."""

    def on_start(self, span: Span, parent_context: context.Context | None = None) -> None:
        request_id = baggage.get_baggage(REQUEST_ID, parent_context)
        if request_id is not None:
            span.set_attribute(REQUEST_ID, str(request_id))


@dataclass(frozen=True)
class Tracing:
    """What a process traces with: its tracer and the Temporal interceptors that carry the trace across."""

    tracer: trace.Tracer = field(default_factory=trace.NoOpTracer)
    interceptors: list[Interceptor] = field(default_factory=list)
    provider: TracerProvider | None = None

    @property
    def enabled(self) -> bool:
        return self.provider is not None

    def shutdown(self) -> None:
        """Export the spans still buffered, then stop."""
        if self.provider is not None:
            self.provider.shutdown()


def traces_url(endpoint: str) -> str:
    """The collector's OTLP/HTTP trace path under its base URL (as OTEL_EXPORTER_OTLP_ENDPOINT is read)."""
    return endpoint.rstrip("/") + "/v1/traces"


def start_tracing(settings: Settings, service: str) -> Tracing:
    """Tracing for one process (`simulacra-api`, `simulacra-worker`), or none when no endpoint is set."""
    if not settings.otlp_endpoint:
        return Tracing()
    # Imported only when tracing is on: the exporter brings protobuf and an HTTP client along.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from temporalio.contrib.opentelemetry import TracingInterceptor

    # Resource.create also reads OTEL_RESOURCE_ATTRIBUTES; the exporter reads OTEL_EXPORTER_OTLP_HEADERS and the
    # TLS variables, and the batch processor OTEL_BSP_*: the standard knobs work without a setting of ours.
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service}))
    provider.add_span_processor(RequestIdSpanProcessor())
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=traces_url(settings.otlp_endpoint))))
    interceptor = TracingInterceptor(provider.get_tracer("temporalio.contrib.opentelemetry"))
    return Tracing(provider.get_tracer("simulacra"), [interceptor], provider)


def request_context(request_id: str, headers: Mapping[str, str]) -> context.Context:
    """The context a request's spans start in: the caller's W3C `traceparent`, if it sent one, and the request id
    as baggage. A caller's own baggage is not taken: only our id travels to the workers."""
    parent = TraceContextTextMapPropagator().extract(headers)
    return baggage.set_baggage(REQUEST_ID, request_id, parent)
