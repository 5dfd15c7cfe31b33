"""A resource's life inside its workflow: build it, hold it for its retention, remove it.

Retention is a durable timer on workflow time, re-armed when the retention is changed; deletion is a
workflow update, so
`DELETE` returns only once the stored objects are gone. A build still running when the
delete arrives is cancelled, and its engine process is allowed to finish first, so
nothing is written after the removal.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from simulacra.workflows.contracts import EXPIRE, ExpireInput, JobMemo, RetentionChange
    from simulacra.workflows.job_metrics import job_finished, job_started
    from simulacra.workflows.policies import io_step
    from simulacra.workflows.publish import publish
    from simulacra.workflows.webhook_events import emit_dataset_removed, emit_job_end


class Lifecycle:
    def __init__(self) -> None:
        self.deleted = False
        self.closed = False
        self.busy = False  # an update handler is writing the resource's files
        self.ending = False  # retention ran out or a delete came: nothing new may start
        self.expires_at: datetime | None = None
        # The build's last published status, and its failure.
        self.status, self.error_code, self.error_message = "queued", "", ""

    def publish(self, status: str, stage: str, progress: float, **fields: Any) -> None:
        """Publish the build's progress, unless the resource is already on its way out."""
        if not self.deleted and not self.ending:
            self.status, self.error_code = status, fields.get("error_code", "")
            self.error_message = fields.get("error_message", "")
            publish(status, stage, progress, **fields)

    async def run(self, build: Awaitable[None], expires_at: datetime, target: ExpireInput) -> None:
        """Build, then hold until expires_at (counted from the request, not from the build's end) or a delete."""
        job_started()
        task = asyncio.ensure_future(build)
        await workflow.wait_condition(lambda: task.done() or self.deleted)
        if not task.done():
            task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        job_finished("deleted" if self.deleted else self.status, self.error_code)
        if not self.deleted:
            await emit_job_end(target, self.status, self.error_code, self.error_message)
        self.expires_at = self.expires_at or expires_at
        while not self.deleted and (remaining := (self.expires_at - workflow.now()).total_seconds()) > 0:
            until = self.expires_at

            def woken(until: datetime = until) -> bool:
                # A delete, or a changed retention, which re-arms the timer.
                return self.deleted or self.expires_at != until

            try:
                await workflow.wait_condition(woken, timeout=timedelta(seconds=remaining))
            except TimeoutError:  # the retention window ran out: expire
                break
        self.ending = True
        await workflow.wait_condition(lambda: not self.busy)
        # Gone for readers first, then removed: nobody reads a half-deleted resource.
        publish("deleted" if self.deleted else "expired", "removing", 1.0)
        await io_step(EXPIRE, target)
        publish("deleted" if self.deleted else "expired", "removed", 1.0, removed_at=workflow.now().isoformat())
        self.closed = True
        await emit_dataset_removed(target, self.deleted)
        await workflow.wait_condition(workflow.all_handlers_finished)

    def retain_until(self, change: RetentionChange) -> None:
        self.expires_at = change.expires_at
        workflow.upsert_memo(
            JobMemo.changes(expires_at=change.expires_at.isoformat(), retention_hours=change.retention_hours)
        )

    async def delete(self) -> None:
        """Make the resource gone at once (readers see 404), then wait until storage holds nothing of it."""
        if not self.closed:
            self.deleted = True
            publish("deleted", "removing", 1.0)
            await workflow.wait_condition(lambda: self.closed)
