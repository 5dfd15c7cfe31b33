"""/llms.txt and /llms-full.txt: the operation records written for agents (api/reference/ writes them for people)."""

from __future__ import annotations

from typing import Any

from simulacra.api.errors import REGISTRY
from simulacra.api.operations import Operation
from simulacra.infra.scopes import Scope

SUMMARY = (
    "Causal synthetic-data API: upload a seed table, get its cleaned schema and learned causal model, then "
    'generate rows under interventions ("segment genz_switcher at 30%, price fixed at 5.49"). OAuth2 client '
    "credentials; every POST under /v1 needs an Idempotency-Key; long work is a job you poll; every error is "
    "application/problem+json with a stable simio_* code."
)
FLOW = [
    "claimCredentials",
    "issueToken",
    "createDataset",
    "getJob",
    "getDatasetSchema",
    "createGeneration",
    "getGeneration",
    "downloadArtifact",
]
RULES = """## Rules

- Idempotency: every POST under /v1 needs `Idempotency-Key` (^[A-Za-z0-9._:-]{1,255}$, bare or quoted). The same key
  with the same request replays the first response (header `Idempotent-Replayed: true`, same ids, no new work or
  billing); with a different request: 422 `simio_idempotency_conflict`; while the first is running: 409
  `simio_idempotency_in_flight` with `Retry-After`. Keys are per tenant and kept 24 hours. A request refused by
  validation is not recorded: fix it and retry with the same key.
- Retries: 429, 500, 502, 503 and 504 are retryable with the same key (honour `Retry-After`); 400, 401, 402, 403,
  404 and 422 are not: fix the request first. A 409 depends on its code (a dataset still being built: retry;
  a dataset whose build failed: do not). Each problem body says `retryable`.
- Jobs: create calls answer 202 with `job_id` and `Location`. Poll `GET /v1/jobs/{job_id}` every
  `poll_interval_seconds` until `status` is `ready`, `partial` (fewer rows or conditions met in part; still
  downloadable) or `failed` (`error.code` says why). Large generations (up to 100,000,000 rows) report
  `progress` and `rows_generated` as their shards finish; downloads accept `Range` (206, resumable).
- Conditions: build them from the schema's cleaned names, never raw headers.
  `conditions.categorical[column][level] = share` sets that level's share (several levels allowed, total <= 1; other
  levels keep their relative shares). `conditions.numeric[column] = {"min": a, "max": b}` keeps the column in range
  (either bound may be omitted; `min == max` fixes the value). `mode: "intervene"` (default) is the do-operator:
  conditioned columns are set, their descendants in the causal graph react, their ancestors keep the seed's
  distribution: "what happens if we set the price to 5.49?". `mode: "condition"` is observational: rows as they
  would be among those matching ("what do people paying 5.49 look like?"); a condition met only in part ends
  `partial` with a per-condition `feasibility` report in the generation's `report`, and fewer rows. In intervene
  mode the report's `warnings` and `contested_edges` name edges downstream of a conditioned column that the data
  did not settle.
- Causal knowledge: upload `causal_hints` (tiers, forbidden and required edges); read the learned graph at
  `GET /v1/datasets/{id}/graph` (edge stability, mechanisms, warnings); fix it with `PATCH .../graph`
  (send the `model_version` you edited). The dataset stays ready on its old model while the new version fits
  (job stage `refitting`); then `GET /v1/datasets/{id}` shows the new `model_version` or a `refit_error`.
- Validation: once ready, `GET /v1/datasets/{id}` carries `validation` for its current `model_version`:
  `held_out_fidelity` (rows sampled from a model fitted without the held-out rows, scored 0 to 1 against them;
  judge `score` by `reference`, what real rows score against real rows), `nodes` (each column's mechanism and
  held-out `r2` or `log_likelihood` beside a no-parents `baseline`) and `falsification` (the graph's implied
  conditional independences tested on the data; `verdict` "not falsified" or "falsified: ..."), and `robustness`
  (edge stability, `contested_edges`, each with the `causal_hints` fragments in `settle_with` that would settle it).
  A falsified graph or a low score is a reason to add `causal_hints` or edit the graph before trusting effects.
- Effects: `POST /v1/datasets/{id}/effects` with `{"treatment": {"column": "price", "from": 4.99, "to": 5.49},
  "outcome": "purchase_intent"}` estimates E[outcome | do(price = 5.49)] - E[outcome | do(price = 4.99)] (intervene
  semantics, the same engine as generations: with the same `seed` and `samples` rows the arms' means are those of
  two generations with price fixed at each value). A categorical or boolean outcome needs `outcome_level` (the
  effect is a change of that level's share); `segment_by` (a categorical column the treatment does not affect) adds
  per-level effects. Poll the job, then `GET /v1/effects/{effect_id}`: `estimate`, `ci_low`/`ci_high` at
  `confidence_level` (`method` bootstrap_rediscover by default: the graph rediscovered and refitted on bootstrap
  resamples, so the interval spans plausible graphs; `structure` gives `resamples_with_path`, the distinct `paths`,
  `effect_median` (the resamples' median, beside `estimate`, which is the learned graph's) and `contested_edges`
  with the effect with and without each; `interval_method: bootstrap_refit` asks for the cheap
  fixed-graph interval, also the fallback, with a `note`, on tables past the compute budget), `effect_range` (local
  IDA: the effect over the directions the data leave open at the treatment, e.g. "between 0 and 1.4 depending on
  the direction of b - c"), `graph_path` (why), `note` (an outcome the graph does not let the treatment reach:
  exactly 0), and
  `support`: `in_support` is false when a value lies outside the seed's range or levels; then the answer is
  extrapolation. Scopes: generations:write to ask, generations:read to read. Effects bill no rows. An effect lives
  `retention_hours` but never longer than its dataset.
- Downloads: `artifact_url` is signed for 15 minutes (by default) and also needs the bearer token; fetch the
  generation again for a fresh one.
- Reports: a ready dataset, generation or effect carries `report_url`, an HTML page for a person (the model's graph
  drawn, validation charts, requested against achieved shares, an effect's forest plot). The link is its own
  credential (open it in a browser, no token), signed for as long as an artifact link; read the resource again for
  a fresh one. Agents should read the JSON resources instead.
- Retention: datasets and generations live `retention_hours` (default 24, at most 168), then answer 404.
  `PATCH /v1/datasets/{id}` with `{"retention_hours": n}` changes a dataset's window (still counted from its upload).
  `DELETE /v1/datasets/{id}` removes a dataset at once.
- Usage: generated rows are metered per calendar month; past the tenant's window a generation is refused with 402
  `simio_row_quota_exceeded`. `GET /v1/usage` shows what remains.
- Tenancy: another tenant's ids answer 404, exactly like ids that never existed.
- Credentials: no credentials yet? `POST /v1/signup` and poll its `status_url` until an operator approves; it
  then shows a one-time `credential_claim_token` (72 hours by default) for `POST /v1/credential-claims`. The client
  secret is shown once: store it. To rotate, `POST /v1/credential-rotations` and claim the new token; the old
  secret works one more hour by default.
- Clients: in Python, `simulacra.api.client.Client` (in the `simulacra` package) mints and renews tokens, sends an
  Idempotency-Key per call (the same on its retries), retries after `Retry-After`, polls jobs, streams downloads
  and raises problems as `SimulacraError` (code, detail, fix, request_id). At a terminal: `simulacra login`,
  `simulacra datasets upload FILE --wait`, `simulacra generate ID --rows N --set segment=genz_switcher:0.3 --out
  rows.csv`, `simulacra effects ID --treatment price:4.99:5.49 --outcome purchase_intent`, `simulacra jobs watch
  ID`; `--json` for scripts; exit 2 refused, 3 server error, 4 timeout.
- Webhooks: instead of polling, `POST /v1/webhook-endpoints` with `{"url": "https://...", "event_types":
  ["job.succeeded", "job.failed", "job.partial", "dataset.expired", "dataset.deleted"]}` answers the signing
  `secret` (`whsec_...`) once. Each event is POSTed as JSON `{"type", "timestamp", "data"}` (`data` holds ids:
  `job_id`, `kind`, `status`, `dataset_id`, `generation_id` or `effect_id`, `error`) with the Standard Webhooks
  headers `webhook-id` (the event id: the same on every retry, de-duplicate on it), `webhook-timestamp` and
  `webhook-signature` (`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}" under the secret's base64-decoded
  bytes>`, several space-separated during a rotation's overlap). Answer 2xx quickly; anything else is retried
  with exponential backoff for a day. `GET /v1/webhook-endpoints/{id}/deliveries` lists each delivery's attempts;
  `POST .../rotate-secret` rotates with overlap. Only https URLs of public hosts. Guide: docs/webhooks.md.
- MCP: the same operations are MCP tools (operationIds in snake_case, the same schemas and `simio_*` errors as
  tool errors with their fix) at `/mcp` (Streamable HTTP, stateless; send the same bearer token; a 401 points at
  `/.well-known/oauth-protected-resource`, which names the issuer), and over stdio with `simulacra mcp` (client
  credentials from `SIMULACRA_CLIENT_ID`/`SIMULACRA_CLIENT_SECRET` and `SIMULACRA_URL`, or `simulacra login`).
  `create_dataset` takes `csv_text` (at most 5 MB) or, over stdio, `file_path`; a POST tool's Idempotency-Key is
  derived from its name and arguments, so a retry is safe; `wait_for_job` waits up to 60 s; `download_artifact`
  returns a fresh signed link and a preview. Resources: `simulacra://datasets/{id}/schema`, `.../graph`,
  `.../validation`, `simulacra://errors`, `simulacra://llms-full.txt`; prompts: explore-a-tracker,
  run-a-price-scenario, estimate-an-effect.
- Scopes: a token carries those its client was granted (ask for fewer with `scope` at the token URL); an
  operation refused for want of one answers 403 `simio_insufficient_scope`.
""" + "".join(f"  - `{scope}`: {scope.description}\n" for scope in Scope)


def llms_txt(operations: list[Operation], base_url: str) -> str:
    by_id = {op.operation_id: op for op in operations}
    steps = "\n".join(
        f"- [{by_id[op_id].summary}]({base_url}/llms-full.txt): `{by_id[op_id].method} {by_id[op_id].path}`"
        for op_id in FLOW
    )
    others = "\n".join(
        f"- [{op.summary}]({base_url}/llms-full.txt): `{op.method} {op.path}`"
        for op in operations
        if op.operation_id not in FLOW and op.tag != "meta"
    )
    return (
        f"# Simulacra\n\n> {SUMMARY}\n\n"
        "Do the flow below in order. Read the full manual before composing conditions.\n\n"
        f"## Flow\n\n{steps}\n\n## More operations\n\n{others}\n\n"
        f"## MCP\n\n- [MCP server]({base_url}/mcp): Streamable HTTP at `{base_url}/mcp`, the same bearer token; the "
        "operations above that take a token, credentials aside, as tools, plus `wait_for_job`, resources (schema, "
        "graph, validation, error codes) and prompts\n"
        "- `simulacra mcp`: the same tools over stdio for a local agent, with client credentials from the "
        "environment (`SIMULACRA_URL`, `SIMULACRA_CLIENT_ID`, `SIMULACRA_CLIENT_SECRET`)\n\n"
        f"## Reference\n\n- [Full manual for agents]({base_url}/llms-full.txt): every operation, field, rule and "
        f"error code\n- [OpenAPI 3.1]({base_url}/openapi.json)\n- [Error codes]({base_url}/errors): cause, fix "
        f"and retry for each\n- [Human reference]({base_url}/__docs__/)\n"
        f"- [Webhooks]({base_url}/llms-full.txt): signed events (Standard Webhooks) instead of polling; the guide is "
        "docs/webhooks.md\n\n"
        f"## Optional\n\n- [Health]({base_url}/healthz)\n- [Readiness]({base_url}/readyz)\n"
    )


def _fields(openapi: dict[str, Any], ref: dict[str, str] | None) -> list[str]:
    if not ref or "$ref" not in ref:
        return []
    schema = openapi["components"]["schemas"][ref["$ref"].rsplit("/", 1)[-1]]
    required = set(schema.get("required", []))
    lines = []
    for name, prop in schema.get("properties", {}).items():
        kind = prop.get("type") or (prop.get("$ref", "").rsplit("/", 1)[-1]) or "any"
        if "anyOf" in prop:
            kind = " | ".join(p.get("type") or p.get("$ref", "").rsplit("/", 1)[-1] for p in prop["anyOf"])
        flag = "required" if name in required else "optional"
        lines.append(f"  - `{name}` ({kind}, {flag}){': ' + prop['description'] if prop.get('description') else ''}")
    return lines


def llms_full_txt(operations: list[Operation], openapi: dict[str, Any], base_url: str) -> str:
    sections = [f"# Simulacra: the full manual\n\n> {SUMMARY}\n\nBase URL: {base_url}\n", RULES, "## Operations\n"]
    for op in operations:
        spec = openapi["paths"][op.path][op.method.lower()]
        body = spec.get("requestBody", {}).get("content", {})
        nothing: dict[str, Any] = {}
        first_body = next(iter(body.values()), nothing).get("schema")
        success = spec["responses"][str(op.status)].get("content", {})
        first_success = next(iter(success.values()), nothing).get("schema")
        lines = [f"### {op.operation_id}: {op.method} {op.path}", "", op.summary + ".", ""]
        if op.description:
            lines += [op.description, ""]
        lines.append(f"- Auth: {'bearer token with scope ' + ' or '.join(op.scopes) if op.scopes else 'none'}")
        if op.needs_idempotency_key:
            lines.append("- Header `Idempotency-Key` required.")
        if body:
            lines += [f"- Body ({', '.join(body)}):", *_fields(openapi, first_body)]
        lines += [f"- Success: {op.status}", *_fields(openapi, first_success)]
        lines.append("- Errors: " + ", ".join(f"`{c}` ({REGISTRY[c].status})" for c in op.all_errors()))
        sections.append("\n".join(lines) + "\n")
    sections.append("## Error codes\n")
    for code, spec in sorted(REGISTRY.items()):
        retry = "retryable with the same key" if spec.retryable else "not retryable"
        sections.append(f"- `{code}` ({spec.status}, {retry}): {spec.title}. Cause: {spec.cause} Fix: {spec.fix}")
    return "\n".join(sections) + "\n"
