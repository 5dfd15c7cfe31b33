"""What a failed call raises: a `simio_*` problem as an exception, or a timeout, or an unreachable server."""

from __future__ import annotations

from typing import Any

import httpx


class SimulacraError(Exception):
    """A problem+json answer (RFC 9457): its stable code, what went wrong, how to fix it, and the id support needs."""

    def __init__(
        self,
        status: int,
        code: str,
        title: str,
        detail: str,
        *,
        fix: str | None = None,
        request_id: str | None = None,
        retryable: bool = False,
        doc_url: str | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.fix = fix
        self.request_id = request_id
        self.retryable = retryable
        self.doc_url = doc_url
        self.errors = errors or []

    def __str__(self) -> str:
        lines = [f"{self.code} ({self.status}): {self.detail}"]
        if self.fix:
            lines.append(f"fix: {self.fix}")
        if self.request_id:
            lines.append(f"request id: {self.request_id}")
        return "\n".join(lines)


class ClientError(SimulacraError):
    """4xx: the request must change before it can succeed (retrying it as is will not help)."""


class ServerError(SimulacraError):
    """5xx: the server failed; the client already retried what was retryable."""


class Unreachable(ConnectionError):
    """No HTTP answer at all (refused connection, DNS, TLS) after the retries."""


class RequestTimeout(TimeoutError):
    """The server did not answer within the request timeout, after the retries."""


class JobTimeout(TimeoutError):
    """A job was still running when the wait ended; it goes on running on the server."""

    def __init__(self, job_id: str, waited: float, last: dict[str, Any]) -> None:
        super().__init__(f"job {job_id} still {last.get('status')} ({last.get('stage')}) after {waited:.0f} s")
        self.job_id = job_id
        self.last = last


# Not a simio_* code: those are the server's (its /errors pages); this one marks an answer without a problem body.
NOT_A_PROBLEM = "http_error"


def problem_of(response: httpx.Response) -> dict[str, Any]:
    """The problem body, or one made from the status when a proxy answered with something else."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("code"), str):
        return body
    status = response.status_code
    return {
        "code": NOT_A_PROBLEM,
        "title": response.reason_phrase or "HTTP error",
        "detail": f"HTTP {status} from {response.request.url.host} without a problem body.",
        "retryable": status in (429, 502, 503, 504),
        "request_id": response.headers.get("x-request-id"),
    }


def error_from(response: httpx.Response, problem: dict[str, Any], fix: str | None) -> SimulacraError:
    kind = ServerError if response.status_code >= 500 else ClientError
    return kind(
        response.status_code,
        str(problem["code"]),
        str(problem.get("title", "")),
        str(problem.get("detail", "")),
        fix=fix,
        request_id=problem.get("request_id") or response.headers.get("x-request-id"),
        retryable=bool(problem.get("retryable", False)),
        doc_url=problem.get("doc_url") or problem.get("type"),
        errors=problem.get("errors") if isinstance(problem.get("errors"), list) else None,
    )
