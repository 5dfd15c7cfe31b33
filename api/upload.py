"""Stream a multipart upload straight into storage: never whole in memory, capped while it arrives."""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field
from typing import Any

import anyio
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, MultipartState, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from simulacra.api.errors import ApiError
from simulacra.infra.encryption import EncryptingWriter
from simulacra.infra.storage import Storage

FILE_FIELD = "file"
# Besides the file, a form carries a few small fields: bound their number and size, and headers too.
MAX_PARTS = 8
MAX_FIELD_BYTES = 64 * 1024
MAX_HEADER_BYTES = 16 * 1024


@dataclass
class ReceivedUpload:
    filename: str = ""
    size: int = 0
    sha256: str = ""
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class _Part:
    name: str = ""
    filename: str | None = None
    data: bytearray = field(default_factory=bytearray)


class _Receiver:
    """Collects parser callbacks; file bytes wait in a buffer until the caller writes them to storage."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.result = ReceivedUpload()
        self.digest = hashlib.sha256()
        self.part = _Part()
        self.header_field = b""
        self.header_value = b""
        self.headers: dict[bytes, bytes] = {}
        self.file_seen = False
        self.file_buffer = bytearray()
        self.parts = 0

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self._part_begin,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_header_field": lambda d, s, e: self._header_bytes("header_field", d[s:e]),
            "on_header_value": lambda d, s, e: self._header_bytes("header_value", d[s:e]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
        }

    def _part_begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise ApiError("simio_invalid_field", f"A form may have at most {MAX_PARTS} parts: `file` and its fields.")
        self.part, self.headers = _Part(), {}

    def _header_bytes(self, attribute: str, chunk: bytes) -> None:
        value = getattr(self, attribute) + chunk
        if len(value) + sum(len(k) + len(v) for k, v in self.headers.items()) > MAX_HEADER_BYTES:
            raise ApiError("simio_body_too_large", f"Part headers are limited to {MAX_HEADER_BYTES} bytes.")
        setattr(self, attribute, value)

    def _header_end(self) -> None:
        self.headers[self.header_field.lower()] = self.header_value
        self.header_field, self.header_value = b"", b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        self.part.name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        self.part.filename = filename.decode("utf-8", "replace") if filename is not None else None
        if self.part.name == FILE_FIELD:
            if self.file_seen:
                raise ApiError("simio_upload_invalid", "Send exactly one `file` part.")
            self.file_seen = True
            self.result.filename = self.part.filename or "upload"

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self.part.name == FILE_FIELD:
            self.result.size += len(chunk)
            if self.result.size > self.max_bytes:
                raise ApiError("simio_file_too_large", f"The upload exceeds the limit of {self.max_bytes} bytes.")
            self.digest.update(chunk)
            self.file_buffer += chunk
            return
        if len(self.part.data) + len(chunk) > MAX_FIELD_BYTES:
            raise ApiError("simio_body_too_large", f"Form field `{self.part.name}` exceeds {MAX_FIELD_BYTES} bytes.")
        self.part.data += chunk

    def _part_end(self) -> None:
        if self.part.name != FILE_FIELD and self.part.name:
            self.result.fields[self.part.name] = self.part.data.decode("utf-8", "replace")

    def take_file_bytes(self) -> bytes:
        data, self.file_buffer = bytes(self.file_buffer), bytearray()
        return data


async def receive_upload(request: Request, storage: Storage, key: str, max_bytes: int) -> ReceivedUpload:
    """Write the `file` part to `key`; on any failure nothing is left behind under that key."""
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or not options.get(b"boundary"):
        raise ApiError("simio_unsupported_content_type", "Send the table as multipart/form-data in a `file` field.")
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > max_bytes + MAX_PARTS * MAX_FIELD_BYTES:
        raise ApiError("simio_file_too_large", f"The upload exceeds the limit of {max_bytes} bytes.")
    receiver = _Receiver(max_bytes)
    # The parser's own header-line limit is ours, so an oversize header is refused for its size (below).
    parser = MultipartParser(
        options[b"boundary"],
        receiver.callbacks(),  # type: ignore[arg-type]
        max_header_size=MAX_HEADER_BYTES,
    )
    stack = contextlib.ExitStack()
    try:
        await _receive_into(request, storage, key, max_bytes, receiver, parser, stack)
    except BaseException as exc:
        # Storage calls block (an object store's are network round trips): closing, which aborts the
        # partial write here, runs off the event loop like every write, and also when the request was cancelled.
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(stack.__exit__, type(exc), exc, exc.__traceback__)
        raise
    await run_in_threadpool(stack.close)
    receiver.result.sha256 = receiver.digest.hexdigest()
    return receiver.result


async def _receive_into(
    request: Request,
    storage: Storage,
    key: str,
    max_bytes: int,
    receiver: _Receiver,
    parser: MultipartParser,
    stack: contextlib.ExitStack,
) -> None:
    """Parse the body and write the file part; the stack holds the open write for the caller to close."""
    handle: EncryptingWriter | None = None

    async def flush() -> None:
        nonlocal handle
        pending = receiver.take_file_bytes()
        if pending:
            if handle is None:
                handle = await run_in_threadpool(stack.enter_context, storage.open_write(key))
            await run_in_threadpool(handle.write, pending)

    received = 0
    try:
        async for chunk in request.stream():
            # Checked on what arrives, so a chunked body without Content-Length is capped too.
            received += len(chunk)
            if received > max_bytes + MAX_PARTS * (MAX_FIELD_BYTES + MAX_HEADER_BYTES):
                raise ApiError("simio_file_too_large", f"The upload exceeds the limit of {max_bytes} bytes.")
            parser.write(chunk)
            await flush()
        parser.finalize()
        await flush()
    except FormParserError as exc:  # the parser's own wording names its internals: say what to send instead
        if str(exc).startswith("Maximum header"):
            raise ApiError("simio_body_too_large", f"Part headers are limited to {MAX_HEADER_BYTES} bytes.") from None
        raise ApiError(
            "simio_upload_invalid",
            "Malformed multipart body: send multipart/form-data whose parts are delimited by the boundary "
            "given in Content-Type, with the table in a `file` part.",
        ) from None
    if not receiver.file_seen or receiver.result.size == 0:
        raise ApiError("simio_upload_invalid", "The multipart body has no non-empty `file` part.")
    if parser.state != MultipartState.END:
        # A body cut short (a dropped connection, a client that stopped writing) would otherwise be taken
        # as a whole table: only the closing boundary says the file is complete.
        raise ApiError(
            "simio_upload_invalid",
            "The multipart body ended before its closing boundary: the upload is incomplete; send it again.",
        )
