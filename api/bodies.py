"""Parse request bodies into models; every validation failure becomes simio_invalid_field with pointers."""

from __future__ import annotations

import hashlib
import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from simulacra.api.errors import ApiError

M = TypeVar("M", bound=BaseModel)
MAX_JSON_BYTES = 256 * 1024


def _pointer(location: tuple[Any, ...]) -> str:
    return "/" + "/".join(str(part).replace("~", "~0").replace("/", "~1") for part in location)


def validate(model: type[M], data: Any) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [{"pointer": _pointer(e["loc"]), "message": e["msg"]} for e in exc.errors()]
        detail = "; ".join(f"{e['pointer']}: {e['message']}" for e in errors)
        raise ApiError("simio_invalid_field", detail, errors=errors) from None


def _is_json(content_type: str) -> bool:
    media = content_type.split(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


async def read_json(request: Request) -> Any:
    """The decoded body, read no further than MAX_JSON_BYTES; a body labelled as anything but JSON is refused."""
    content_type = request.headers.get("content-type")
    if content_type is not None and not _is_json(content_type):
        raise ApiError("simio_unsupported_content_type", "Send this body as JSON, with Content-Type: application/json.")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_JSON_BYTES:
            raise ApiError("simio_body_too_large", f"JSON bodies are limited to {MAX_JSON_BYTES} bytes.")
    try:
        return json.loads(raw or b"{}")
    except (ValueError, RecursionError):
        # ValueError covers JSONDecodeError and UnicodeDecodeError, and the int() refusal of a number literal
        # over Python's 4,300-digit limit, which json.loads lets through as a plain ValueError.
        raise ApiError("simio_invalid_json", "The body is not valid JSON (or nests too deeply).") from None


def fingerprint(request: Request, content: bytes | str) -> str:
    """What makes two requests 'the same' for Idempotency-Key: method, path and content."""
    payload = content.encode() if isinstance(content, str) else content
    return hashlib.sha256(request.method.encode() + b" " + request.url.path.encode() + b"\n" + payload).hexdigest()
