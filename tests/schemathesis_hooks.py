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
    # Schemathesis drops a JSON-encoded multipart field whose generated value is not an object (it sends no part
    # at all, then reports the request as accepted). Send such values as the JSON text a client would.
    if isinstance(case.body, dict) and not isinstance(case.body.get("causal_hints", {}), dict | str | None):
        case.body["causal_hints"] = json.dumps(case.body["causal_hints"])
