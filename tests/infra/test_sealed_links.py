"""Report links are their own credential: they name their tenant, unreadably, and any change breaks them."""

from __future__ import annotations

import secrets
import time
from urllib.parse import parse_qs, urlsplit

from simulacra.infra.sealed_links import SealedLinks
from simulacra.infra.signed_urls import LinkCheck, UrlSigner

PATH = "/v1/datasets/ds_12345678901234567890/report"


def _links() -> SealedLinks:
    """An installation's links, under a URL-signing secret of its own."""
    return SealedLinks(UrlSigner(secrets.token_bytes(32), 900))


def _query(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    return parts.path, query["expires"][0], query["signature"][0]


def test_a_link_opens_to_its_tenant_who_cannot_be_read_from_it() -> None:
    links = _links()
    url, expires = links.sign("https://api.example.com", "acme-corporation", PATH)
    assert "acme" not in url and url.startswith(f"https://api.example.com{PATH}?")
    assert links.check(*_query(url)) == (LinkCheck.VALID, "acme-corporation")
    assert expires > time.time() + 800
    # Two links to the same page differ: the seal is fresh each time.
    assert _query(links.sign("", "acme-corporation", PATH)[0])[2] != _query(url)[2]


def test_any_change_is_tampering_and_only_an_authentic_link_is_expired() -> None:
    links = _links()
    path, expires, signature = _query(links.sign("", "acme", PATH)[0])
    flipped = signature[:10] + ("A" if signature[10] != "A" else "B") + signature[11:]
    for altered in (
        (PATH.replace("ds_1", "ds_2"), expires, signature),
        (path, str(int(expires) + 60), signature),
        (path, expires, flipped),
        (path, expires, signature + "AA"),
        (path, None, signature),
        (path, expires, None),
        (path, "-1", signature),
    ):
        assert links.check(*altered) == (LinkCheck.TAMPERED, None), altered
    assert links.check(path, expires, signature, now=int(expires) + 1) == (LinkCheck.EXPIRED, None)
    stale = _query(links.sign("", "acme", PATH, now=time.time() - 3600)[0])
    assert links.check(*stale) == (LinkCheck.EXPIRED, None)


def test_another_installations_links_do_not_open() -> None:
    url, _ = _links().sign("", "acme", PATH)
    assert _links().check(*_query(url)) == (LinkCheck.TAMPERED, None)
