"""Webhook activities: plan an event's deliveries, make one attempt (an HTTP POST), give a delivery up.

An attempt resolves the endpoint's host, checks every address (infra/webhook_guard.py) and connects to
the address it checked, sending the URL's name as Host and TLS server name so the certificate is still
verified against it. Redirects are not followed (a 3xx is a failed attempt: following one would reach
an address nobody checked), the answer's body is never read, and proxies from the environment are not
used (they would connect to an address of their own choosing).
"""

from __future__ import annotations

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from temporalio import activity
from temporalio.exceptions import ApplicationError

from simulacra.infra.config import Settings
from simulacra.infra.webhook_guard import Policy, WebhookUrlRefused, check_url, pin
from simulacra.infra.webhook_signing import headers as signed_headers
from simulacra.infra.webhook_store import WebhookStore
from simulacra.workflows.contracts import (
    DELIVER_WEBHOOK,
    FINISH_WEBHOOK_DELIVERY,
    PLAN_WEBHOOK_DELIVERIES,
    WEBHOOK_ENDPOINT_GONE,
    WebhookDelivery,
    WebhookEvent,
    WebhookOutcome,
    WebhookPlan,
    WebhookTarget,
    webhook_delivery_id,
)

USER_AGENT = "Simulacra-Webhooks/1"


def event_body(event: WebhookEvent) -> bytes:
    """The payload as Standard Webhooks lays it out: `type`, `timestamp`, `data`; the same bytes on every attempt."""
    timestamp = event.timestamp.isoformat().replace("+00:00", "Z")
    return json.dumps({"type": event.type, "timestamp": timestamp, "data": event.data}, separators=(",", ":")).encode()


class WebhookActivities:
    def __init__(self, store: WebhookStore, settings: Settings) -> None:
        self._store = store
        self._settings = settings
        self._policy = Policy(allow_http=settings.webhook_allow_http, allow_private=settings.webhook_allow_private)
        # Name lookups of receivers get threads of their own: a flood of unreachable hosts (each lookup waiting
        # out its resolver's timeout) must not take the threads every other activity of this worker needs.
        self._lookups = ThreadPoolExecutor(max_workers=4, thread_name_prefix="webhook-lookup")

    @activity.defn(name=PLAN_WEBHOOK_DELIVERIES)
    async def plan(self, event: WebhookEvent) -> WebhookPlan:
        pairs = await asyncio.to_thread(
            self._store.open_deliveries,
            event.tenant_id,
            event.event_id,
            event.type,
            lambda endpoint_id: webhook_delivery_id(event.event_id, endpoint_id),
        )
        settings = self._settings
        return WebhookPlan(
            targets=[
                WebhookTarget(delivery_id=delivery_id, endpoint_id=endpoint_id) for endpoint_id, delivery_id in pairs
            ],
            first_retry_seconds=settings.webhook_first_retry_seconds,
            max_retry_seconds=settings.webhook_max_retry_seconds,
            deadline_seconds=settings.webhook_deadline_seconds,
            attempt_timeout_seconds=settings.webhook_attempt_timeout_seconds,
        )

    @activity.defn(name=DELIVER_WEBHOOK)
    async def deliver(self, delivery: WebhookDelivery) -> None:
        """One attempt, recorded; a failed one raises, and Temporal retries it with backoff."""
        event, target = delivery.event, delivery.target
        found = await asyncio.to_thread(self._store.signing_secrets, event.tenant_id, target.endpoint_id)
        if found is None:
            raise ApplicationError("the endpoint was deleted", type=WEBHOOK_ENDPOINT_GONE, non_retryable=True)
        endpoint, secrets = found
        status_code, error = await self._post(endpoint.url, secrets, event.event_id, event_body(event))
        attempt = activity.info().attempt
        succeeded = error is None
        await asyncio.to_thread(self._store.record_attempt, target.delivery_id, attempt, status_code, error, succeeded)
        if not succeeded:
            raise ApplicationError(f"attempt {attempt}: {error}", type="webhook_attempt_failed")

    @activity.defn(name=FINISH_WEBHOOK_DELIVERY)
    async def give_up(self, outcome: WebhookOutcome) -> None:
        await asyncio.to_thread(self._store.give_up, outcome.delivery_id)

    async def _post(self, url: str, secrets: list[bytes], event_id: str, body: bytes) -> tuple[int | None, str | None]:
        """(status code, None) on a 2xx answer; otherwise what went wrong, in words a receiver's owner can act on."""
        try:
            # The URL is checked again at every attempt: the policy may have tightened since it was saved.
            parts = check_url(url, self._policy)
            pinned = await asyncio.get_running_loop().run_in_executor(self._lookups, pin, parts, self._policy)
        except WebhookUrlRefused as refused:
            return None, str(refused)
        except (OSError, UnicodeError):
            return None, "The URL's host did not resolve."
        timeout = self._settings.webhook_attempt_timeout_seconds
        headers = {
            **signed_headers(secrets, event_id, int(time.time()), body),
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "host": pinned.host_header,
        }
        async with httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False) as client:
            request = client.build_request(
                "POST", pinned.url, content=body, headers=headers, extensions={"sni_hostname": pinned.server_name}
            )
            try:
                response = await client.send(request, stream=True)
            except httpx.TimeoutException:
                return None, f"No answer within {timeout:g} s."
            except httpx.HTTPError:
                return None, "Could not connect, or the connection failed (refused, reset, or TLS not verified)."
            await response.aclose()
        if 200 <= response.status_code < 300:
            return response.status_code, None
        return response.status_code, f"Answered HTTP {response.status_code}; a 2xx status acknowledges a delivery."
