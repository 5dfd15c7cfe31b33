"""Signed download links, judged by the router before anything else about the path they name."""

from __future__ import annotations

from starlette.requests import Request

from simulacra.api.errors import ApiError
from simulacra.api.ids import PathId
from simulacra.api.metrics import count_signed_url_failure
from simulacra.infra.signed_urls import LinkCheck, UrlSigner

_REFUSED = {
    LinkCheck.TAMPERED: ("simio_invalid_signature", "This download link was altered or is incomplete."),
    LinkCheck.EXPIRED: ("simio_signature_expired", "This download link has expired; fetch the generation again."),
}


def require_signed_link(request: Request, signer: UrlSigner, tenant_id: str, resource: PathId) -> None:
    """Authenticity first, then expiry, then whose link it is. A link issued to another tenant answers as the
    resource this tenant lacks; and since no link names a malformed id, such an id answers as an altered link."""
    verdict = signer.check(
        tenant_id, request.url.path, request.query_params.get("expires"), request.query_params.get("signature")
    )
    if verdict is not LinkCheck.VALID:
        count_signed_url_failure(verdict)
    if verdict in _REFUSED:
        raise ApiError(*_REFUSED[verdict])
    if verdict is LinkCheck.OTHER_TENANT:
        raise resource.not_found(request.path_params[resource.name])
