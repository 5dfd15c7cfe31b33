"""The `simulacra` client commands: login, datasets, generate, effects and jobs, against any server URL.

Exit codes (docs/client.md): 0 done; 1 the job ended `failed`; 2 the request was refused (4xx, or bad
arguments); 3 the server failed or could not be reached (5xx, connection); 4 a timeout (a job still running
at `--timeout`, or no answer in time). `--json` prints one JSON object on stdout and no progress bar.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from simulacra.api.client import arguments
from simulacra.api.client.client import Client
from simulacra.api.client.errors import ClientError, SimulacraError, Unreachable
from simulacra.api.client.login import DEFAULT_URL, UsageError, client_for, login
from simulacra.api.client.models import Job
from simulacra.api.client.output import print_result
from simulacra.api.client.progress import JobBar

COMMANDS = ("login", "datasets", "generate", "effects", "jobs")
EXIT_FAILED_JOB, EXIT_CLIENT, EXIT_SERVER, EXIT_TIMEOUT = 1, 2, 3, 4


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


def run_client(args: argparse.Namespace) -> int:
    try:
        if args.command == "login":
            return login(args)
        with client_for(args) as client:
            handler = {
                ("datasets", "upload"): _upload,
                ("datasets", "schema"): _schema,
                ("generate", None): _generate,
                ("effects", None): _effects,
                ("jobs", "watch"): _watch,
            }[(args.command, getattr(args, "verb", None))]
            return handler(client, args)
    except SimulacraError as exc:
        _fail(
            args,
            str(exc),
            {
                "status": exc.status,
                "code": exc.code,
                "title": exc.title,
                "detail": exc.detail,
                "fix": exc.fix,
                "request_id": exc.request_id,
            },
        )
        return EXIT_CLIENT if isinstance(exc, ClientError) else EXIT_SERVER
    except (UsageError, argparse.ArgumentTypeError) as exc:
        _fail(args, str(exc), {"code": "usage", "detail": str(exc)})
        return EXIT_CLIENT
    except Unreachable as exc:
        _fail(args, str(exc), {"code": "unreachable", "detail": str(exc)})
        return EXIT_SERVER
    except TimeoutError as exc:
        _fail(args, str(exc), {"code": "timeout", "detail": str(exc)})
        return EXIT_TIMEOUT


def _fail(args: argparse.Namespace, message: str, error: dict[str, Any]) -> None:
    print(f"error: {message}", file=sys.stderr)
    if args.json:
        print(json.dumps({"error": error}))


def _wait(client: Client, args: argparse.Namespace, job_id: str, label: str) -> Job:
    with JobBar(label, enabled=not args.json) as bar:
        return client.wait_for_job(job_id, timeout=args.timeout, on_progress=bar.update)


def _finished(args: argparse.Namespace, job: Job, extra: dict[str, Any] | None = None) -> int:
    result = {**job.as_dict(), **(extra or {})}
    failure = f": {job.error.code}: {job.error.message}" if job.error else ""
    print_result(args, result, f"job {job.job_id} {job.status}{failure}")
    return 0 if job.succeeded else EXIT_FAILED_JOB


def _upload(client: Client, args: argparse.Namespace) -> int:
    accepted = client.upload_dataset(args.file, retention_hours=args.retention_hours)
    if not args.json:
        print(f"uploaded {args.file.name} as {accepted.dataset_id} (job {accepted.job_id})")
    if not args.wait:
        print_result(args, accepted.model_dump(), None)
        return 0
    return _finished(args, _wait(client, args, accepted.job_id, f"dataset {accepted.dataset_id}"))


def _schema(client: Client, args: argparse.Namespace) -> int:
    schema = client.schema(args.dataset_id)
    lines = [f"{c['name']:<28} {c['type']:<12} {c.get('source_name', '')}" for c in schema.get("columns", [])]
    print_result(args, schema, "\n".join(lines))
    return 0


def _generate(client: Client, args: argparse.Namespace) -> int:
    conditions = arguments.conditions_of(args.set, args.mode)
    accepted = client.generate(args.dataset_id, args.rows, conditions, format=args.format, seed=args.seed)
    if args.no_wait:
        print_result(args, accepted.model_dump(), f"generation {accepted.generation_id} (job {accepted.job_id})")
        return 0
    job = _wait(client, args, accepted.job_id, f"generation {accepted.generation_id}")
    extra: dict[str, Any] = {}
    if job.succeeded and args.out and job.artifact_url:
        extra = {"out": str(args.out), "bytes": client.download(job.artifact_url, args.out)}
        if not args.json:
            print(f"{job.rows_generated} rows written to {args.out}")
    return _finished(args, job, extra)


def _effects(client: Client, args: argparse.Namespace) -> int:
    request: dict[str, Any] = {"treatment": args.treatment, "outcome": args.outcome}
    optional = (("outcome_level", args.outcome_level), ("segment_by", args.segment_by), ("samples", args.samples))
    request |= {name: value for name, value in (*optional, ("seed", args.seed)) if value is not None}
    accepted = client.estimate_effect(args.dataset_id, request)
    job = _wait(client, args, accepted.job_id, f"effect {accepted.effect_id}")
    if not job.succeeded:
        return _finished(args, job)
    effect = client.effect(str(accepted.effect_id))
    print_result(args, effect, _effect_summary(effect))
    return 0


def _effect_summary(effect: dict[str, Any]) -> str:
    estimate, low, high = (effect.get(name) for name in ("estimate", "ci_low", "ci_high"))
    treatment = effect.get("treatment") or {}
    change = f"{treatment.get('column')} {treatment.get('from')} -> {treatment.get('to')}"
    if not isinstance(estimate, float | int):
        return f"effect {effect.get('effect_id')}: {effect.get('status')}"
    interval = f" [{low:.4g}, {high:.4g}] at {effect.get('confidence_level', 0.95):.0%}" if low is not None else ""
    return f"{change}: {effect.get('outcome')} changes by {estimate:+.4g}{interval}"


def _watch(client: Client, args: argparse.Namespace) -> int:
    return _finished(args, _wait(client, args, args.job_id, f"job {args.job_id}"))
