"""Issue 11's proof: a cluster on one machine. PostgreSQL control database, S3 object store, an external Temporal,
two API replicas and two workers, configured only by environment (tests/cluster.py). The quickstart runs with
requests alternating between the replicas while a worker is killed mid-fit; exactly-once holds across replicas.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import requests

from simulacra.workflows.contracts import dataset_workflow_id
from tests.cluster import KillMidFit, Replicas, claim_everywhere, quickstart, retried_on, running_cluster
from tests.conftest import EXAMPLES
from tests.postgres import PostgresServer
from tests.s3_server import S3Server

TENANT = "acme-cluster"
ROWS = 1000


def test_a_cluster_on_one_machine(
    temporal_address: str, postgres: PostgresServer, s3_server: S3Server, tmp_path: Path
) -> None:
    # Enough of the tracker that discovery and fit last a few polls: the worker running them is killed there.
    table = b"".join((EXAMPLES / "tracker_q3.csv").read_bytes().splitlines(keepends=True)[:2001])
    with running_cluster(tmp_path, temporal_address, postgres, s3_server) as cluster:
        claims = claim_everywhere(cluster.apis, cluster.create_client(TENANT))
        won = [claim for claim in claims if claim.ok]
        lost = [claim.json()["code"] for claim in claims if not claim.ok]
        assert len(won) == 1 and lost == ["simio_credential_claim_not_found"], [c.text for c in claims]

        replicas = Replicas(cluster.apis)
        replicas.sign_in(won[0].json())
        watch = KillMidFit(cluster, TENANT)
        run = quickstart(replicas, table, ROWS, watch)
        assert watch.killed is not None
        survivor = next(worker for worker in cluster.workers if worker.pid != watch.killed)
        assert survivor.poll() is None
        workflow_id = dataset_workflow_id(TENANT, run.generation.dataset_id)
        assert retried_on(cluster.temporal_address, workflow_id) == {survivor.pid}
        assert run.rows == ROWS

        generation = run.generation
        other = next(base for base in cluster.apis if base != generation.base)
        replay = requests.post(
            f"{other}/v1/datasets/{generation.dataset_id}/generations",
            headers={"Authorization": f"Bearer {replicas.token}", "Idempotency-Key": generation.key},
            json=generation.body,
            timeout=60,
        )
        assert replay.status_code == 202 and replay.json() == generation.response, replay.text
        assert replay.headers["Idempotent-Replayed"] == "true"

        usage = replicas.request("GET", "/v1/usage").json()
        assert usage["rows_generated"] == ROWS, usage
        with psycopg.connect(cluster.env["SIMULACRA_CONTROL_DB"]) as conn:
            ledger = conn.execute("SELECT COUNT(*), SUM(rows_generated) FROM usage WHERE tenant_id = %s", (TENANT,))
            assert ledger.fetchone() == (1, ROWS)
