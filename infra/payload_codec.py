"""Temporal's encryption codec: every payload Temporal stores is AES-256-GCM ciphertext, never our data.

Workflow inputs and results, memos, signals, activity arguments and failure messages carry file names,
column names and generation conditions; the Temporal server, its database and its Web UI see none of
them (search attributes stay plaintext so they can be indexed: they hold only ids, stage and status).

The key is a data key like a tenant's (infra/data_keys.py): 256 random bits, stored only wrapped by the
KEK (or the KMS of SIMULACRA_KEY_PROVIDER), at keys/_temporal.json in storage, so the API, every worker
and the codec server share it without another secret to distribute, and a KEK rotation re-wraps it like
the tenants' keys. (Tenant ids start with a letter or digit, so `_temporal` is nobody's.) Each payload
names its key id in its metadata, so a payload stays readable while a newer key is in use.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes, PayloadCodec

if TYPE_CHECKING:
    from simulacra.infra.config import Settings

ENCODING = b"binary/encrypted"
KEY_ID_METADATA = "encryption-key-id"
# The reserved owner of the codec's data key in infra/data_keys.py.
PAYLOAD_KEY_OWNER = "_temporal"
_NONCE_BYTES = 12


class PayloadDecryptionError(Exception):
    """An encrypted payload that cannot be read here: its key is unknown, or its bytes were altered."""


class PayloadKeys(Protocol):
    """Where the codec's keys come from: the current one for new payloads, any known one by id."""

    def current(self) -> tuple[str, bytes]: ...

    def get(self, key_id: str) -> bytes: ...


class EncryptionCodec(PayloadCodec):
    """Encrypts each whole serialised payload (metadata too, so even its encoding and type are hidden)."""

    def __init__(self, keys: PayloadKeys) -> None:
        self._keys = keys

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        key_id, key = self._keys.current()
        aead = AESGCM(key)
        encoded = []
        for payload in payloads:
            nonce = os.urandom(_NONCE_BYTES)
            # The key id is associated data: a payload relabelled with another key id does not authenticate.
            sealed = aead.encrypt(nonce, payload.SerializeToString(), key_id.encode())
            encoded.append(
                Payload(metadata={"encoding": ENCODING, KEY_ID_METADATA: key_id.encode()}, data=nonce + sealed)
            )
        return encoded

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        # Payloads written before the codec was turned on pass through, so running workflows keep working.
        return [
            self._open(payload) if payload.metadata.get("encoding") == ENCODING else payload for payload in payloads
        ]

    def _open(self, payload: Payload) -> Payload:
        key_id = payload.metadata.get(KEY_ID_METADATA, b"").decode(errors="replace")
        try:
            key = self._keys.get(key_id)
        except Exception as exc:  # whatever the key store says (KeyUnavailable, a KMS refusal): name the key
            raise PayloadDecryptionError(f"payload key {key_id!r} is not available here: {exc}") from None
        try:
            plain = AESGCM(key).decrypt(payload.data[:_NONCE_BYTES], payload.data[_NONCE_BYTES:], key_id.encode())
        except InvalidTag:
            raise PayloadDecryptionError(f"payload under key {key_id!r} does not authenticate") from None
        return Payload.FromString(plain)


class StoredPayloadKeys:
    """The codec's key among the data keys in storage, wrapped by the KEK."""

    def __init__(self, settings: Settings) -> None:
        from simulacra.infra.storage import open_storage  # fsspec and the key provider: only when the codec is on

        self._data_keys = open_storage(settings).data_keys

    def current(self) -> tuple[str, bytes]:
        return self._data_keys.current(PAYLOAD_KEY_OWNER)

    def get(self, key_id: str) -> bytes:
        return self._data_keys.get(PAYLOAD_KEY_OWNER, key_id)


def encrypted_converter(codec: PayloadCodec) -> DataConverter:
    """Our pydantic converter, with the codec and with failure messages and stack traces moved into
    (encrypted) payloads: an exception's message may name a column."""
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=codec,
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


async def converter_for(settings: Settings) -> DataConverter:
    """The converter every client and worker of these settings uses: encrypting unless the codec is off."""
    if not settings.payload_codec:
        return pydantic_data_converter
    keys = StoredPayloadKeys(settings)
    # Created or unwrapped once, off the event loop (storage and a KMS block); cached after that.
    await asyncio.to_thread(keys.current)
    return encrypted_converter(EncryptionCodec(keys))
