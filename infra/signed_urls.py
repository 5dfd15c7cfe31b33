"""Short-lived signed download URLs, bound to tenant, path (so artifact) and expiry.

`signature` is `{tenant_tag}.{mac}`: the tenant tag is an HMAC of (tenant, path, expiry), so it names
the tenant without revealing it and differs from link to link; the mac covers (path, expiry, tenant
tag). Checking the mac first tells an altered link from an authentic one, and only an authentic link
is then judged expired or issued to another tenant.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import secrets
import time
from urllib.parse import urlencode

from simulacra.infra.config import Settings
from simulacra.infra.controldb import ControlDB
from simulacra.infra.key_provider import load_key_provider
from simulacra.infra.sealed import shared_secret

_SIGNATURE = re.compile(r"([0-9a-f]{32})\.([0-9a-f]{64})")


class LinkCheck(enum.Enum):
    VALID = "valid"
    TAMPERED = "tampered"  # missing, malformed or altered: no authentic link says this
    EXPIRED = "expired"
    OTHER_TENANT = "other_tenant"  # authentic and current, but issued to another tenant


class UrlSigner:
    def __init__(self, secret: bytes, ttl_seconds: int) -> None:
        self._secret = secret
        self.ttl_seconds = ttl_seconds

    @classmethod
    def for_settings(cls, settings: Settings, db: ControlDB | None = None) -> UrlSigner:
        """With the secret every API replica shares (the control database's, sealed under the KEK)."""
        secret = shared_secret(
            db or ControlDB(settings.resolved_control_db),
            load_key_provider(settings),
            "url-signing",
            lambda: secrets.token_bytes(32),
            settings.keys_dir / "url-signing.key",
        )
        return cls(secret, settings.artifact_url_ttl_seconds)

    def mac(self, message: bytes) -> bytes:
        """An HMAC under the same secret, for other values the API hands out and must get back unaltered."""
        return hmac.new(self._secret, b"mac\n" + message, hashlib.sha256).digest()

    def _hmac(self, *parts: str) -> str:
        return hmac.new(self._secret, "\n".join(parts).encode(), hashlib.sha256).hexdigest()

    def _tenant_tag(self, tenant_id: str, path: str, expires: int) -> str:
        return self._hmac("link-tenant", tenant_id, path, str(expires))[:32]

    def _link_mac(self, tenant_tag: str, path: str, expires: int) -> str:
        return self._hmac("link", tenant_tag, path, str(expires))

    def sign(self, base_url: str, tenant_id: str, path: str, now: float | None = None) -> tuple[str, int]:
        """Returns the absolute URL and its expiry (unix seconds)."""
        expires = int((now if now is not None else time.time()) + self.ttl_seconds)
        tag = self._tenant_tag(tenant_id, path, expires)
        query = urlencode({"expires": expires, "signature": f"{tag}.{self._link_mac(tag, path, expires)}"})
        return f"{base_url}{path}?{query}", expires

    def check(
        self, tenant_id: str, path: str, expires: str | None, signature: str | None, now: float | None = None
    ) -> LinkCheck:
        """Judge a link presented by `tenant_id`: authenticity first, then expiry, then whose it is."""
        parsed = _SIGNATURE.fullmatch(signature or "")
        if not expires or not re.fullmatch(r"[0-9]{1,12}", expires) or parsed is None:
            return LinkCheck.TAMPERED
        tag, mac = parsed.groups()
        if not hmac.compare_digest(self._link_mac(tag, path, int(expires)), mac):
            return LinkCheck.TAMPERED
        if int(expires) < (now if now is not None else time.time()):
            return LinkCheck.EXPIRED
        if not hmac.compare_digest(self._tenant_tag(tenant_id, path, int(expires)), tag):
            return LinkCheck.OTHER_TENANT
        return LinkCheck.VALID
