"""`simulacra login`, and the credentials every other client command runs with."""

from __future__ import annotations

import argparse
import getpass
import os

from simulacra.api.client.client import Client
from simulacra.api.client.command_line import DEFAULT_URL
from simulacra.api.client.models import Credentials
from simulacra.api.client.output import print_result
from simulacra.api.client.settings_file import credentials_file, load, save


class UsageError(Exception):
    """The command cannot run as given (no credentials, no claim token): exit 2 like a refused request."""


def server_url(args: argparse.Namespace, stored: str | None = None) -> str:
    return str(args.url or stored or os.environ.get("SIMULACRA_URL") or DEFAULT_URL).rstrip("/")


def client_for(args: argparse.Namespace) -> Client:
    """Credentials from $SIMULACRA_CLIENT_ID/$SIMULACRA_CLIENT_SECRET (scripts, CI), else the login file."""
    if os.environ.get("SIMULACRA_CLIENT_ID") and os.environ.get("SIMULACRA_CLIENT_SECRET"):
        client = Client(server_url(args))
        client.use(
            Credentials(
                client_id=os.environ["SIMULACRA_CLIENT_ID"],
                client_secret=os.environ["SIMULACRA_CLIENT_SECRET"],
                token_url=client.token_url(),
            )
        )
        return client
    path = credentials_file(args.credentials)
    if not path.exists():
        raise UsageError(f"no credentials at {path}: run `simulacra login` first")
    url, credentials = load(path)
    return Client(server_url(args, url), credentials)


def login(args: argparse.Namespace) -> int:
    url = server_url(args)
    claim_token = args.claim_token or os.environ.get("SIMULACRA_CLAIM_TOKEN")
    with Client(url) as client:
        if claim_token:
            credentials = client.claim(claim_token)
        elif args.client_id:
            secret = os.environ.get("SIMULACRA_CLIENT_SECRET") or getpass.getpass(f"secret of {args.client_id}: ")
            credentials = Credentials(
                client_id=args.client_id, client_secret=secret, token_url=client.token_url(), audience=args.audience
            )
        else:
            raise UsageError("give --claim-token (or $SIMULACRA_CLAIM_TOKEN) or --client-id")
        client.use(credentials).token()  # proves the credentials work before they are stored
    path = credentials_file(args.credentials)
    save(path, url, credentials)
    shown = {
        "url": url,
        "client_id": credentials.client_id,
        "tenant": credentials.tenant,
        "credentials_file": str(path),
    }
    print_result(args, shown, f"logged in to {url} as {credentials.client_id}; credentials in {path} (mode 0600)")
    return 0
