"""WebhookEventWorkflow: deliver one event to every endpoint of its tenant that subscribes to its type.

Each delivery is one activity retried by Temporal with exponential backoff (seconds at first, at most
an hour apart, for a day by default): at-least-once, and every attempt carries the event's stable id
(`webhook-id`), so a receiver that saw it before can drop the repeat. Each attempt is recorded by the
activity itself; when the deadline passes the delivery is marked failed.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from simulacra.workflows.contracts import (
        DELIVER_WEBHOOK,
        FINISH_WEBHOOK_DELIVERY,
        PLAN_WEBHOOK_DELIVERIES,
        WEBHOOK_ENDPOINT_GONE,
        WEBHOOK_EVENT_WORKFLOW,
        WebhookDelivery,
        WebhookEvent,
        WebhookOutcome,
        WebhookPlan,
        WebhookTarget,
    )
    from simulacra.workflows.policies import IO_ATTEMPT_TIMEOUT, IO_RETRY, io_step


@workflow.defn(name=WEBHOOK_EVENT_WORKFLOW)
class WebhookEventWorkflow:
    @workflow.run
    async def run(self, event: WebhookEvent) -> None:
        plan: WebhookPlan = await workflow.execute_activity(
            PLAN_WEBHOOK_DELIVERIES,
            event,
            result_type=WebhookPlan,
            start_to_close_timeout=IO_ATTEMPT_TIMEOUT,
            retry_policy=IO_RETRY,
        )
        await asyncio.gather(*(self._deliver(event, target, plan) for target in plan.targets))

    async def _deliver(self, event: WebhookEvent, target: WebhookTarget, plan: WebhookPlan) -> None:
        retry = RetryPolicy(
            initial_interval=timedelta(seconds=plan.first_retry_seconds),
            backoff_coefficient=2.0,
            maximum_interval=timedelta(seconds=plan.max_retry_seconds),
            maximum_attempts=0,
            non_retryable_error_types=[WEBHOOK_ENDPOINT_GONE],
        )
        try:
            await workflow.execute_activity(
                DELIVER_WEBHOOK,
                WebhookDelivery(event=event, target=target),
                start_to_close_timeout=timedelta(seconds=plan.attempt_timeout_seconds + 10),
                schedule_to_close_timeout=timedelta(seconds=plan.deadline_seconds),
                retry_policy=retry,
            )
        except ActivityError:
            await io_step(FINISH_WEBHOOK_DELIVERY, WebhookOutcome(delivery_id=target.delivery_id))
