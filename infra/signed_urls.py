"""Short-lived signed download URLs (HMAC-SHA256 over tenant, path and expiry)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from pathlib import Path
from urllib.parse import urlencode

from infra.keyfiles import read_or_create


class UrlSigner:
    def __init__(self, keys_dir: Path, ttl_seconds: int) -> None:
        self._secret = read_or_create(keys_dir / "url-signing.key", lambda: secrets.token_bytes(32))
        self.ttl_seconds = ttl_seconds

    def mac(self, message: bytes) -> bytes:
        """An HMAC under the same secret, for other values the API hands out and must get back unaltered."""
        return hmac.new(self._secret, b"mac\n" + message, hashlib.sha256).digest()

    def _signature(self, tenant_id: str, path: str, expires: int) -> str:
        message = f"{tenant_id}\n{path}\n{expires}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    def sign(self, base_url: str, tenant_id: str, path: str, now: float | None = None) -> tuple[str, int]:
        """Returns the absolute URL and its expiry (unix seconds)."""
        expires = int((now or time.time()) + self.ttl_seconds)
        query = urlencode({"expires": expires, "signature": self._signature(tenant_id, path, expires)})
        return f"{base_url}{path}?{query}", expires

    def verify(self, tenant_id: str, path: str, expires: str | None, signature: str | None) -> bool:
        if not expires or not signature or not re.fullmatch(r"[0-9]{1,12}", expires):
            return False
        if int(expires) < time.time():
            return False
        return hmac.compare_digest(self._signature(tenant_id, path, int(expires)), signature)
