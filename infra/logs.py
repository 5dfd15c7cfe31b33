"""Structured logs, JSON by default (readable lines on a developer's terminal); request id and tenant ride
along via contextvars."""

from __future__ import annotations

import logging
import sys

import structlog
import structlog.tracebacks
from structlog.typing import Processor
from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    PrometheusConfig,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)

# Locals would put request bodies, tokens and tenants' values into the logs: never show them.
_TRACEBACKS = structlog.processors.ExceptionRenderer(structlog.tracebacks.ExceptionDictTransformer(show_locals=False))


FORMATS = ("json", "console")


def configure_logging(level: str = "info", fmt: str = "json", temporal_metrics: str | None = None) -> None:
    """Logs in `fmt`; `temporal_metrics` (host:port), when given, is where the Temporal SDK's runtime serves
    its own Prometheus metrics, since a process has one runtime for both."""
    if fmt not in FORMATS:
        raise SystemExit(f"SIMULACRA_LOG_FORMAT must be one of {', '.join(FORMATS)}, not {fmt!r}")
    render: Processor = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
    )
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.INFO
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, _TRACEBACKS, render] if fmt == "json" else [*shared, render],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
    # Third-party stdlib logging (uvicorn, temporalio) goes out in the same format.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processor=render,
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Access lines would duplicate our own request log, which carries the request id.
    logging.getLogger("uvicorn.access").disabled = True
    # Alembic narrates its plugins and each migration step at info; `simulacra admin migrate` says what it did.
    logging.getLogger("alembic").setLevel(max(numeric, logging.WARNING))
    # The Temporal SDK's core writes its own coloured lines to stderr; through Python logging they come out
    # in the format above instead. Set before any client or worker exists, which make the default runtime.
    forwarding = LogForwardingConfig(logger=logging.getLogger("temporalio.core"))
    telemetry = TelemetryConfig(
        logging=LoggingConfig(filter=TelemetryFilter("WARN", "ERROR"), forwarding=forwarding),
        metrics=PrometheusConfig(bind_address=temporal_metrics, durations_as_seconds=True)
        if temporal_metrics
        else None,
    )
    try:
        runtime = Runtime(telemetry=telemetry)
    except ValueError as exc:  # the exporter's port is taken
        raise SystemExit(f"cannot serve the Temporal SDK's metrics on {temporal_metrics}: {exc}") from None
    Runtime.set_default(runtime, error_if_already_set=False)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)
