"""Rolling the embedded issuer's signing key: new tokens use the new key, old tokens keep working until expiry."""

from __future__ import annotations

import time

from jose import jwt
from starlette.testclient import TestClient

from simulacra.infra.audit import AuditLog
from simulacra.infra.config import Settings
from simulacra.infra.controldb import ControlDB
from simulacra.infra.signing_keys import SigningKeyRing
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


def test_a_retired_key_leaves_the_jwks_once_its_tokens_have_expired(tmp_path) -> None:
    ring = SigningKeyRing(tmp_path, publish_seconds=3630)
    first = ring.active
    second = ring.roll()
    now = time.time()
    assert [k.kid for k in ring.published(now)] == [second.kid, first.kid]
    assert [k.kid for k in ring.published(now + 3631)] == [second.kid]
    # Another process (the CLI) rolled: a ring opened earlier sees it without a restart.
    other = SigningKeyRing(tmp_path, publish_seconds=3630)
    third = other.roll()
    assert ring.active.kid == third.kid
