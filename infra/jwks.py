"""An external issuer's public keys (Auth0 or any OIDC provider), fetched from its JWKS URL and cached.

A token with an unknown `kid` triggers one refresh (the provider rolled its key), but refreshes are
spaced out so a flood of tokens with made-up kids cannot turn the API into a JWKS-fetching proxy.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from typing import Any

import structlog

log = structlog.get_logger()


class KeysUnavailable(Exception):
    """The issuer's JWKS could not be fetched and the key is not cached: a provider outage, not a bad token."""


class RemoteJwks:
    def __init__(self, url: str, max_age_seconds: float = 600.0, min_refresh_seconds: float = 30.0) -> None:
        self.url = url
        self.max_age_seconds = max_age_seconds
        self.min_refresh_seconds = min_refresh_seconds
        self._keys: dict[str, dict[str, Any]] = {}
        self._fetched_at = float("-inf")
        self._last_fetch_failed = False
        self._lock = threading.Lock()

    def key_for(self, kid: str) -> dict[str, Any] | None:
        with self._lock:
            age = time.monotonic() - self._fetched_at
            if age > self.max_age_seconds or (kid not in self._keys and age > self.min_refresh_seconds):
                self._refresh()
            key = self._keys.get(kid)
        if key is None and self._last_fetch_failed:
            raise KeysUnavailable(self.url)
        return key

    def _refresh(self) -> None:
        self._fetched_at = time.monotonic()
        try:
            with urllib.request.urlopen(self.url, timeout=5) as response:  # noqa: S310 (operator-configured URL)
                document = json.load(response)
        except (OSError, ValueError) as exc:
            # Keep the keys we had: a provider outage must not log everybody out at once.
            log.warning("jwks_fetch_failed", url=self.url, error=type(exc).__name__)
            self._last_fetch_failed = True
            return
        self._last_fetch_failed = False
        keys = document.get("keys") if isinstance(document, dict) else None
        if isinstance(keys, list):
            self._keys = {
                k["kid"]: k
                for k in keys
                if isinstance(k, dict)
                and k.get("kty") == "RSA"
                and k.get("use", "sig") == "sig"
                and isinstance(k.get("kid"), str)
            }
