"""Access tokens by OAuth2 client credentials (RFC 6749 §4.4), minted when needed and renewed before expiry."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from simulacra.api.client.models import Credentials

# Renew this long before expiry (or at 10% of a shorter lifetime), so a token never expires between the
# check and the server's verification of it, even with some clock skew.
RENEW_MARGIN_SECONDS = 60.0


@dataclass
class _Token:
    value: str
    renew_at: float


class TokenSource:
    """Hands out a valid bearer token, minting a new one at the token URL when the current one is near expiry."""

    def __init__(
        self,
        credentials: Credentials,
        mint: Callable[[str, dict[str, str]], httpx.Response],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._credentials = credentials
        self._mint = mint
        self._clock = clock
        self._token: _Token | None = None
        self.minted = 0

    def token(self) -> str:
        if self._token is None or self._clock() >= self._token.renew_at:
            self._token = self._new_token()
        return self._token.value

    def discard(self) -> None:
        """Forget the token (the server refused it: revoked, or its signing key rolled); the next call mints."""
        self._token = None

    def _new_token(self) -> _Token:
        form = {
            "grant_type": "client_credentials",
            "client_id": self._credentials.client_id,
            "client_secret": self._credentials.client_secret,
        }
        if self._credentials.audience:
            form["audience"] = self._credentials.audience
        started = self._clock()
        body = self._mint(self._credentials.token_url, form).json()
        self.minted += 1
        lifetime = float(body["expires_in"])
        return _Token(str(body["access_token"]), started + lifetime - min(RENEW_MARGIN_SECONDS, lifetime / 10))
