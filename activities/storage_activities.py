"""Activities that only touch storage."""

from __future__ import annotations

import asyncio

from temporalio import activity

from simulacra.infra import layout
from simulacra.infra.storage import Storage
from simulacra.workflows.contracts import EXPIRE, ExpireInput


class StorageActivities:
    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    @activity.defn(name=EXPIRE)
    async def expire(self, target: ExpireInput) -> None:
        """Remove every stored object of the resource; removing what is already gone is success."""
        if target.effect_id:
            prefix = layout.effect_prefix(target.tenant_id, target.dataset_id, target.effect_id)
        elif target.generation_id:
            prefix = layout.generation_prefix(target.tenant_id, target.generation_id)
        else:
            prefix = layout.dataset_prefix(target.tenant_id, target.dataset_id)
        await asyncio.to_thread(self._storage.delete_prefix, prefix)
        # Only ever the tenant's own staging area, whatever the input says.
        if target.upload_key and target.upload_key.startswith(layout.staging_key(target.tenant_id, "")):
            await asyncio.to_thread(self._storage.delete_prefix, target.upload_key)
