"""The embedded issuer's RS256 key ring: one active key, and retired keys published until their tokens expire.

Keys are files `{created_ms}.pem` in one directory, so the API, the worker and `simulacra admin
roll-signing-key` (another process) agree without a coordinator: the newest file signs, and a
retired key stays in the JWKS for one token lifetime (plus leeway) after its successor appeared.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwk

from simulacra.infra.keyfiles import read_or_create

# The name of the first key is fixed, so processes starting together converge on one key.
_FIRST = "0000000000000.pem"
_LEGACY = "issuer-rs256.pem"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    created_ms: int
    private_pem: bytes
    public_jwk: dict[str, Any]


def new_private_key_pem() -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _load(path: Path) -> SigningKey:
    pem = path.read_bytes()
    public = jwk.construct(pem, "RS256").public_key().to_dict()
    kid = hashlib.sha256(public["n"].encode()).hexdigest()[:16]
    return SigningKey(kid, int(path.stem), pem, {**public, "kid": kid, "use": "sig", "alg": "RS256"})


class SigningKeyRing:
    def __init__(self, keys_dir: Path, publish_seconds: float) -> None:
        """`publish_seconds`: how long a retired key stays in the JWKS (token lifetime + leeway)."""
        self.directory = keys_dir / "issuer"
        self.publish_seconds = publish_seconds
        self.directory.mkdir(parents=True, exist_ok=True)
        legacy = keys_dir / _LEGACY
        # A data directory from before key rolling keeps its key (and so its outstanding tokens).
        read_or_create(self.directory / _FIRST, legacy.read_bytes if legacy.exists() else new_private_key_pem)
        self._seen: tuple[int, list[SigningKey]] | None = None

    def _keys(self) -> list[SigningKey]:
        """All keys, oldest first; re-read only when the directory changed (a roll by another process)."""
        stamp = self.directory.stat().st_mtime_ns
        if self._seen is None or self._seen[0] != stamp:
            paths = sorted(p for p in self.directory.glob("*.pem") if p.stem.isdigit())
            self._seen = (stamp, [_load(p) for p in paths])
        return self._seen[1]

    @property
    def active(self) -> SigningKey:
        return self._keys()[-1]

    def published(self, now: float | None = None) -> list[SigningKey]:
        """The active key and every retired key whose tokens may still be valid."""
        now_ms = (now or time.time()) * 1000
        keys = self._keys()
        live = [keys[-1]]
        for older, successor in zip(keys[:-1], keys[1:], strict=True):
            if now_ms - successor.created_ms < self.publish_seconds * 1000:
                live.append(older)
        return live

    def roll(self) -> SigningKey:
        """Make a new active key; the previous one keeps verifying until its tokens have expired."""
        created_ms = max(int(time.time() * 1000), self.active.created_ms + 1)
        path = self.directory / f"{created_ms:013d}.pem"
        read_or_create(path, new_private_key_pem)
        os.utime(self.directory)  # a same-tick roll still changes the stamp readers compare
        return _load(path)
