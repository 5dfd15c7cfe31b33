"""The Simulacra quickstart in Python `requests`: claim credentials, mint a token, upload, generate, download.

    simulacra admin create-client --tenant acme --json        # -> credential_claim_token
    SIMULACRA_CLAIM_TOKEN=sct_... python examples/quickstart.py

Environment: SIMULACRA_URL (default http://127.0.0.1:8000), and either SIMULACRA_CLAIM_TOKEN
(one-time) or SIMULACRA_CLIENT_ID + SIMULACRA_CLIENT_SECRET. Optional: QUICKSTART_CSV, QUICKSTART_OUT.
"""

from __future__ import annotations

import csv
import io
import os
import sys
import time
import uuid
from collections import Counter
from datetime import datetime
from pathlib import Path

import requests

BASE = os.environ.get("SIMULACRA_URL", "http://127.0.0.1:8000").rstrip("/")
CSV_PATH = Path(os.environ.get("QUICKSTART_CSV", Path(__file__).with_name("tracker_q3.csv")))
OUT_PATH = Path(os.environ.get("QUICKSTART_OUT", "generated.csv"))


def post(path: str, token: str | None = None, **kwargs) -> requests.Response:
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return check(requests.post(f"{BASE}{path}", headers=headers, timeout=120, **kwargs))


def check(response: requests.Response) -> requests.Response:
    """Errors are application/problem+json: show their code and detail, then stop."""
    if response.status_code >= 400:
        problem = response.json() if "json" in response.headers.get("content-type", "") else {}
        raise SystemExit(
            f"{response.request.method} {response.url} -> {response.status_code} "
            f"{problem.get('code', '')}: {problem.get('detail', response.text[:200])}"
        )
    return response


def credentials() -> tuple[str, str, str, str]:
    if "SIMULACRA_CLAIM_TOKEN" in os.environ:
        claimed = post(
            "/v1/credential-claims", json={"credential_claim_token": os.environ["SIMULACRA_CLAIM_TOKEN"]}
        ).json()
        print(f"claimed client {claimed['client_id']} (store its secret now: it is shown once)")
        return claimed["client_id"], claimed["client_secret"], claimed["token_url"], claimed["audience"]
    return (
        os.environ["SIMULACRA_CLIENT_ID"],
        os.environ["SIMULACRA_CLIENT_SECRET"],
        f"{BASE}/oauth/token",
        os.environ.get("SIMULACRA_AUTH_AUDIENCE", "https://api.simulacra.local"),
    )


def mint_token(client_id: str, client_secret: str, token_url: str, audience: str) -> str:
    response = check(
        requests.post(
            token_url,
            timeout=30,
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": client_secret,
                "audience": audience,
            },
        )
    )
    return response.json()["access_token"]


def wait(job_id: str, token: str) -> dict:
    while True:
        job = check(
            requests.get(f"{BASE}/v1/jobs/{job_id}", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        ).json()
        print(f"  job {job_id}: {job['status']} ({job['stage']}, {job['progress']:.0%})")
        if job["status"] in ("ready", "partial", "failed"):
            return job
        time.sleep(max(job.get("poll_interval_seconds") or 1.0, 0.5))


def elapsed(job: dict) -> float:
    return (datetime.fromisoformat(job["updated_at"]) - datetime.fromisoformat(job["created_at"])).total_seconds()


def main() -> int:
    token = mint_token(*credentials())
    auth = {"Authorization": f"Bearer {token}"}

    with CSV_PATH.open("rb") as handle:
        upload = post("/v1/datasets", token, files={"file": (CSV_PATH.name, handle, "text/csv")}).json()
    print(f"uploaded {CSV_PATH.name} as {upload['dataset_id']}")
    dataset_job = wait(upload["job_id"], token)
    if dataset_job["status"] != "ready":
        print(f"dataset failed: {dataset_job['error']}", file=sys.stderr)
        return 1
    print(f"dataset ready in {elapsed(dataset_job):.1f} s (server time, upload accepted -> model fitted)")

    schema = check(requests.get(f"{BASE}/v1/datasets/{upload['dataset_id']}/schema", headers=auth, timeout=30)).json()
    print("columns:", ", ".join(f"{c['name']} ({c['type']})" for c in schema["columns"]))

    request = {
        "row_count": 2000,
        "conditions": {
            "categorical": {"segment": {"genz_switcher": 0.30}},
            "numeric": {"price": {"min": 5.49, "max": 5.49}},
        },
        "format": "csv",
    }
    generation = post(f"/v1/datasets/{upload['dataset_id']}/generations", token, json=request).json()
    job = wait(generation["job_id"], token)
    if job["status"] not in ("ready", "partial"):
        print(f"generation failed: {job['error']}", file=sys.stderr)
        return 1

    print(f"generation ready in {elapsed(job):.1f} s")
    download = check(requests.get(job["artifact_url"], headers=auth, timeout=120))
    OUT_PATH.write_bytes(download.content)
    rows = list(csv.DictReader(io.StringIO(download.text)))
    segments = Counter(row["segment"] for row in rows)
    prices = {row["price"] for row in rows}
    print(f"downloaded {len(rows)} rows to {OUT_PATH}")
    print(f"genz_switcher share: {segments['genz_switcher'] / len(rows):.3f}")
    print(f"distinct prices: {sorted(prices)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
