"""The arguments of the `simulacra` client commands: login, datasets, generate, effects and jobs.

Kept apart from running them (api/client/commands.py): every `simulacra` command builds the whole
parser, `simulacra api` and `simulacra worker` included, and this module loads no HTTP stack.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from simulacra.api.client import arguments

COMMANDS = ("login", "datasets", "generate", "effects", "jobs")
DEFAULT_URL = "http://127.0.0.1:8000"


def _output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help=f"server URL (default: the one logged in to, $SIMULACRA_URL, {DEFAULT_URL})")
    parser.add_argument("--credentials", help="credentials file (default ~/.config/simulacra/credentials.json)")
    parser.add_argument("--json", action="store_true", help="print one JSON object, no progress bar")


def _waiting(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for the job (default 900)")


def add_client_commands(commands: Any) -> None:
    login = commands.add_parser("login", help="claim credentials (or take a client id) and store them for the client")
    _output(login)
    login.add_argument("--claim-token", help="one-time claim token (or $SIMULACRA_CLAIM_TOKEN)")
    login.add_argument("--client-id", help="an existing client; its secret from $SIMULACRA_CLIENT_SECRET or a prompt")
    login.add_argument("--audience", help="token audience, with --client-id (default: the issuer's)")

    datasets = commands.add_parser("datasets", help="upload a seed table, read a cleaned schema")
    verbs = datasets.add_subparsers(dest="verb", required=True)
    upload = verbs.add_parser("upload", help="upload a seed table (CSV, Parquet, Arrow, SPSS)")
    _output(upload)
    _waiting(upload)
    upload.add_argument("file", type=Path)
    upload.add_argument("--wait", action="store_true", help="wait until the model is fitted, with a progress bar")
    upload.add_argument("--retention-hours", type=int)
    schema = verbs.add_parser("schema", help="the cleaned schema of a dataset")
    _output(schema)
    schema.add_argument("dataset_id")

    generate = commands.add_parser("generate", help="generate rows under conditions and download them")
    _output(generate)
    _waiting(generate)
    generate.add_argument("dataset_id")
    generate.add_argument("--rows", type=int, required=True)
    generate.add_argument(
        "--set", action="append", default=[], metavar="COL=LEVEL:SHARE|COL=VALUE|COL=LO..HI", help="a condition"
    )
    generate.add_argument("--mode", choices=("intervene", "condition"), help="default: intervene")
    generate.add_argument("--format", choices=("csv", "parquet", "arrow"), default="csv")
    generate.add_argument("--seed", type=int)
    generate.add_argument("--out", type=Path, help="download the rows to this file")
    generate.add_argument("--no-wait", action="store_true", help="print the accepted job and return")

    effects = commands.add_parser("effects", help="estimate a causal effect")
    _output(effects)
    _waiting(effects)
    effects.add_argument("dataset_id")
    effects.add_argument("--treatment", type=arguments.treatment, required=True, metavar="COLUMN:FROM:TO")
    effects.add_argument("--outcome", required=True)
    effects.add_argument("--outcome-level", help="for a categorical outcome: the level whose share changes")
    effects.add_argument("--segment-by")
    effects.add_argument("--samples", type=int)
    effects.add_argument("--seed", type=int)

    jobs = commands.add_parser("jobs", help="follow a job")
    job_verbs = jobs.add_subparsers(dest="verb", required=True)
    watch = job_verbs.add_parser("watch", help="show a job's stage and progress until it ends")
    _output(watch)
    _waiting(watch)
    watch.add_argument("job_id")
