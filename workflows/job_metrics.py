"""Jobs started and finished (`simulacra_worker_jobs_*`), counted in the workflow where a job's status changes.

Imported through `imports_passed_through()`, so the counters are made once in the worker process and not
again in each workflow's sandbox. Replayed code does not count: a worker that resumes a workflow from
its history counts only what happens from then on.
"""

from __future__ import annotations

from prometheus_client import Counter
from temporalio import workflow

from simulacra.workflows.contracts import DATASET_WORKFLOW, EFFECT_WORKFLOW, GENERATION_WORKFLOW

JOB_KINDS = {DATASET_WORKFLOW: "dataset", GENERATION_WORKFLOW: "generation", EFFECT_WORKFLOW: "effect"}

JOBS_STARTED = Counter("simulacra_worker_jobs_started_total", "Jobs whose build started, by kind.", ["kind"])
JOBS_FINISHED = Counter(
    "simulacra_worker_jobs_finished_total",
    "Jobs whose build ended, by kind, status (ready, partial, failed; deleted when a delete cut it short) and, "
    "for a failed job, its simio_* code (simio_internal: the machine's fault, not the input's).",
    ["kind", "status", "code"],
)
for _name in JOB_KINDS.values():
    JOBS_STARTED.labels(_name)
    JOBS_FINISHED.labels(_name, "failed", "simio_internal")


def _counted_kind() -> str | None:
    return None if workflow.unsafe.is_replaying() else JOB_KINDS.get(workflow.info().workflow_type)


def job_started() -> None:
    kind = _counted_kind()
    if kind is not None:
        JOBS_STARTED.labels(kind).inc()


def job_finished(status: str, code: str) -> None:
    kind = _counted_kind()
    if kind is not None:
        JOBS_FINISHED.labels(kind, status, code).inc()
