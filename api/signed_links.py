"""Signed links, judged by the router before anything else about the path they name: download links (with the
bearer token of their tenant) and report links (alone: a browser cannot send the token)."""

from __future__ import annotations

from starlette.requests import Request

from simulacra.api.errors import ApiError
from simulacra.api.ids import PathId
from simulacra.api.metrics import count_signed_url_failure
from simulacra.infra.sealed_links import SealedLinks
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


_REPORT_REFUSED = {
    LinkCheck.TAMPERED: ("simio_invalid_signature", "This report link was altered or is incomplete."),
    LinkCheck.EXPIRED: (
        "simio_signature_expired",
        "This report link has expired; read the resource again for a fresh report_url.",
    ),
}


def require_sealed_link(request: Request, signer: UrlSigner) -> str:
    """The tenant a report link was issued to; an altered or expired link is refused like a download link."""
    verdict, tenant = SealedLinks(signer).check(
        request.url.path, request.query_params.get("expires"), request.query_params.get("signature")
    )
    if verdict is not LinkCheck.VALID:
        count_signed_url_failure(verdict)
        raise ApiError(*_REPORT_REFUSED[verdict])
    assert tenant is not None  # a valid link always names its tenant
    return tenant
