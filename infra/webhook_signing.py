"""Standard Webhooks signatures (https://www.standardwebhooks.com): secrets and the `webhook-*` headers.

The signature is HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}` under the secret's bytes,
sent as `v1,<base64>`; several space-separated signatures (one per live secret) let a receiver keep
verifying with the old secret while a rotation overlaps. It is these few lines of the standard library
rather than the `standardwebhooks` package, whose signer takes the body as text (we sign bytes as sent)
and a datetime; the tests verify what we send with that package, an implementation written by others.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32  # the standard asks for 24 to 64


def new_secret() -> bytes:
    return secrets.token_bytes(SECRET_BYTES)


def encode_secret(secret: bytes) -> str:
    """The form the client is shown once, and that Standard Webhooks libraries take: `whsec_<base64>`."""
    return SECRET_PREFIX + base64.b64encode(secret).decode()


def signature(secret: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(secret, signed, hashlib.sha256).digest()).decode()


def headers(secrets_in_use: list[bytes], message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three headers of one attempt; the timestamp is the attempt's, so receivers can refuse stale replays."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(secret, message_id, timestamp, body) for secret in secrets_in_use),
    }
