"""`simulacra admin ...`: operator commands. Each one that changes something is recorded in the audit log.

The stores (and SQLAlchemy under them) are imported inside the commands: the `simulacra` parser is built
from this module for every command, the client's included.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from simulacra.infra.config import Settings
from simulacra.infra.scopes import DEFAULT_SCOPES, Scope

if TYPE_CHECKING:
    from simulacra.infra.audit import AuditLog
    from simulacra.infra.controldb import ControlDB

# Meaningless when an external issuer (SIMULACRA_AUTH_ISSUER) mints the tokens.
EMBEDDED_ISSUER_COMMANDS = ("create-client", "approve-signup", "roll-signing-key")


def add_admin_commands(commands: argparse._SubParsersAction) -> None:
    admin = commands.add_parser("admin", help="operator commands (recorded in the audit log)")
    sub = admin.add_subparsers(dest="admin_command", required=True)
    create = sub.add_parser("create-client", help="create an API client and print its one-time claim token")
    create.add_argument("--tenant", required=True)
    create.add_argument("--admin", action="store_true", help="also grant the `admin` scope (audit, revocation)")
    create.add_argument("--json", action="store_true", help="print JSON only")
    revoke = sub.add_parser("revoke-client", help="revoke a client now (its tokens stop working at once)")
    revoke.add_argument("--tenant", required=True)
    revoke.add_argument("--client-id", required=True)
    signups = sub.add_parser("signups", help="list self-service signup requests as JSON lines")
    signups.add_argument("--status", choices=("pending", "approved", "rejected"))
    approve = sub.add_parser("approve-signup", help="approve a signup: creates its tenant's first client")
    approve.add_argument("request_id")
    approve.add_argument("--tenant", help="tenant id to create (default: from the company name)")
    approve.add_argument(
        "--existing-tenant", action="store_true", help="allow --tenant to name a tenant that already has clients"
    )
    reject = sub.add_parser("reject-signup", help="reject a signup request")
    reject.add_argument("request_id")
    reject.add_argument("--reason", help="shown to the requester")
    roll = sub.add_parser(
        "roll-signing-key",
        help="new token signing key; the old one verifies until its tokens expire",
    )
    window = sub.add_parser("set-row-window", help="set a tenant's generated rows per calendar month")
    window.add_argument("--tenant", required=True)
    window.add_argument("--rows", type=int, required=True)
    migrate_db = sub.add_parser(
        "migrate", help="bring the control database (SIMULACRA_CONTROL_DB) to this release's schema version"
    )
    audit = sub.add_parser("audit", help="print audit entries as JSON lines")
    audit.add_argument("--tenant")
    audit.add_argument("--since", help="ISO date or time (UTC), e.g. 2026-11-01")
    audit.add_argument("--until", help="ISO date or time (UTC), exclusive")
    audit.add_argument("--action", help="only this action, e.g. client_revoked")
    for command in (create, revoke, signups, approve, reject, roll, window, migrate_db, audit):
        command.add_argument("--data-dir", type=Path, help="state directory (SIMULACRA_DATA_DIR)")


def _operator() -> str:
    return f"operator:{getpass.getuser()}"


def _check_tenant(tenant: str) -> None:
    from simulacra.infra.tokens import TENANT_PATTERN

    if not TENANT_PATTERN.match(tenant):
        raise SystemExit(f"tenant must match {TENANT_PATTERN.pattern}")


def _utc(value: str | None) -> float | None:
    from simulacra.infra.audit import time_bound

    if value is None:
        return None
    try:
        return time_bound(value)
    except ValueError:
        raise SystemExit(f"{value!r} is not an ISO 8601 date or time, e.g. 2026-11-28T10:00:00Z") from None


def _print_json(value: object) -> None:
    sys.stdout.write(json.dumps(value) + "\n")


def _migrate(settings: Settings) -> int:
    from simulacra.infra import migrate
    from simulacra.infra.audit import AuditLog
    from simulacra.infra.controldb import ControlDB, redacted

    db = ControlDB(settings.resolved_control_db, check=False)
    before, now = migrate.upgrade(db.engine)
    AuditLog(db).record(_operator(), "-", "control_db_migrated", previous=before, version=now)
    where = redacted(db.url)
    print(f"{where}: schema at version {now}" + (f" (was {before or 'empty'})" if before != now else ", nothing to do"))
    return 0


def run_admin(args: argparse.Namespace, settings: Settings) -> int:
    from simulacra.infra.audit import AuditLog
    from simulacra.infra.controldb import ControlDB
    from simulacra.infra.credentials import CredentialStore
    from simulacra.infra.signups import SignupStore
    from simulacra.infra.tokens import Issuer
    from simulacra.infra.usage import UsageLedger

    if args.admin_command == "migrate":
        return _migrate(settings)
    db = ControlDB(settings.resolved_control_db)
    audit = AuditLog(db)
    command = args.admin_command
    if settings.external_auth and command in EMBEDDED_ISSUER_COMMANDS:
        raise SystemExit(f"tokens come from {settings.issuer}: manage its clients and keys there")
    if command == "create-client":
        _check_tenant(args.tenant)
        scopes = tuple(Scope) if args.admin else DEFAULT_SCOPES
        client, token = CredentialStore.for_settings(settings, db).create_client(
            args.tenant, settings.claim_ttl_seconds, scopes
        )
        audit.record(_operator(), args.tenant, "client_created", client_id=client.client_id, scopes=list(scopes))
        if args.json:
            _print_json({"tenant": args.tenant, "credential_claim_token": token})
        else:
            print(
                f"client {client.client_id} for tenant {args.tenant}\nclaim token (one-time, "
                f"valid {settings.claim_ttl_seconds // 3600} h): {token}\n"
                f"claim it: POST {settings.base_url}/v1/credential-claims "
                '{"credential_claim_token": "<token>"} with an Idempotency-Key header'
            )
    elif command == "revoke-client":
        revoked = CredentialStore.for_settings(settings, db).revoke(args.tenant, args.client_id)
        audit.record(
            _operator(), args.tenant, "client_revoked", "ok" if revoked else "not_found", client_id=args.client_id
        )
        if not revoked:
            raise SystemExit(f"no live client {args.client_id} in tenant {args.tenant}")
        print(f"client {args.client_id} revoked")
    elif command == "signups":
        for signup in SignupStore(db).list(args.status):
            _print_json(asdict(signup))
    elif command in ("approve-signup", "reject-signup"):
        return _decide_signup(args, settings, db, audit)
    elif command == "roll-signing-key":
        issuer = Issuer.for_settings(settings, db)
        previous = issuer.keys.active.kid
        key = issuer.keys.roll()
        audit.record(_operator(), "-", "signing_key_rolled", kid=key.kid, previous_kid=previous)
        print(f"signing key {key.kid} active; {previous} stays in the JWKS for {issuer.keys.publish_seconds:.0f} s")
    elif command == "set-row-window":
        _check_tenant(args.tenant)
        if args.rows < 0:
            raise SystemExit("--rows must be zero or more")
        UsageLedger(db).set_window(args.tenant, args.rows)
        audit.record(_operator(), args.tenant, "row_window_set", rows_per_period=args.rows)
        print(f"tenant {args.tenant}: {args.rows} rows per calendar month")
    else:
        for entry in audit.query(args.tenant, _utc(args.since), _utc(args.until), args.action):
            _print_json({**asdict(entry), "at": datetime.fromtimestamp(entry.at, UTC).isoformat()})
    return 0


def _decide_signup(args: argparse.Namespace, settings: Settings, db: ControlDB, audit: AuditLog) -> int:
    from simulacra.infra.audit import reference
    from simulacra.infra.credentials import CredentialStore
    from simulacra.infra.signups import SignupAlreadyDecided, SignupNotFound, SignupStore, TenantTaken

    store = SignupStore(db)
    try:
        if args.admin_command == "approve-signup":
            if args.tenant:
                _check_tenant(args.tenant)
            credentials = CredentialStore.for_settings(settings, db)
            signup = store.approve(
                args.request_id,
                _operator(),
                credentials,
                settings.claim_ttl_seconds,
                args.tenant,
                args.existing_tenant,
            )
        else:
            signup = store.reject(args.request_id, _operator(), args.reason)
    except SignupNotFound:
        raise SystemExit(f"no signup request {args.request_id}") from None
    except TenantTaken:
        raise SystemExit(
            f"tenant {args.tenant} already has clients: approving gives this requester admin of its data; "
            "add --existing-tenant if that is meant"
        ) from None
    except SignupAlreadyDecided:
        raise SystemExit(f"signup request {args.request_id} was already decided") from None
    action = "signup_approved" if signup.status == "approved" else "signup_rejected"
    audit.record(
        _operator(),
        signup.tenant_id or "-",
        action,
        signup_ref=reference(signup.request_id),
        client_id=signup.client_id,
    )
    print(f"{signup.request_id}: {signup.status}" + (f" as tenant {signup.tenant_id}" if signup.tenant_id else ""))
    return 0
