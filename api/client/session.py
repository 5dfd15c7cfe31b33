"""`Session`: one Simulacra server over HTTP, and the single path every call takes to it.

Tokens are minted from client credentials and renewed before they expire; every POST carries an
Idempotency-Key made once per call and reused by each retry of it, so a retry never does the work
twice; retryable answers (429, 5xx, `retryable: true`) and lost connections are retried with jittered
backoff that honours `Retry-After`; artifacts stream to a file; every problem answer is raised as a
`SimulacraError` carrying its code, detail, fix and request id.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any, Self

import httpx

from simulacra.api.client.backoff import Backoff, retry_after
from simulacra.api.client.errors import (
    NOT_A_PROBLEM,
    RequestTimeout,
    SimulacraError,
    Unreachable,
    error_from,
    problem_of,
)
from simulacra.api.client.models import Credentials
from simulacra.api.client.tokens import TokenSource


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


def _retryable(response: httpx.Response, problem: Mapping[str, Any]) -> bool:
    return bool(problem.get("retryable")) or response.status_code in (429, 502, 503, 504)


class Session:
    """Give it `credentials` (claimed, or a client id and secret), or a ready-made bearer `token`; pass `http` to
    reuse an `httpx.Client` (for instance Starlette's TestClient, to run against the app in process)."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials | None = None,
        *,
        token: str | None = None,
        http: httpx.Client | None = None,
        timeout: float = 60.0,
        max_attempts: int = 5,
        max_retry_wait: float = 120.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._owns_http = http is None
        self._http = http if http is not None else httpx.Client(timeout=timeout)
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._max_retry_wait = max_retry_wait
        self._clock = clock
        self._static_token = token
        self._fixes: dict[str, str | None] = {}
        self.tokens = TokenSource(credentials, self._mint, clock) if credentials is not None else None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def use(self, credentials: Credentials) -> TokenSource:
        """Authenticate the following calls with these credentials (the first token is minted when needed)."""
        self.tokens = TokenSource(credentials, self._mint, self._clock)
        return self.tokens

    def _mint(self, token_url: str, form: dict[str, str]) -> httpx.Response:
        return self.request("POST", token_url, data=form, authenticated=False, idempotent=False)

    def download(self, url: str, destination: Path | str) -> int:
        """Stream an artifact (an `artifact_url`) to a file, through a temporary file so a broken transfer never
        leaves a truncated one; the bearer token goes with the signed URL. Returns the bytes written."""
        target = Path(destination)
        partial = target.with_name(f".{target.name}.part")
        backoff = Backoff()
        attempt = 0
        while True:
            attempt += 1
            try:
                with self._http.stream("GET", self._url(url), headers=self._auth(), timeout=self._timeout) as answer:
                    if answer.status_code >= 400:
                        answer.read()
                        self._raise_or_wait(answer, attempt, backoff)
                        continue
                    written = 0
                    with partial.open("wb") as out:
                        for chunk in answer.iter_bytes():
                            written += out.write(chunk)
                partial.replace(target)
                return written
            except httpx.TransportError as exc:
                self._wait_after_transport_error(exc, attempt, backoff)

    def read_head(self, url: str, max_bytes: int) -> tuple[bytes, bool]:
        """The first `max_bytes` of an artifact (an `artifact_url`), and whether that is all of it: enough to
        preview a file without fetching it whole."""
        with self._http.stream("GET", self._url(url), headers=self._auth(), timeout=self._timeout) as answer:
            if answer.status_code >= 400:
                answer.read()
                problem = problem_of(answer)
                raise error_from(answer, problem, self._fix(problem))
            head = b""
            for chunk in answer.iter_bytes():
                head += chunk
                if len(head) > max_bytes:
                    return head[:max_bytes], False
            return head, True

    def fix_for(self, code: str) -> str | None:
        """The fix text of a `simio_*` code, from its error page (for errors a caller detects before sending)."""
        return self._fix({"code": code})

    # -- the one request path -----------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: Mapping[str, str] | None = None,
        files: Mapping[str, tuple[str, IO[bytes], str]] | None = None,
        params: Mapping[str, str] | None = None,
        idempotency_key: str | None = None,
        authenticated: bool = True,
        idempotent: bool | None = None,
        accept: str | None = None,
    ) -> httpx.Response:
        """Send one logical call, retrying what is retryable; raise `SimulacraError` for a problem answer."""
        headers: dict[str, str] = {"Accept": accept} if accept else {}
        if idempotent if idempotent is not None else method == "POST":
            headers["Idempotency-Key"] = idempotency_key or new_idempotency_key()
        backoff = Backoff()
        renewed = False
        attempt = 0
        while True:
            attempt += 1
            for part in (files or {}).values():
                part[1].seek(0)
            if authenticated:
                headers |= self._auth()
            try:
                response = self._http.request(
                    method,
                    self._url(path),
                    headers=headers,
                    json=json,
                    data=data,
                    files=files,
                    params=params,
                    timeout=self._timeout,
                )
            except httpx.TransportError as exc:
                self._wait_after_transport_error(exc, attempt, backoff)
                continue
            if response.status_code < 400:
                return response
            if response.status_code == 401 and authenticated and self.tokens is not None and not renewed:
                # A token the server no longer takes (signing key rolled, revoked early): mint once more.
                self.tokens.discard()
                renewed = True
                attempt -= 1
                continue
            self._raise_or_wait(response, attempt, backoff)

    def _raise_or_wait(self, response: httpx.Response, attempt: int, backoff: Backoff) -> None:
        problem = problem_of(response)
        wait = backoff.next_delay(retry_after(response))
        if not _retryable(response, problem) or attempt >= self._max_attempts or wait > self._max_retry_wait:
            raise error_from(response, problem, self._fix(problem))
        time.sleep(wait)

    def _wait_after_transport_error(self, exc: httpx.TransportError, attempt: int, backoff: Backoff) -> None:
        if attempt >= self._max_attempts:
            if isinstance(exc, httpx.TimeoutException):
                raise RequestTimeout(f"no answer from {self.base_url} within {self._timeout:.0f} s") from exc
            raise Unreachable(f"cannot reach {self.base_url}: {exc}") from exc
        time.sleep(backoff.next_delay())

    def _fix(self, problem: Mapping[str, Any]) -> str | None:
        """The fix text: from the problem body if the server put it there, else from the code's error page."""
        if isinstance(problem.get("fix"), str):
            return str(problem["fix"])
        code = str(problem["code"])
        if code == NOT_A_PROBLEM:
            return None
        if code not in self._fixes:
            try:
                page = self._http.get(
                    f"{self.base_url}/errors/{code}", headers={"Accept": "application/json"}, timeout=self._timeout
                )
                self._fixes[code] = page.json().get("fix") if page.status_code == 200 else None
            except (httpx.HTTPError, ValueError):
                self._fixes[code] = None
        return self._fixes[code]

    def _auth(self) -> dict[str, str]:
        if self.tokens is not None:
            return {"Authorization": f"Bearer {self.tokens.token()}"}
        if self._static_token is not None:
            return {"Authorization": f"Bearer {self._static_token}"}
        return {}

    def _url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"

    def _json(self, method: str, path: str, *, authenticated: bool = True) -> dict[str, Any]:
        body = self.request(method, path, authenticated=authenticated).json()
        if not isinstance(body, dict):
            raise SimulacraError(200, NOT_A_PROBLEM, "Unexpected body", f"{path} did not answer a JSON object.")
        return body
