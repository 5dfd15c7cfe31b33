"""Server secrets kept in the control database, sealed under the KEK (envelope encryption).

Each secret gets its own random data key (AES-256-GCM); only that key is wrapped by the key provider,
which (local KEK or KMS) never sees the secret itself. The purpose and name are bound to both layers,
so a sealed value copied to another row does not open. `shared_secret` replaces the per-host key
files: every API replica reads the same value.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select, update

from simulacra.infra.control_tables import shared_secrets
from simulacra.infra.controldb import ControlDB
from simulacra.infra.key_provider import KeyProvider, KeyUnavailable

_NONCE_BYTES = 12


@dataclass(frozen=True)
class Sealed:
    kek_id: str
    wrapped_key: bytes
    sealed: bytes


def seal(provider: KeyProvider, context: bytes, secret: bytes) -> Sealed:
    data_key, nonce = AESGCM.generate_key(bit_length=256), os.urandom(_NONCE_BYTES)
    sealed = nonce + AESGCM(data_key).encrypt(nonce, secret, context)
    return Sealed(provider.kek_id, provider.wrap(data_key, context), sealed)


def unseal(provider: KeyProvider, context: bytes, value: Sealed) -> bytes:
    data_key = provider.unwrap(value.wrapped_key, value.kek_id, context)
    try:
        return AESGCM(data_key).decrypt(value.sealed[:_NONCE_BYTES], value.sealed[_NONCE_BYTES:], context)
    except InvalidTag:
        raise KeyUnavailable("a sealed secret does not authenticate under its data key") from None


def shared_secret(db: ControlDB, provider: KeyProvider, name: str, make: Callable[[], bytes], legacy: Path) -> bytes:
    """The secret called `name`, made on first use (or taken from the key file a data directory had before).

    Processes starting together may each make one: the first insert wins and everyone reads that.
    """
    context = f"shared-secret\n{name}".encode()
    query = select(shared_secrets).where(shared_secrets.c.name == name)
    with db.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        value = seal(provider, context, legacy.read_bytes() if legacy.exists() else make())
        with db.connect() as conn:
            conn.execute(
                db.insert(shared_secrets)
                .values(name=name, kek_id=value.kek_id, wrapped_key=value.wrapped_key, sealed=value.sealed)
                .on_conflict_do_nothing()
            )
            row = conn.execute(query).one()
    secret = unseal(provider, context, Sealed(row.kek_id, row.wrapped_key, row.sealed))
    if row.kek_id != provider.kek_id:  # sealed under a KEK being retired: re-seal so the old KEK can go
        value = seal(provider, context, secret)
        with db.connect() as conn:
            conn.execute(
                update(shared_secrets)
                .where(shared_secrets.c.name == name, shared_secrets.c.kek_id == row.kek_id)
                .values(kek_id=value.kek_id, wrapped_key=value.wrapped_key, sealed=value.sealed)
            )
    return secret
