"""Artifact storage over fsspec: a local directory by default, any fsspec URL (s3://...) by config.

Every object is encrypted at rest (infra/encryption.py) under its tenant's data key (infra/data_keys.py):
callers read and write plaintext, and nothing else in the code base touches stored bytes.
Object stores have no directories and no rename: a prefix exists while an object lies under it, and
a write is published whole when its upload completes (infra/object_store.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import fsspec
from fsspec.implementations.local import LocalFileSystem
from pydantic import BaseModel

from simulacra.infra.data_keys import DataKeys
from simulacra.infra.encryption import DecryptingReader, EncryptingWriter, Header
from simulacra.infra.key_provider import KeyProvider, load_key_provider
from simulacra.infra.object_store import BLOCK_BYTES, is_object_store, storage_options

if TYPE_CHECKING:
    from simulacra.infra.config import Settings

COPY_BUFFER = 1024 * 1024
# An object being written lives under `{key}.{writer}.partial` until it is complete.
PARTIAL_SUFFIX = ".partial"
Document = TypeVar("Document", bound=BaseModel)


class Storage:
    """Keys are '/'-separated paths under the root URL, objects under `tenants/{tenant}/`; writes are atomic."""

    def __init__(self, root_url: str, key_provider: KeyProvider) -> None:
        self.fs, root = fsspec.core.url_to_fs(root_url, **storage_options(root_url, os.environ))
        self.root = root.rstrip("/")
        self.object_store = is_object_store(root_url)
        # Bounded buffers per stream on an object store; the local filesystem takes its own defaults.
        self._open_options: dict[str, Any] = {"block_size": BLOCK_BYTES} if self.object_store else {}
        if self.is_local:
            Path(self.root).mkdir(parents=True, exist_ok=True)
        self._keys = DataKeys(self.fs, self.root, key_provider)

    @property
    def data_keys(self) -> DataKeys:
        """The data keys under this storage's `keys/`: the tenants' and the Temporal payload codec's."""
        return self._keys

    @property
    def is_local(self) -> bool:
        return isinstance(self.fs, LocalFileSystem)

    def path(self, key: str) -> str:
        if key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"storage key must be relative: {key!r}")
        return f"{self.root}/{key}"

    def exists(self, key: str) -> bool:
        return self.fs.exists(self.path(key))

    def open_read(self, key: str) -> DecryptingReader:
        """The object's plaintext as a file object; every chunk is authenticated before it is returned."""
        raw = self.fs.open(self.path(key), "rb", **self._open_options)
        try:
            header = Header.read_from(raw)
            return DecryptingReader(raw, self._keys.get(_tenant_of(key), header.key_id), key, header)
        except BaseException:
            raw.close()
            raise

    @contextlib.contextmanager
    def open_write(self, key: str) -> Iterator[EncryptingWriter]:
        """Write atomically: readers never see a half-written object."""
        key_id, data_key = self._keys.current(_tenant_of(key))
        with self._publishing(self.path(key)) as handle:
            writer = EncryptingWriter(handle, Header(key_id), data_key, key)
            yield writer
            writer.finish()

    @contextlib.contextmanager
    def _publishing(self, final: str) -> Iterator[Any]:
        """A handle whose bytes appear at `final` only if the block completes, and never in part."""
        if self.object_store:
            # The store publishes the object when its upload completes (one PUT, or the multipart upload's
            # completion): write in place, and abort the upload on failure. No copy, no rename.
            handle = self.fs.open(final, "wb", **self._open_options)
            try:
                yield handle
            except BaseException:
                handle.discard()
                handle.closed = True  # discarded: closing would publish what was buffered
                raise
            handle.close()
            return
        # Unique per writer: two attempts at the same key never share (or delete) each other's bytes.
        partial = f"{final}.{uuid.uuid4().hex}{PARTIAL_SUFFIX}"
        self.fs.makedirs(final.rsplit("/", 1)[0], exist_ok=True)
        try:
            with self.fs.open(partial, "wb") as handle:
                yield handle
            self.fs.mv(partial, final)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                self.fs.rm(partial)
            raise

    def write_bytes(self, key: str, data: bytes) -> None:
        with self.open_write(key) as handle:
            handle.write(data)

    def read_bytes(self, key: str) -> bytes:
        with self.open_read(key) as handle:
            return handle.read()

    def write_json(self, key: str, value: Any) -> None:
        # allow_nan=False: NaN or Infinity in a stored document is a bug to catch here, not in a client.
        self.write_bytes(key, json.dumps(value, indent=2, allow_nan=False).encode())

    def read_json(self, key: str) -> Any:
        return json.loads(self.read_bytes(key))

    def write_document(self, key: str, document: BaseModel) -> None:
        self.write_json(key, document.model_dump(mode="json"))

    def read_document(self, key: str, kind: type[Document]) -> Document:
        return kind.model_validate(self.read_json(key))

    def put_file(self, local_path: str | Path, key: str) -> None:
        with open(local_path, "rb") as src, self.open_write(key) as dst:
            shutil.copyfileobj(src, dst, length=COPY_BUFFER)

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[str]:
        """A private local file holding the object's plaintext, for tools that want a path; removed on exit."""
        with tempfile.TemporaryDirectory(prefix="simulacra-") as tmp:
            target = Path(tmp) / key.rsplit("/", 1)[-1]
            with self.open_read(key) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst, length=COPY_BUFFER)
            yield str(target)

    def children(self, prefix: str) -> list[str]:
        """Names directly under a prefix (empty when it does not exist)."""
        try:
            entries = self.fs.ls(self.path(prefix), detail=False)
        except FileNotFoundError:
            return []
        return sorted(entry.rstrip("/").rsplit("/", 1)[-1] for entry in entries)

    def newest_write(self, prefix: str) -> float | None:
        """Unix time of the most recent write under a prefix, or None when nothing is there."""
        try:
            found = self.fs.find(self.path(prefix), detail=True)
        except FileNotFoundError:
            return None
        times = [_modified(info) for info in found.values()]
        return max(times) if times else None

    def stale_partials(self, prefix: str, written_before: float) -> list[str]:
        """Keys of half-written objects under a prefix, last written before `written_before`. A live writer
        keeps writing or renames its partial when done; one left unchanged that long had a writer that died
        (a worker or API killed mid-write)."""
        try:
            found = self.fs.find(self.path(prefix), detail=True)
        except FileNotFoundError:
            return []
        return sorted(
            name[len(self.root) + 1 :]
            for name, info in found.items()
            if name.endswith(PARTIAL_SUFFIX) and _modified(info) < written_before
        )

    def delete_prefix(self, prefix: str) -> None:
        """Remove an object, or every object under a prefix (a whole path segment: `ds_1` is not `ds_10`)."""
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm(self.path(prefix.rstrip("/")), recursive=True)

    def check_reachable(self) -> None:
        """Raise StorageUnreachable unless the store answers: a bucket that is missing or that we may not list."""
        target = self.root.split("/", 1)[0] if self.object_store else self.root
        try:
            found = self.fs.exists(target) and self.fs.isdir(target)
        except Exception as exc:  # credentials, endpoint or network: the SDK's own words say which
            raise StorageUnreachable(f"{type(exc).__name__}: {exc}") from exc
        if not found:
            raise StorageUnreachable(f"{target!r} does not exist")


class StorageUnreachable(Exception):
    """The configured store does not answer (checked at start, so a process fails with the reason)."""


def open_storage(settings: Settings) -> Storage:
    """Storage as configured: its URL and the key provider that wraps the tenants' data keys."""
    return Storage(settings.resolved_storage_url, load_key_provider(settings))


def _tenant_of(key: str) -> str:
    """Whose data key encrypts an object: every object lives under tenants/{tenant}/."""
    parts = key.split("/")
    if len(parts) < 3 or parts[0] != "tenants" or not parts[1]:
        raise ValueError(f"stored objects live under tenants/{{tenant}}/: {key!r}")
    return parts[1]


def _modified(info: dict[str, Any]) -> float:
    """fsspec backends name the modification time differently (local: mtime, s3: LastModified)."""
    value = info.get("mtime", info.get("LastModified", info.get("last_modified", 0.0)))
    return value.timestamp() if hasattr(value, "timestamp") else float(value)
