"""The Simulacra quickstart in Python, with the package's client: claim credentials, upload, generate, download.

    simulacra admin create-client --tenant acme --json        # -> credential_claim_token
    SIMULACRA_CLAIM_TOKEN=sct_... python examples/quickstart.py

Environment: SIMULACRA_URL (default http://127.0.0.1:8000), and either SIMULACRA_CLAIM_TOKEN
(one-time) or SIMULACRA_CLIENT_ID + SIMULACRA_CLIENT_SECRET. Optional: QUICKSTART_CSV, QUICKSTART_OUT.
The client (simulacra.api.client, docs/client.md) mints and renews the token, sends an Idempotency-Key
with every POST, retries what is retryable, polls jobs and streams the download; quickstart.sh and
quickstart.ts make the same calls by hand.
"""

from __future__ import annotations

import csv
import os
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

from simulacra.api.client import Client, Credentials, Job, SimulacraError

BASE = os.environ.get("SIMULACRA_URL", "http://127.0.0.1:8000")
CSV_PATH = Path(os.environ.get("QUICKSTART_CSV", Path(__file__).with_name("tracker_q3.csv")))
OUT_PATH = Path(os.environ.get("QUICKSTART_OUT", "generated.csv"))


def credentials(api: Client) -> Credentials:
    if "SIMULACRA_CLAIM_TOKEN" in os.environ:
        claimed = api.claim(os.environ["SIMULACRA_CLAIM_TOKEN"])
        print(f"claimed client {claimed.client_id} (store its secret now: it is shown once)")
        return claimed
    return Credentials(
        client_id=os.environ["SIMULACRA_CLIENT_ID"],
        client_secret=os.environ["SIMULACRA_CLIENT_SECRET"],
        token_url=api.token_url(),
    )


def show(job: Job) -> None:
    print(f"  job {job.job_id}: {job.status} ({job.stage}, {job.progress:.0%})")


def elapsed(job: Job) -> float:
    return (datetime.fromisoformat(str(job.updated_at)) - datetime.fromisoformat(str(job.created_at))).total_seconds()


def quickstart(api: Client) -> int:
    api.use(credentials(api))

    upload = api.upload_dataset(CSV_PATH)
    print(f"uploaded {CSV_PATH.name} as {upload.dataset_id}")
    dataset_job = api.wait_for_job(upload.job_id, on_progress=show)
    if dataset_job.status != "ready":
        print(f"dataset failed: {dataset_job.error}", file=sys.stderr)
        return 1
    print(f"dataset ready in {elapsed(dataset_job):.1f} s (server time, upload accepted -> model fitted)")

    schema = api.schema(upload.dataset_id)
    print("columns:", ", ".join(f"{c['name']} ({c['type']})" for c in schema["columns"]))

    conditions = {
        "categorical": {"segment": {"genz_switcher": 0.30}},
        "numeric": {"price": {"min": 5.49, "max": 5.49}},
    }
    generation = api.generate(upload.dataset_id, 2000, conditions, format="csv")
    job = api.wait_for_job(generation.job_id, on_progress=show)
    if not job.succeeded or job.artifact_url is None:
        print(f"generation failed: {job.error}", file=sys.stderr)
        return 1

    print(f"generation ready in {elapsed(job):.1f} s")
    api.download(job.artifact_url, OUT_PATH)
    with OUT_PATH.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    segments = Counter(row["segment"] for row in rows)
    print(f"downloaded {len(rows)} rows to {OUT_PATH}")
    print(f"genz_switcher share: {segments['genz_switcher'] / len(rows):.3f}")
    print(f"distinct prices: {sorted({row['price'] for row in rows})}")
    return 0


def main() -> int:
    try:
        with Client(BASE) as api:
            return quickstart(api)
    except SimulacraError as error:  # code, detail, fix and request id, then stop
        raise SystemExit(f"error: {error}") from None


if __name__ == "__main__":
    sys.exit(main())
