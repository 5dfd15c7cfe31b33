"""Artifact storage over fsspec: a local directory by default, any fsspec URL (s3://...) by config."""

from __future__ import annotations

import contextlib
import json
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import fsspec
from fsspec.implementations.local import LocalFileSystem


class Storage:
    """Keys are '/'-separated paths under the root URL; writes go to a temp key and are renamed into place."""

    def __init__(self, root_url: str) -> None:
        self.fs, root = fsspec.core.url_to_fs(root_url)
        self.root = root.rstrip("/")
        if self.is_local:
            Path(self.root).mkdir(parents=True, exist_ok=True)

    @property
    def is_local(self) -> bool:
        return isinstance(self.fs, LocalFileSystem)

    def path(self, key: str) -> str:
        if key.startswith("/") or ".." in key.split("/"):
            raise ValueError(f"storage key must be relative: {key!r}")
        return f"{self.root}/{key}"

    def exists(self, key: str) -> bool:
        return self.fs.exists(self.path(key))

    def open_read(self, key: str) -> IO[bytes]:
        return self.fs.open(self.path(key), "rb")

    @contextlib.contextmanager
    def open_write(self, key: str) -> Iterator[IO[bytes]]:
        """Write atomically: readers never see a half-written object."""
        final = self.path(key)
        # Unique per writer: two attempts at the same key never share (or delete) each other's bytes.
        partial = f"{final}.{uuid.uuid4().hex}.partial"
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

    def move(self, source_key: str, target_key: str) -> None:
        self.fs.makedirs(self.path(target_key).rsplit("/", 1)[0], exist_ok=True)
        self.fs.mv(self.path(source_key), self.path(target_key))

    def put_file(self, local_path: str | Path, key: str) -> None:
        with open(local_path, "rb") as src, self.open_write(key) as dst:
            shutil.copyfileobj(src, dst, length=1024 * 1024)

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[str]:
        """A local filesystem path holding the object (the object itself when storage is local)."""
        if self.is_local:
            yield self.path(key)
            return
        with tempfile.TemporaryDirectory(prefix="simulacra-") as tmp:
            target = Path(tmp) / key.rsplit("/", 1)[-1]
            self.fs.get(self.path(key), str(target))
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

    def delete_prefix(self, prefix: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm(self.path(prefix.rstrip("/")), recursive=True)


def _modified(info: dict[str, Any]) -> float:
    """fsspec backends name the modification time differently (local: mtime, s3: LastModified)."""
    value = info.get("mtime", info.get("LastModified", info.get("last_modified", 0.0)))
    return value.timestamp() if hasattr(value, "timestamp") else float(value)
