from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from simulacra.api.app import create_app
from simulacra.infra.config import Settings
from tests.flows import upload


def _uploads(root: Path) -> set[Path]:
    return {p for p in root.rglob("upload*") if p.is_file()}


def test_oversized_upload_is_refused_and_leaves_nothing(settings: Settings, token: str) -> None:
    small = settings.with_overrides(max_upload_bytes=2048)
    before = _uploads(settings.data_dir)
    with TestClient(create_app(small), base_url=small.base_url) as capped:
        response = upload(capped, token, b"a,b\n" + b"1,2\n" * 4000)
    assert response.status_code == 413 and response.json()["code"] == "simio_file_too_large"
    assert _uploads(settings.data_dir) == before
