"""Each tenant's data key: random 256 bits, stored only wrapped by the KEK, at keys/{tenant}.json in storage.

Storage is where both the API and the worker (and every engine process) look, whatever the backend,
so the wrapped keys live beside the objects they protect but outside `tenants/`, where retention and
the sweep never delete. The first key of a tenant is created with an exclusive create, so two
processes racing to create it end up using the one that landed.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import tempfile
import threading
from pathlib import Path
from typing import Any

from fsspec import AbstractFileSystem
from fsspec.implementations.local import LocalFileSystem

from simulacra.infra.key_provider import KeyProvider, KeyUnavailable
from simulacra.infra.keyfiles import read_or_create

DATA_KEY_BYTES = 32
KEYS_PREFIX = "keys"
# Backends whose exclusive create checks and writes in two steps (memory://) are at least serialised in-process.
_CREATE_LOCK = threading.Lock()


class DataKeys:
    def __init__(self, fs: AbstractFileSystem, root: str, provider: KeyProvider) -> None:
        self._fs = fs
        self._root = root
        self._provider = provider
        self._cache: dict[str, tuple[str, bytes]] = {}
        self._lock = threading.Lock()

    def current(self, tenant_id: str) -> tuple[str, bytes]:
        """The tenant's (key id, data key), created on the tenant's first write."""
        return self._load(tenant_id, create=True)

    def get(self, tenant_id: str, key_id: str) -> bytes:
        """The data key an object's header names; KeyUnavailable if the tenant holds no such key."""
        current_id, key = self._load(tenant_id, create=False)
        if key_id != current_id:
            raise KeyUnavailable(f"tenant {tenant_id!r} has no data key {key_id!r}")
        return key

    def _load(self, tenant_id: str, create: bool) -> tuple[str, bytes]:
        with self._lock:
            if tenant_id not in self._cache:
                record = self._read_record(tenant_id, create)
                self._cache[tenant_id] = (record["key_id"], self._unwrap(tenant_id, record))
            return self._cache[tenant_id]

    def _path(self, tenant_id: str) -> str:
        return f"{self._root}/{KEYS_PREFIX}/{tenant_id}.json"

    def _read_record(self, tenant_id: str, create: bool) -> dict[str, Any]:
        path = self._path(tenant_id)
        try:
            return json.loads(self._fs.cat_file(path))
        except FileNotFoundError:
            if not create:
                raise KeyUnavailable(f"tenant {tenant_id!r} has no data key yet") from None
        return json.loads(self._create_once(path, self._new_record(tenant_id)))

    def _new_record(self, tenant_id: str) -> bytes:
        key_id = f"dk_{secrets.token_hex(8)}"
        return self._record(tenant_id, key_id, secrets.token_bytes(DATA_KEY_BYTES))

    def _record(self, tenant_id: str, key_id: str, data_key: bytes) -> bytes:
        wrapped = self._provider.wrap(data_key, _context(tenant_id, key_id))
        record = {
            "tenant_id": tenant_id,
            "key_id": key_id,
            "kek_id": self._provider.kek_id,
            "wrapped_key": base64.b64encode(wrapped).decode(),
        }
        return json.dumps(record, indent=2).encode()

    def _unwrap(self, tenant_id: str, record: dict[str, Any]) -> bytes:
        key_id = record["key_id"]
        data_key = self._provider.unwrap(
            base64.b64decode(record["wrapped_key"]), record["kek_id"], _context(tenant_id, key_id)
        )
        if record["kek_id"] != self._provider.kek_id:
            # KEK rotation: re-wrap under the current KEK on first use; racing processes write the same data key.
            self._replace(self._path(tenant_id), self._record(tenant_id, key_id, data_key))
        return data_key

    def _create_once(self, path: str, record: bytes) -> bytes:
        """Whichever record lands first is the tenant's key; every caller returns that one."""
        if isinstance(self._fs, LocalFileSystem):
            return read_or_create(Path(path), lambda: record)
        with _CREATE_LOCK:
            try:
                # Exclusive create: s3fs turns it into a conditional put (If-None-Match), memory:// checks first.
                with self._fs.open(path, "xb") as handle:
                    handle.write(record)
            except FileExistsError:
                pass
        return self._fs.cat_file(path)

    def _replace(self, path: str, record: bytes) -> None:
        if not isinstance(self._fs, LocalFileSystem):
            self._fs.pipe_file(path, record)  # object stores replace whole objects atomically
            return
        fd, temporary = tempfile.mkstemp(dir=Path(path).parent, prefix=".rewrap.")
        with os.fdopen(fd, "wb") as handle:
            handle.write(record)
        os.replace(temporary, path)


def _context(tenant_id: str, key_id: str) -> bytes:
    return f"simulacra data key\n{tenant_id}\n{key_id}".encode()
