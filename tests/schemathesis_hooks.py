"""Schemathesis hooks (loaded through SCHEMATHESIS_HOOKS by tests/api/test_schemathesis.py)."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import schemathesis

VALID_KEY = re.compile(r'^"?[A-Za-z0-9._:-]{1,255}"?$')


@schemathesis.hook
def before_call(context: schemathesis.HookContext, case: schemathesis.Case, kwargs: dict[str, Any]) -> None:
    """A well-behaved client sends a fresh key per request. Valid generated keys collide (same key, different
    body: 422 by design), so they are made unique; invalid ones are kept to test their refusal."""
    key = (case.headers or {}).get("Idempotency-Key")
    if key is not None and VALID_KEY.match(str(key)):
        case.headers["Idempotency-Key"] = uuid.uuid4().hex
    # A multipart form has no arrays or objects: schemathesis sends an empty array as no part at all (and a
    # JSON-encoded field whose value is not an object likewise), then reports the request as accepted.
    # Send such values as the JSON text a client would, so the server sees what was generated.
    if isinstance(case.body, dict) and "file" in case.body:
        for name, value in case.body.items():
            # causal_hints is itself a JSON-encoded field: schemathesis encodes objects, not other values.
            structured = (
                not isinstance(value, dict | str | None) if name == "causal_hints" else isinstance(value, list | dict)
            )
            if name != "file" and structured:
                case.body[name] = json.dumps(value)
