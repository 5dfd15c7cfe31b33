"""The `report_url` a dataset, generation or effect carries: a sealed link a browser opens as it is."""

from __future__ import annotations

from starlette.requests import Request

from simulacra.api.state import app_state
from simulacra.infra.sealed_links import SealedLinks

REPORT_URL_DESCRIPTION = (
    "Link to this resource's report, an HTML page for a browser: open it as it is (it is its own credential, no "
    "token needed), within its window (15 minutes by default; read the resource again for a fresh one)."
)


def report_url(request: Request, tenant_id: str, path: str) -> str:
    state = app_state(request)
    url, _ = SealedLinks(state.signer).sign(state.settings.base_url, tenant_id, path)
    return url
