"""Running the `simulacra` client commands (their arguments: api/client/command_line.py).

Exit codes (docs/client.md): 0 done; 1 the job ended `failed`; 2 the request was refused (4xx, or bad
arguments); 3 the server failed or could not be reached (5xx, connection); 4 a timeout (a job still running
at `--timeout`, or no answer in time). `--json` prints one JSON object on stdout and no progress bar.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from simulacra.api.client import arguments
from simulacra.api.client.client import Client
from simulacra.api.client.errors import ClientError, SimulacraError, Unreachable
from simulacra.api.client.login import UsageError, client_for, login
from simulacra.api.client.models import Job
from simulacra.api.client.output import print_result
from simulacra.api.client.progress import JobBar

EXIT_FAILED_JOB, EXIT_CLIENT, EXIT_SERVER, EXIT_TIMEOUT = 1, 2, 3, 4


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
