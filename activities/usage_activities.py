"""Activities that write the usage ledger."""

from __future__ import annotations

import asyncio

from temporalio import activity

from simulacra.infra.usage import UsageLedger
from simulacra.workflows.contracts import SETTLE_USAGE, UsageSettlement


class UsageActivities:
    def __init__(self, ledger: UsageLedger) -> None:
        self._ledger = ledger

    @activity.defn(name=SETTLE_USAGE)
    async def settle(self, settlement: UsageSettlement) -> None:
        """Overwrites the generation's entry, so a retry after a lost acknowledgement counts nothing twice."""
        await asyncio.to_thread(self._ledger.settle, settlement.generation_id, settlement.rows_generated)
