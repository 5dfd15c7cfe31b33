"""Rolling the embedded issuer's signing key: new tokens use the new key, old tokens keep working until expiry."""

from __future__ import annotations

from jose import jwt
from starlette.testclient import TestClient

from simulacra.infra.audit import AuditLog
from simulacra.infra.config import Settings
from simulacra.infra.controldb import ControlDB
from tests.conftest import claim_token
from tests.flows import bearer
from tests.security.admin_cli import admin


def test_roll_keeps_old_tokens_valid_and_signs_new_ones_with_new_key(client: TestClient, settings: Settings) -> None:
    before = claim_token(client, settings, "roller")
    old_kid = jwt.get_unverified_header(before)["kid"]
    admin(settings, "roll-signing-key")
    published = {key["kid"] for key in client.get("/.well-known/jwks.json").json()["keys"]}
    after = claim_token(client, settings, "roller")
    new_kid = jwt.get_unverified_header(after)["kid"]
    assert new_kid != old_kid and {old_kid, new_kid} <= published
    for token in (before, after):
        assert client.get("/v1/usage", headers=bearer(token)).status_code == 200
    rolled = AuditLog(ControlDB(settings.resolved_control_db)).query(action="signing_key_rolled")
    assert rolled[-1].detail == {"kid": new_kid, "previous_kid": old_kid}
