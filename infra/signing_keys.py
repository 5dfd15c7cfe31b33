"""The embedded issuer's RS256 key ring: one active key, and retired keys published until their tokens expire.

Keys live in the control database, private halves sealed under the KEK, so every API replica and
`simulacra admin roll-signing-key` (another process) share one ring: the newest key signs, and a
retired key stays in the JWKS for one token lifetime (plus leeway) after its successor appeared.
A data directory from before keeps its key files' keys (and so its outstanding tokens): they are
imported on first use.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwk
from sqlalchemy import Row, func, select, update

from simulacra.infra.control_tables import signing_keys
from simulacra.infra.controldb import ControlDB
from simulacra.infra.key_provider import KeyProvider
from simulacra.infra.sealed import Sealed, seal, unseal

_LEGACY = "issuer-rs256.pem"
# A key a verifier has not seen makes it look again, at most this often (made-up kids cannot hammer the database).
_UNKNOWN_KID_REFRESH_SECONDS = 1.0


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


def _context(created_ms: int) -> bytes:
    return f"signing-key\n{created_ms}".encode()


def _signing_key(created_ms: int, pem: bytes) -> SigningKey:
    public = jwk.construct(pem, "RS256").public_key().to_dict()
    kid = hashlib.sha256(public["n"].encode()).hexdigest()[:16]
    return SigningKey(kid, created_ms, pem, {**public, "kid": kid, "use": "sig", "alg": "RS256"})


def _legacy_files(keys_dir: Path) -> dict[int, bytes]:
    """Keys of a data directory from before the database held them: `issuer/{created_ms}.pem`, or one old file."""
    found = {int(p.stem): p.read_bytes() for p in (keys_dir / "issuer").glob("*.pem") if p.stem.isdigit()}
    legacy = keys_dir / _LEGACY
    if not found and legacy.exists():
        found[0] = legacy.read_bytes()
    return found


def _live(keys: list[SigningKey], publish_seconds: float, now: float | None = None) -> list[SigningKey]:
    """The newest key and every older one whose successor is younger than `publish_seconds`."""
    now_ms = (now or time.time()) * 1000
    live = [keys[-1]]
    for older, successor in zip(keys[:-1], keys[1:], strict=True):
        if now_ms - successor.created_ms < publish_seconds * 1000:
            live.append(older)
    return live


class SigningKeyRing:
    def __init__(self, db: ControlDB, provider: KeyProvider, keys_dir: Path, publish_seconds: float) -> None:
        """`publish_seconds`: how long a retired key stays in the JWKS (token lifetime + leeway)."""
        self.db = db
        self.provider = provider
        self.publish_seconds = publish_seconds
        self._lock = threading.Lock()
        self._keys: list[SigningKey] = []
        self._looked_at = float("-inf")
        with db.connect() as conn:
            empty = conn.execute(select(func.count()).select_from(signing_keys)).scalar_one() == 0
        if empty:
            # The first key's created_ms is fixed (0 unless imported), so processes starting together converge.
            for created_ms, pem in (_legacy_files(keys_dir) or {0: new_private_key_pem()}).items():
                self._insert(created_ms, pem)

    def _insert(self, created_ms: int, pem: bytes) -> None:
        sealed = seal(self.provider, _context(created_ms), pem)
        with self.db.connect() as conn:
            conn.execute(
                self.db.insert(signing_keys)
                .values(
                    created_ms=created_ms,
                    kek_id=sealed.kek_id,
                    wrapped_key=sealed.wrapped_key,
                    sealed_pem=sealed.sealed,
                )
                .on_conflict_do_nothing()
            )

    def _load(self) -> list[SigningKey]:
        """All keys, oldest first; only keys not loaded before are unsealed."""
        with self.db.connect() as conn:
            rows = conn.execute(select(signing_keys).order_by(signing_keys.c.created_ms)).all()
        known = {key.created_ms: key for key in self._keys}
        self._keys = [known.get(row.created_ms) or self._unseal(row) for row in rows]
        self._looked_at = time.monotonic()
        return self._keys

    def _unseal(self, row: Row[Any]) -> SigningKey:
        context = _context(row.created_ms)
        pem = unseal(self.provider, context, Sealed(row.kek_id, row.wrapped_key, row.sealed_pem))
        if row.kek_id != self.provider.kek_id:  # sealed under a KEK being retired: re-seal so the old KEK can go
            value = seal(self.provider, context, pem)
            with self.db.connect() as conn:
                conn.execute(
                    update(signing_keys)
                    .where(signing_keys.c.created_ms == row.created_ms, signing_keys.c.kek_id == row.kek_id)
                    .values(kek_id=value.kek_id, wrapped_key=value.wrapped_key, sealed_pem=value.sealed)
                )
        return _signing_key(row.created_ms, pem)

    def _newest_ms(self) -> int:
        with self.db.connect() as conn:
            return int(conn.execute(select(func.max(signing_keys.c.created_ms))).scalar_one())

    def _latest(self) -> list[SigningKey]:
        """The ring as the database has it now: one cheap query, and a reload only after a roll anywhere."""
        with self._lock:
            if not self._keys or self._keys[-1].created_ms != self._newest_ms():
                self._load()
            return self._keys

    @property
    def active(self) -> SigningKey:
        """The newest key, checked at each mint, so a roll anywhere signs with the new key at once."""
        return self._latest()[-1]

    def published(self, now: float | None = None) -> list[SigningKey]:
        """The active key and every retired key whose tokens may still be valid (the JWKS)."""
        return _live(self._latest(), self.publish_seconds, now)

    def find(self, kid: str) -> SigningKey | None:
        """A published key by kid, from memory on every request; an unknown kid (a roll on another replica)
        looks in the database again, at most once a second."""
        with self._lock:
            if not self._keys or (
                kid not in {k.kid for k in self._keys}
                and time.monotonic() - self._looked_at >= _UNKNOWN_KID_REFRESH_SECONDS
            ):
                self._load()
            keys = self._keys
        return next((k for k in _live(keys, self.publish_seconds) if k.kid == kid), None)

    def roll(self) -> SigningKey:
        """Make a new active key; the previous one keeps verifying until its tokens have expired."""
        created_ms = max(int(time.time() * 1000), self._newest_ms() + 1)
        self._insert(created_ms, new_private_key_pem())
        with self._lock:
            return next(k for k in self._load() if k.created_ms == created_ms)
