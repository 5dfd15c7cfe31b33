"""Slow, salted hashes for client secrets (scrypt, from the standard library).

Claim tokens are looked up by a plain SHA-256 (they are random and short-lived); client secrets
live for months, so a stolen control database must not make them cheap to test offline.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

# About 40 ms on one core here: invisible per token request, expensive per guess.
N, R, P = 2**14, 8, 1


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=N, r=R, p=P)
    return f"scrypt${N}${R}${P}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_secret(secret: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    expected = base64.b64decode(digest)
    actual = hashlib.scrypt(
        secret.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
    )
    return hmac.compare_digest(actual, expected)
