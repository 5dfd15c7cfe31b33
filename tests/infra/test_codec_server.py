"""The codec server: Temporal's remote codec protocol, only for callers who hold the secret."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from simulacra.api.codec_server import create_codec_app
from simulacra.infra.codec_access import codec_server_secret, ui_codec_endpoint
from simulacra.infra.config import Settings
from simulacra.infra.payload_codec import ENCODING, EncryptionCodec, StoredPayloadKeys

PLAIN = {
    "metadata": {"encoding": base64.b64encode(b"json/plain").decode()},
    "data": base64.b64encode(b'"age_band"').decode(),
}
UI = "http://127.0.0.1:8233"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)


@pytest.fixture
def codec_client(settings: Settings) -> TestClient:
    return TestClient(create_codec_app(settings, EncryptionCodec(StoredPayloadKeys(settings))))


def _auth(settings: Settings) -> dict[str, str]:
    return {"Authorization": f"Bearer {codec_server_secret(settings)}"}


def test_encode_then_decode_round_trips(codec_client: TestClient, settings: Settings) -> None:
    encoded = codec_client.post("/encode", json={"payloads": [PLAIN]}, headers=_auth(settings))
    assert encoded.status_code == 200, encoded.text
    [sealed] = encoded.json()["payloads"]
    assert base64.b64decode(sealed["metadata"]["encoding"]) == ENCODING
    assert b"age_band" not in base64.b64decode(sealed["data"])
    # The Web UI's way: the secret as the endpoint's path, the namespace in a header.
    path = ui_codec_endpoint(settings).split("/", 3)[3]
    decoded = codec_client.post(f"/{path}/decode", json=encoded.json(), headers={"X-Namespace": "default"})
    assert decoded.status_code == 200, decoded.text
    assert decoded.json() == {"payloads": [PLAIN]}


def test_callers_without_the_secret_are_refused(codec_client: TestClient, settings: Settings) -> None:
    body = {"payloads": [PLAIN]}
    for headers, path in (
        ({}, "/decode"),
        ({"Authorization": "Bearer not-the-secret"}, "/decode"),
        ({"Authorization": f"Basic {codec_server_secret(settings)}"}, "/encode"),
        ({}, "/not-the-secret/decode"),
    ):
        refused = codec_client.post(path, json=body, headers=headers)
        assert refused.status_code == 401, (headers, path)
        assert refused.json()["code"] == "simio_unauthorized"
        assert refused.headers["content-type"] == "application/problem+json"


def test_bad_bodies_get_their_codes(codec_client: TestClient, settings: Settings) -> None:
    malformed = codec_client.post("/decode", content=b"{not json", headers=_auth(settings))
    assert malformed.status_code == 400 and malformed.json()["code"] == "simio_invalid_json"
    foreign = {
        "metadata": {"encoding": base64.b64encode(ENCODING).decode()},
        "data": base64.b64encode(b"x" * 40).decode(),
    }
    unreadable = codec_client.post("/decode", json={"payloads": [foreign]}, headers=_auth(settings))
    assert unreadable.status_code == 400 and unreadable.json()["code"] == "simio_invalid_field"
    assert codec_client.get("/decode", headers=_auth(settings)).json()["code"] == "simio_method_not_allowed"


def test_only_the_web_ui_origin_gets_cors(codec_client: TestClient) -> None:
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-namespace"}
    allowed = codec_client.options("/x/decode", headers={"Origin": UI, **preflight})
    assert allowed.status_code == 200 and allowed.headers["access-control-allow-origin"] == UI
    other = codec_client.options("/x/decode", headers={"Origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in other.headers
