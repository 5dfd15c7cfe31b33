"""Signed links that are their own credential: a browser opening a report cannot send a bearer token.

The link is `{path}?expires=E&signature=S`, as an artifact link, but S seals the tenant with AES-GCM under a
key derived from the URL-signing secret, with the path and expiry as associated data: the tag authenticates
(path, expiry, tenant) at once, and the tenant stays unreadable to whoever sees the URL. Checked as artifact
links are: authenticity first (a link that does not open is TAMPERED, whatever was altered), then expiry.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import time

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from simulacra.infra.signed_urls import LinkCheck, UrlSigner

NONCE = 12
# A nonce, at least one byte of tenant and the 16-byte tag; tenants are short, so a long value is forged.
_SIGNATURE = re.compile(r"[A-Za-z0-9_-]{40,200}")


class SealedLinks:
    def __init__(self, signer: UrlSigner) -> None:
        self._aead = AESGCM(signer.mac(b"sealed-link-tenant-key"))
        self.ttl_seconds = signer.ttl_seconds

    def sign(self, base_url: str, tenant_id: str, path: str, now: float | None = None) -> tuple[str, int]:
        """The absolute URL and its expiry (unix seconds)."""
        expires = int((now if now is not None else time.time()) + self.ttl_seconds)
        nonce = os.urandom(NONCE)
        sealed = nonce + self._aead.encrypt(nonce, tenant_id.encode(), _associated(path, expires))
        return (
            f"{base_url}{path}?expires={expires}&signature={base64.urlsafe_b64encode(sealed).decode().rstrip('=')}",
            expires,
        )

    def check(
        self, path: str, expires: str | None, signature: str | None, now: float | None = None
    ) -> tuple[LinkCheck, str | None]:
        """The verdict, and the tenant the link was issued to when it is VALID."""
        if not expires or not re.fullmatch(r"[0-9]{1,12}", expires) or not _SIGNATURE.fullmatch(signature or ""):
            return LinkCheck.TAMPERED, None
        try:
            sealed = base64.urlsafe_b64decode(str(signature) + "=" * (-len(str(signature)) % 4))
            tenant = self._aead.decrypt(sealed[:NONCE], sealed[NONCE:], _associated(path, int(expires))).decode()
        except (InvalidTag, binascii.Error, ValueError):
            return LinkCheck.TAMPERED, None
        if int(expires) < (now if now is not None else time.time()):
            return LinkCheck.EXPIRED, None
        return LinkCheck.VALID, tenant


def _associated(path: str, expires: int) -> bytes:
    return f"sealed-link\n{path}\n{expires}".encode()
