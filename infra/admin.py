"""`simulacra admin ...`: operator commands. Each one is recorded in the audit log."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from infra.audit import AuditLog
from infra.config import Settings
from infra.controldb import ControlDB
from infra.credentials import CredentialStore
from infra.tokens import TENANT_PATTERN
from infra.usage import UsageLedger


def add_admin_commands(commands: argparse._SubParsersAction) -> None:
    admin = commands.add_parser("admin", help="operator commands (recorded in the audit log)")
    admin_commands = admin.add_subparsers(dest="admin_command", required=True)
    create = admin_commands.add_parser("create-client", help="create an API client and print its one-time claim token")
    create.add_argument("--tenant", required=True)
    create.add_argument("--json", action="store_true", help="print JSON only")
    window = admin_commands.add_parser("set-row-window", help="set a tenant's generated rows per calendar month")
    window.add_argument("--tenant", required=True)
    window.add_argument("--rows", type=int, required=True)
    audit = admin_commands.add_parser("audit", help="print audit entries as JSON lines")
    audit.add_argument("--tenant")
    audit.add_argument("--since", help="ISO date or time (UTC), e.g. 2026-11-01")
    for command in (create, window, audit):
        command.add_argument("--data-dir", type=Path, help="state directory (SIMULACRA_DATA_DIR)")


def _operator() -> str:
    return f"operator:{getpass.getuser()}"


def _check_tenant(tenant: str) -> None:
    if not TENANT_PATTERN.match(tenant):
        raise SystemExit(f"tenant must match {TENANT_PATTERN.pattern}")


def run_admin(args: argparse.Namespace, settings: Settings) -> int:
    db = ControlDB(settings.resolved_control_db)
    audit = AuditLog(db)
    if args.admin_command == "create-client":
        _check_tenant(args.tenant)
        client, token = CredentialStore(db).create_client(args.tenant, settings.claim_ttl_seconds)
        audit.record(_operator(), args.tenant, "client_created", client_id=client.client_id)
        if args.json:
            print(json.dumps({"tenant": args.tenant, "credential_claim_token": token}))
        else:
            print(
                f"client {client.client_id} for tenant {args.tenant}\nclaim token (one-time): {token}\n"
                f"claim it: POST {settings.base_url}/v1/credential-claims "
                '{"credential_claim_token": "<token>"} with an Idempotency-Key header'
            )
    elif args.admin_command == "set-row-window":
        _check_tenant(args.tenant)
        if args.rows < 0:
            raise SystemExit("--rows must be zero or more")
        UsageLedger(db).set_window(args.tenant, args.rows)
        audit.record(_operator(), args.tenant, "row_window_set", rows_per_period=args.rows)
        print(f"tenant {args.tenant}: {args.rows} rows per calendar month")
    else:
        since = datetime.fromisoformat(args.since).replace(tzinfo=UTC).timestamp() if args.since else None
        for entry in audit.query(args.tenant, since):
            line = {**entry.__dict__, "at": datetime.fromtimestamp(entry.at, UTC).isoformat()}
            sys.stdout.write(json.dumps(line) + "\n")
    return 0
