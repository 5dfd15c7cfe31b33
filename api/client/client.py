"""`Client`: the Simulacra API's operations, typed, on top of `Session`'s tokens, retries and errors."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from simulacra.api.client.backoff import Backoff, retry_after
from simulacra.api.client.errors import JobTimeout
from simulacra.api.client.models import Accepted, Credentials, Job
from simulacra.api.client.session import Session

ProgressCallback = Callable[[Job], None]


class Client(Session):
    """Every call of the quickstart flow, plus effects and jobs; `with Client(url) as api:` closes the connections."""

    # -- credentials ------------------------------------------------------------------------------------------

    def claim(self, claim_token: str) -> Credentials:
        """Redeem a one-time claim token. The server never replays a claim (that would mean storing the secret):
        if its answer is lost in transit, the retry is refused and a new claim token is needed."""
        response = self.request(
            "POST", "/v1/credential-claims", json={"credential_claim_token": claim_token}, authenticated=False
        )
        return Credentials.model_validate(response.json())

    def token_url(self) -> str:
        """The token endpoint the server advertises (its own issuer, or the external one it trusts)."""
        return str(self._json("GET", "/.well-known/openid-configuration", authenticated=False)["token_endpoint"])

    # -- datasets, generations, effects, jobs -------------------------------------------------------------------

    def upload_dataset(
        self,
        file: Path | str,
        *,
        retention_hours: int | None = None,
        causal_hints: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Accepted:
        path = Path(file)
        fields: dict[str, str] = {}
        if retention_hours is not None:
            fields["retention_hours"] = str(retention_hours)
        if causal_hints is not None:
            fields["causal_hints"] = json.dumps(causal_hints)
        with path.open("rb") as handle:  # streamed by httpx in chunks, rewound for each attempt
            response = self.request(
                "POST",
                "/v1/datasets",
                data=fields,
                files={"file": (path.name, handle, "application/octet-stream")},
                idempotency_key=idempotency_key,
            )
        return Accepted.model_validate(response.json())

    def dataset(self, dataset_id: str) -> dict[str, Any]:
        return self._json("GET", f"/v1/datasets/{dataset_id}")

    def schema(self, dataset_id: str) -> dict[str, Any]:
        return self._json("GET", f"/v1/datasets/{dataset_id}/schema")

    def generate(
        self,
        dataset_id: str,
        row_count: int,
        conditions: Mapping[str, Any] | None = None,
        *,
        format: str = "csv",
        seed: int | None = None,
        retention_hours: int | None = None,
        idempotency_key: str | None = None,
    ) -> Accepted:
        body: dict[str, Any] = {"row_count": row_count, "conditions": dict(conditions or {}), "format": format}
        body |= {k: v for k, v in (("seed", seed), ("retention_hours", retention_hours)) if v is not None}
        response = self.request(
            "POST", f"/v1/datasets/{dataset_id}/generations", json=body, idempotency_key=idempotency_key
        )
        return Accepted.model_validate(response.json())

    def generation(self, generation_id: str) -> dict[str, Any]:
        return self._json("GET", f"/v1/generations/{generation_id}")

    def estimate_effect(
        self, dataset_id: str, request: Mapping[str, Any], *, idempotency_key: str | None = None
    ) -> Accepted:
        """`request` is the body of `estimateEffect`: treatment {column, from, to}, outcome, and the optional
        outcome_level, segment_by, samples, seed, confidence_level, retention_hours."""
        response = self.request(
            "POST", f"/v1/datasets/{dataset_id}/effects", json=dict(request), idempotency_key=idempotency_key
        )
        return Accepted.model_validate(response.json())

    def effect(self, effect_id: str) -> dict[str, Any]:
        return self._json("GET", f"/v1/effects/{effect_id}")

    def job(self, job_id: str) -> Job:
        return Job.model_validate(self._json("GET", f"/v1/jobs/{job_id}"))

    def wait_for_job(self, job_id: str, *, timeout: float = 900.0, on_progress: ProgressCallback | None = None) -> Job:
        """Poll until the job is ready, partial or failed (returned, not raised: a failed job carries its error).
        Polls start at the server's `poll_interval_seconds` and back off with jitter to 5 s; `JobTimeout` when
        `timeout` seconds pass first (the job goes on running)."""
        deadline = self._clock() + timeout
        backoff: Backoff | None = None
        while True:
            response = self.request("GET", f"/v1/jobs/{job_id}")
            job = Job.model_validate(response.json())
            if on_progress is not None:
                on_progress(job)
            if job.done:
                return job
            left = deadline - self._clock()
            if left <= 0:
                raise JobTimeout(job_id, timeout, job.as_dict())
            backoff = backoff or Backoff(base=job.poll_interval_seconds, factor=1.5, cap=5.0)
            time.sleep(min(left, backoff.next_delay(retry_after(response))))
