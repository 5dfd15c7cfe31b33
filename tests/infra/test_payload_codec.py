"""The payload codec: what Temporal stores is sealed under the KEK-wrapped payload key, and only that key opens it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DefaultFailureConverterWithEncodedAttributes

from simulacra.infra.config import Settings
from simulacra.infra.payload_codec import EncryptionCodec, PayloadDecryptionError, StoredPayloadKeys, converter_for


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)


def test_the_key_is_stored_wrapped_and_the_setting_turns_the_codec_off(settings: Settings) -> None:
    converter = asyncio.run(converter_for(settings))
    assert isinstance(converter.payload_codec, EncryptionCodec)
    assert converter.failure_converter_class is DefaultFailureConverterWithEncodedAttributes
    record = json.loads((settings.data_dir / "storage" / "keys" / "_temporal.json").read_text())
    assert set(record) == {"tenant_id", "key_id", "kek_id", "wrapped_key"}  # no key in the clear
    assert asyncio.run(converter_for(settings.with_overrides(payload_codec=False))) is pydantic_data_converter


def test_a_tampered_or_relabelled_payload_does_not_decode(settings: Settings) -> None:
    codec = EncryptionCodec(StoredPayloadKeys(settings))
    [sealed] = asyncio.run(codec.encode([Payload(metadata={"encoding": b"json/plain"}, data=b"1")]))
    flipped = Payload(metadata=dict(sealed.metadata), data=sealed.data[:-1] + bytes([sealed.data[-1] ^ 1]))
    relabelled = Payload(metadata={**sealed.metadata, "encryption-key-id": b"dk_other"}, data=sealed.data)
    for bad in (flipped, relabelled):
        with pytest.raises(PayloadDecryptionError):
            asyncio.run(codec.decode([bad]))
    # Written before the codec was on: passed through, so running workflows keep working.
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b"1")
    assert asyncio.run(codec.decode([plain])) == [plain]
    assert json.loads(asyncio.run(codec.decode([sealed]))[0].data) == 1
