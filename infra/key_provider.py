"""Key-encryption keys (KEKs): what wraps each tenant's data key, locally or in a customer's KMS.

A provider is chosen by configuration: the embedded default keeps a 256-bit KEK in a key file
under the data directory (or takes it from SIMULACRA_KEK); SIMULACRA_KEY_PROVIDER="module:factory"
plugs in anything else, e.g. a KMS client. Providers never see tenant rows, only 32-byte data keys.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import importlib
import os
import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from simulacra.infra.keyfiles import read_or_create

if TYPE_CHECKING:
    from simulacra.infra.config import Settings

KEK_BYTES = 32
_NONCE_BYTES = 12


class KeyUnavailable(Exception):
    """The provider cannot unwrap this data key: its KEK is unknown here, or the wrapped bytes were altered."""


@runtime_checkable
class KeyProvider(Protocol):
    """Wraps and unwraps data keys under a KEK.

    `kek_id` names the KEK that new wraps use; it is stored beside every wrapped key, so a provider
    that still holds an older KEK can unwrap what it wrapped (rotation) and the storage layer re-wraps
    under the current one. `context` is bound to the wrap (a KMS "encryption context"): a wrapped key
    unwraps only with the same context, so it cannot be copied to another tenant.
    """

    @property
    def kek_id(self) -> str: ...

    def wrap(self, data_key: bytes, context: bytes) -> bytes: ...

    def unwrap(self, wrapped: bytes, kek_id: str, context: bytes) -> bytes: ...


class LocalKeyProvider:
    """AES-256-GCM key wrapping under KEKs held in this process: the current one and any still to be retired."""

    def __init__(self, current: bytes, previous: Sequence[bytes] = ()) -> None:
        for kek in (current, *previous):
            if len(kek) != KEK_BYTES:
                raise ValueError(f"a KEK must be {KEK_BYTES} bytes, got {len(kek)}")
        self._current = local_kek_id(current)
        self._keks = {local_kek_id(kek): AESGCM(kek) for kek in (*previous, current)}

    @property
    def kek_id(self) -> str:
        return self._current

    def wrap(self, data_key: bytes, context: bytes) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._keks[self._current].encrypt(nonce, data_key, context)

    def unwrap(self, wrapped: bytes, kek_id: str, context: bytes) -> bytes:
        kek = self._keks.get(kek_id)
        if kek is None:
            raise KeyUnavailable(f"KEK {kek_id!r} is not configured here (set SIMULACRA_PREVIOUS_KEKS to keep it)")
        try:
            return kek.decrypt(wrapped[:_NONCE_BYTES], wrapped[_NONCE_BYTES:], context)
        except InvalidTag:
            raise KeyUnavailable(f"wrapped key under KEK {kek_id!r} does not authenticate") from None


def local_kek_id(kek: bytes) -> str:
    """A public fingerprint of a KEK: the same key has the same id in every process, and it reveals nothing."""
    return "local-" + hashlib.sha256(b"simulacra kek id\n" + kek).hexdigest()[:16]


def decode_kek(text: str) -> bytes:
    try:
        kek = base64.b64decode(text.strip(), altchars=b"-_", validate=True)
    except binascii.Error:
        raise ValueError("a KEK is given as base64 (standard or URL-safe) of 32 random bytes") from None
    if len(kek) != KEK_BYTES:
        raise ValueError(f"a KEK must decode to {KEK_BYTES} bytes, got {len(kek)}")
    return kek


def load_key_provider(settings: Settings) -> KeyProvider:
    """The provider the settings name: a `module:factory` import path called with the settings, or the local one."""
    if settings.key_provider:
        module_name, _, factory_name = settings.key_provider.partition(":")
        if not module_name or not factory_name:
            raise ValueError(f"key_provider must be 'module:factory', got {settings.key_provider!r}")
        provider = getattr(importlib.import_module(module_name), factory_name)(settings)
        if not isinstance(provider, KeyProvider):
            raise TypeError(f"{settings.key_provider} did not return a KeyProvider (kek_id, wrap, unwrap)")
        return provider
    if settings.kek:
        current = decode_kek(settings.kek)
    else:
        # Stored as base64 text so an operator can copy it into SIMULACRA_KEK or a secret manager as it is.
        encoded = read_or_create(
            settings.keys_dir / "kek.key", lambda: base64.b64encode(secrets.token_bytes(KEK_BYTES))
        )
        current = decode_kek(encoded.decode())
    previous = [decode_kek(text) for text in (settings.previous_keks or "").split(",") if text.strip()]
    return LocalKeyProvider(current, previous)
