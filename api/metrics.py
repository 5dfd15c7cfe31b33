"""Every metric the API process exports (`simulacra_api_*`), and the helpers that record them.

Labels stay bounded: operations are named by their operationId (never the raw path, which carries ids),
failure reasons and resource kinds come from fixed lists, and no label holds a tenant: the request log
line (with `tenant_id` and `request_id`) is where an alert leads to the caller.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from simulacra.api.ids import CLIENT, DATASET, EFFECT, GENERATION, JOB, ROTATION
from simulacra.infra.signed_urls import LinkCheck
from simulacra.infra.tokens import TOKEN_REJECTIONS

# The scope key the operation router writes, so the request middleware can name what it measured.
OPERATION_KEY = "simulacra.operation_id"
UNMATCHED = "unmatched"

REQUESTS = Counter(
    "simulacra_api_requests_total", "HTTP requests answered, by operationId and status code.", ["operation", "status"]
)
LATENCY = Histogram(
    "simulacra_api_request_duration_seconds",
    "Time from request to the end of the response, by operationId.",
    ["operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
RATE_LIMITED = Counter(
    "simulacra_api_rate_limited_total",
    "Requests refused with 429 by the rate limiter: a tenant's bucket, or an address on an open endpoint.",
    ["bucket"],
)
AUTH_FAILURES = Counter(
    "simulacra_api_auth_failures_total",
    "Refused credentials, by reason: bearer tokens on operations, client secrets and claim tokens at their endpoints.",
    ["reason"],
)
SIGNED_URL_FAILURES = Counter(
    "simulacra_api_signed_url_failures_total",
    "Download and report links refused: tampered (altered, incomplete or forged), expired, or another tenant's"
    " authentic link.",
    ["reason"],
)
NOT_FOUND = Counter(
    "simulacra_api_resource_not_found_total",
    "404 answers on a tenant's resource ids, by kind: another tenant's id answers exactly like a missing one.",
    ["kind"],
)

AUTH_REASONS = (
    "missing_token",
    *TOKEN_REJECTIONS,
    "insufficient_scope",
    "invalid_client",
    "invalid_scope",
    "claim_refused",
)
# Every series an alert rate()s over exists from the start at 0: a first failure must count as an increase.
for _reason in AUTH_REASONS:
    AUTH_FAILURES.labels(_reason)
for _verdict in (LinkCheck.TAMPERED, LinkCheck.EXPIRED, LinkCheck.OTHER_TENANT):
    SIGNED_URL_FAILURES.labels(_verdict.value)
for _bucket in ("tenant", "anonymous"):
    RATE_LIMITED.labels(_bucket)

# The ids that name a tenant's resources (an error code or a signup request is nobody's).
_RESOURCE_KINDS = {
    path_id.not_found_code: path_id.name.removesuffix("_id")
    for path_id in (DATASET, GENERATION, EFFECT, JOB, ROTATION, CLIENT)
}
for _kind in _RESOURCE_KINDS.values():
    NOT_FOUND.labels(_kind)


def observe_request(operation: str | None, status: int, seconds: float) -> None:
    REQUESTS.labels(operation or UNMATCHED, str(status)).inc()
    LATENCY.labels(operation or UNMATCHED).observe(seconds)


def count_auth_failure(reason: str) -> None:
    """`reason` is one of AUTH_REASONS."""
    AUTH_FAILURES.labels(reason).inc()


def count_signed_url_failure(verdict: LinkCheck) -> None:
    SIGNED_URL_FAILURES.labels(verdict.value).inc()


def count_rate_limited(bucket: str) -> None:
    RATE_LIMITED.labels(bucket).inc()


def count_problem(code: str) -> None:
    """Count the answers an alert watches for: a tenant's resource that is not found (or not theirs)."""
    kind = _RESOURCE_KINDS.get(code)
    if kind is not None:
        NOT_FOUND.labels(kind).inc()
