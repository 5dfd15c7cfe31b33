"""Retention as a durable timer: hold the resource until it expires or is deleted, then remove it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.contracts import EXPIRE, ExpireInput
    from workflows.policies import storage_step
    from workflows.publish import publish


async def hold_until_expiry(deleted: Callable[[], bool], retention_hours: int, target: ExpireInput) -> None:
    await workflow.wait_condition(deleted, timeout=timedelta(hours=retention_hours))
    await storage_step(EXPIRE, target)
    publish("deleted" if deleted() else "expired", "expired", 1.0)
