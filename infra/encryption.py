"""The at-rest format: chunked AES-256-GCM that streams both ways, bound to where the object is stored.

Layout of an object:

    header  = MAGIC(6) | version(1) | chunk_size(u32) | salt(32) | key_id_len(u8) | key_id (ascii)
    body    = chunk_0 | chunk_1 | ... | chunk_last      each chunk = ciphertext | GCM tag(16)

Every chunk but the last holds exactly `chunk_size` plaintext bytes; the last holds 0..chunk_size, so
an empty object is one empty final chunk and the plaintext size follows from the object's size.
Each object gets its own AES key, HKDF(data key, salt), so nonces can simply count chunks. Every
chunk's associated data is the header, the storage key, the chunk index and a final-chunk flag:
reordered, dropped, appended or truncated chunks fail to authenticate, and so does an object copied
or renamed to another key (another dataset, another tenant).
"""

from __future__ import annotations

import io
import os
import struct
from typing import IO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"SIMENC"
VERSION = 1
CHUNK_SIZE = 1024 * 1024
TAG_BYTES = 16
_SALT_BYTES = 32
_FIXED = struct.Struct(">6sBI32sB")
# A header is read before anything authenticates it: refuse absurd chunk sizes instead of allocating them.
_MAX_CHUNK_SIZE = 64 * 1024 * 1024


class DecryptionError(Exception):
    """The stored bytes are not an intact object of this key: altered, truncated, moved, or not ours."""


class Header:
    def __init__(self, key_id: str, chunk_size: int = CHUNK_SIZE, salt: bytes | None = None) -> None:
        self.key_id = key_id
        self.chunk_size = chunk_size
        self.salt = salt if salt is not None else os.urandom(_SALT_BYTES)
        key_id_bytes = key_id.encode("ascii")
        self.encoded = _FIXED.pack(MAGIC, VERSION, chunk_size, self.salt, len(key_id_bytes)) + key_id_bytes

    @classmethod
    def read_from(cls, raw: IO[bytes]) -> Header:
        fixed = _read_exact(raw, _FIXED.size)
        if len(fixed) < _FIXED.size:
            raise DecryptionError("object is shorter than an encryption header")
        magic, version, chunk_size, salt, key_id_length = _FIXED.unpack(fixed)
        if magic != MAGIC:
            raise DecryptionError("object is not in the encrypted format (no header)")
        if version != VERSION:
            raise DecryptionError(f"unknown encryption format version {version}")
        if not 0 < chunk_size <= _MAX_CHUNK_SIZE:
            raise DecryptionError(f"implausible chunk size {chunk_size} in header")
        key_id = _read_exact(raw, key_id_length)
        if len(key_id) < key_id_length:
            raise DecryptionError("object ends inside its encryption header")
        try:
            return cls(key_id.decode("ascii"), chunk_size, salt)
        except UnicodeDecodeError:
            raise DecryptionError("key id in header is not ascii") from None


class _Chunks:
    """One object's cipher and associated data: what writer and reader share."""

    def __init__(self, header: Header, data_key: bytes, storage_key: str) -> None:
        file_key = HKDF(hashes.SHA256(), 32, header.salt, b"simulacra object key v1").derive(data_key)
        self._aead = AESGCM(file_key)
        bound = storage_key.encode()
        self._prefix = header.encoded + struct.pack(">I", len(bound)) + bound

    def _aad(self, index: int, final: bool) -> bytes:
        return self._prefix + struct.pack(">QB", index, final)

    def seal(self, index: int, plaintext: bytes, final: bool) -> bytes:
        return self._aead.encrypt(_nonce(index), plaintext, self._aad(index, final))

    def open(self, index: int, sealed: bytes, final: bool) -> bytes:
        try:
            return self._aead.decrypt(_nonce(index), sealed, self._aad(index, final))
        except InvalidTag:
            raise DecryptionError(
                f"chunk {index} does not authenticate (altered, reordered, truncated or moved)"
            ) from None


def _nonce(index: int) -> bytes:
    return index.to_bytes(12, "big")


class EncryptingWriter:
    """A write-only file object; `finish()` seals the final chunk. Without it the object stays unreadable."""

    def __init__(self, raw: IO[bytes], header: Header, data_key: bytes, storage_key: str) -> None:
        self._raw = raw
        self._chunks = _Chunks(header, data_key, storage_key)
        self._chunk_size = header.chunk_size
        self._buffer = bytearray()
        self._index = 0
        self._written = 0
        self.closed = False
        raw.write(header.encoded)

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self.closed:
            raise ValueError("write to a finished encrypted object")
        view = memoryview(data).cast("B")
        size = len(view)
        while view:
            if len(self._buffer) == self._chunk_size:
                # A full chunk is sealed only once more data arrives: until then it may be the final one.
                self._seal(final=False)
            room = self._chunk_size - len(self._buffer)
            self._buffer += view[:room]
            view = view[room:]
        self._written += size
        return size

    def _seal(self, final: bool) -> None:
        self._raw.write(self._chunks.seal(self._index, bytes(self._buffer), final))
        self._buffer.clear()
        self._index += 1

    def finish(self) -> None:
        if not self.closed:
            self._seal(final=True)
            self.closed = True

    # What writers such as pyarrow expect of a file object.
    def tell(self) -> int:
        return self._written

    def flush(self) -> None:
        """Nothing to do: chunks reach storage as they are sealed."""

    def close(self) -> None:
        self.finish()

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def seekable(self) -> bool:
        return False


class DecryptingReader(io.RawIOBase):
    """A read-only file object over an encrypted object; no byte of a chunk is returned before it authenticates.

    Seekable: chunks have a fixed size, so a byte range (an HTTP Range request) reads and authenticates
    only the chunks it spans.
    """

    def __init__(self, raw: IO[bytes], data_key: bytes, storage_key: str, header: Header) -> None:
        super().__init__()
        self._raw = raw
        self._chunks = _Chunks(header, data_key, storage_key)
        self._chunk_size = header.chunk_size
        self._sealed_size = header.chunk_size + TAG_BYTES
        self._body_start = len(header.encoded)
        body = raw.seek(0, io.SEEK_END) - self._body_start
        raw.seek(self._body_start)
        self._count = max(1, -(-body // self._sealed_size))
        if body - (self._count - 1) * self._sealed_size < TAG_BYTES:
            raise DecryptionError("object is truncated: its last chunk is shorter than a tag")
        self.plaintext_size = body - self._count * TAG_BYTES
        self._index = 0
        self._buffer = memoryview(b"")
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self.plaintext_size}[whence]
        target = min(base + offset, self.plaintext_size)
        if target < 0:
            raise ValueError(f"negative position {target}")
        index = target // self._chunk_size
        self._raw.seek(self._body_start + index * self._sealed_size)
        self._index, self._buffer = index, memoryview(b"")
        if index < self._count:
            self._next_chunk()
            self._buffer = self._buffer[target - index * self._chunk_size :]
        self._position = target
        return target

    def _next_chunk(self) -> bool:
        if self._index >= self._count:
            return False
        final = self._index == self._count - 1
        sealed = _read_exact(self._raw, self._sealed_size)
        self._buffer = memoryview(self._chunks.open(self._index, sealed, final))
        self._index += 1
        return True

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            parts = [bytes(self._buffer)]
            while self._next_chunk():
                parts.append(bytes(self._buffer))
            self._buffer = memoryview(b"")
            everything = b"".join(parts)
            self._position += len(everything)
            return everything
        if not self._buffer and not self._next_chunk():
            return b""
        taken, self._buffer = self._buffer[:size], self._buffer[size:]
        self._position += len(taken)
        return bytes(taken)

    def readinto(self, target: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(target))
        target[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


def _read_exact(raw: IO[bytes], size: int) -> bytes:
    """Up to `size` bytes, fewer only at the end: some backends return short reads mid-object."""
    parts, wanted = [], size
    while wanted:
        part = raw.read(wanted)
        if not part:
            break
        parts.append(part)
        wanted -= len(part)
    return b"".join(parts)
