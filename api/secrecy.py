"""Handling rules for responses and log lines that carry secrets or capabilities."""

from __future__ import annotations

import re
from datetime import UTC, datetime

# Responses that carry a secret, a claim token or a capability id: never cached by anything in between.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

# A signup's request id is its requester's capability (it shows the claim token): logs keep the route only.
_CAPABILITY_PATH = re.compile(r"^/v1/signup/[^/]+")


def loggable_path(path: str) -> str:
    return _CAPABILITY_PATH.sub("/v1/signup/{request_id}", path)


def iso(unix: float) -> str:
    return datetime.fromtimestamp(unix, UTC).isoformat()
