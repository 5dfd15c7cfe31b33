"""Turn a corpus entry (data, in tests/corpus/*.json) into an HTTP request against the test app.

Entries name what they need with placeholders that only the running stack can fill: `{dataset}` (a ready
dataset of the tenant), `{other_dataset}` (another tenant's), `{missing_dataset}` (well formed, never
created), `{token:<kind>}` (a real or forged access token, see `TOKEN_KINDS`) and `{key}` (the entry's
own Idempotency-Key). How to add an entry: docs/development.md, "The malformed-request corpus".
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jose import jwt

from simulacra.infra.config import Settings
from simulacra.infra.sealed_links import SealedLinks
from simulacra.infra.signed_urls import UrlSigner
from simulacra.infra.tokens import TENANT_CLAIM
from tests.corpus.payloads import generate
from tests.security import forge

CORPUS = Path(__file__).resolve().parent
BOUNDARY = "corpus-boundary-7f3a"
PLACEHOLDER = re.compile(r"\{([a-z_]+(?::[a-z_]+)?)\}")
DEFAULT_HEADERS = {"Authorization": "Bearer {token:tenant}"}
# Forged tokens: claims (keyword overrides of tests.security.forge.claims) signed with the issuer's real key.
FORGED_CLAIMS: dict[str, dict[str, Any]] = {
    "valid_read": {},
    "expired": {"exp": -120},
    "not_yet_valid": {"nbf": 600},
    "wrong_audience": {"aud": "https://someone-else.example/api"},
    "other_issuer": {"iss": "https://issuer.example/"},
    "no_tenant": {TENANT_CLAIM: None},
    "numeric_tenant": {TENANT_CLAIM: 42},
    "no_expiry": {"exp": None},
    "unknown_client": {"azp": "cl_0000000000000000"},
    "list_scope": {"scope": ["datasets:write"]},
}


def load_entries(*names: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for name in names:
        entries += json.loads((CORPUS / name).read_text())["entries"]
    return entries


@dataclass
class Stack:
    """What the placeholders resolve to on the running stack."""

    settings: Settings
    tokens: dict[str, str]  # "tenant", "other", "read_only": real tokens from the claim flow
    ids: dict[str, str]
    client_id: str  # a live client of the tenant, for forged tokens
    kid: str
    _forged: dict[str, str] = field(default_factory=dict)

    def token(self, kind: str) -> str:
        if kind in self.tokens:
            return self.tokens[kind]
        if kind not in self._forged:
            self._forged[kind] = self._forge(kind)
        return self._forged[kind]

    def _forge(self, kind: str) -> str:
        settings, cid = self.settings, self.client_id
        if kind in FORGED_CLAIMS:
            now = int(time.time())
            overrides = {
                k: (now + v if k in ("exp", "nbf") and isinstance(v, int) else v)
                for k, v in FORGED_CLAIMS[kind].items()
            }
            return forge.signed(settings, forge.claims(settings, cid, **overrides))
        body = forge.claims(settings, cid)
        if kind == "alg_none":
            return forge.unsigned(body, self.kid)
        if kind == "tampered":
            return forge.tampered(forge.signed(settings, body), {**body, TENANT_CLAIM: "globex"})
        if kind == "unknown_kid":
            return forge.signed(settings, body, kid="not-our-key")
        if kind == "hs256":
            return jwt.encode(body, "public-key-as-secret", algorithm="HS256", headers={"kid": self.kid})
        raise KeyError(f"unknown token kind {kind}")

    def fill(self, text: str, key: str) -> str:
        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("token:"):
                return self.token(name.partition(":")[2])
            if name == "key":
                return key
            return self.ids.get(name, match.group(0))

        return PLACEHOLDER.sub(value, text)

    def link(self, spec: dict[str, Any], key: str) -> str:
        """A signed artifact link (or with `sealed`, a report link), then altered as the entry says."""
        path = self.fill(spec["path"], key)
        signer = UrlSigner.for_settings(self.settings)
        tenant = {"self": "acme", "other": "globex"}[spec.get("tenant", "self")]
        now = time.time() + spec.get("shift_seconds", 0)
        if spec.get("sealed"):
            url, _ = SealedLinks(signer).sign("", tenant, path, now=now)
        else:
            url, _ = signer.sign("", tenant, path, now=now)
        signed_path, _, query = url.partition("?")
        params = dict(part.split("=", 1) for part in query.split("&"))
        mutate = spec.get("mutate")
        if mutate == "signature":
            # A character inside the value, never the last: base64's last character may carry only padding bits.
            old = params["signature"][5]
            params["signature"] = params["signature"][:5] + ("0" if old != "0" else "1") + params["signature"][6:]
        elif mutate == "expires":
            params["expires"] = str(int(params["expires"]) + 3600)
        elif mutate in ("drop_signature", "drop_expires"):
            params.pop(mutate.partition("_")[2])
        elif mutate == "garbage":
            params = {"expires": "soon", "signature": "..%2f..%2f"}
        target = self.fill(spec.get("send_to", signed_path), key)
        return target + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


@dataclass(frozen=True)
class Prepared:
    method: str
    path: str
    headers: dict[str, str | bytes]
    content: bytes | None


def body_bytes(spec: dict[str, Any] | None, stack: Stack, key: str) -> bytes | None:
    if spec is None:
        return None
    if "json" in spec:
        return stack.fill(json.dumps(spec["json"]), key).encode()
    if "text" in spec:
        return stack.fill(spec["text"], key).encode(spec.get("encoding", "utf-8"))
    if "base64" in spec:
        return base64.b64decode(spec["base64"])
    return generate(spec)


def multipart(parts: list[dict[str, Any]], stack: Stack, key: str) -> bytes:
    """A multipart body built by hand, so entries can send what no client library would."""
    out = b""
    for part in parts:
        disposition = part.get("disposition")
        if disposition is None:
            disposition = f'form-data; name="{part["name"]}"'
            if "filename" in part:
                disposition += f'; filename="{part["filename"]}"'
        out += f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n".encode()
        if "content_type" in part:
            out += f"Content-Type: {part['content_type']}\r\n".encode()
        out += b"\r\n" + (body_bytes(part.get("body"), stack, key) or b"") + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


def prepare(entry: dict[str, Any], stack: Stack, key: str | None = None) -> Prepared:
    key = key or f"corpus-{uuid.uuid4().hex}"
    method = entry["method"]
    headers: dict[str, Any] = dict(DEFAULT_HEADERS)
    if method in ("POST", "PATCH"):
        headers["Idempotency-Key"] = "{key}"
    content = body_bytes(entry.get("body"), stack, key)
    if "parts" in entry:
        content = multipart(entry["parts"], stack, key)
        headers["Content-Type"] = f"multipart/form-data; boundary={BOUNDARY}"
    elif "json" in (entry.get("body") or {}):
        headers["Content-Type"] = "application/json"
    headers.update(entry.get("headers", {}))
    filled: dict[str, str | bytes] = {}
    for name, value in headers.items():
        if value is None:  # the entry removes a default header
            continue
        text = generate(value).decode() if isinstance(value, dict) else stack.fill(value, key)
        # Non-ASCII header values go as Latin-1 bytes, as a hostile client would send them.
        filled[name] = text if text.isascii() else text.encode("latin-1")
    path = stack.link(entry["link"], key) if "link" in entry else stack.fill(entry["path"], key)
    return Prepared(method, path, filled, content)
