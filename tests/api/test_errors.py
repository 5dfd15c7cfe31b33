from __future__ import annotations

import html
import re
from pathlib import Path

from starlette.testclient import TestClient

from simulacra.api.app import OPERATIONS
from simulacra.api.errors import REGISTRY

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [p for d in ("api", "activities", "engine", "workflows") for p in (ROOT / d).rglob("*.py")]


def test_every_code_has_a_page(client: TestClient) -> None:
    for code, spec in REGISTRY.items():
        page = client.get(f"/errors/{code}", headers={"Accept": "application/json"}).json()
        assert page["status"] == spec.status and page["cause"] and page["fix"]
        assert code in client.get(f"/errors/{code}").text


def test_every_code_page_shows_an_example_and_the_operations_that_return_it(client: TestClient) -> None:
    for code, spec in REGISTRY.items():
        page = html.unescape(client.get(f"/errors/{code}").text)
        assert f"HTTP {spec.status}" in page and spec.title in page
        assert f'"code": "{code}"' in page
        for op in OPERATIONS:
            if code in op.all_errors():
                assert f'href="/__docs__/#{op.operation_id}"' in page, (code, op.operation_id)


def test_every_code_used_in_code_is_registered() -> None:
    used = set()
    for source in SOURCES:
        used |= set(re.findall(r'"(simio_[a-z_]+)"', source.read_text()))
    assert used <= set(REGISTRY), used - set(REGISTRY)
