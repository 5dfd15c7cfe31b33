"""The one registry of simio_* error codes, and the exception endpoints raise.

The registry drives problem+json responses and the /errors pages alike, so a code
cannot exist without its documentation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulacra.infra.scopes import Scope


@dataclass(frozen=True)
class ErrorSpec:
    status: int
    title: str
    retryable: bool
    cause: str
    fix: str


# Every scope, as prose names them: "a, b or c".
_EVERY_SCOPE = f"{', '.join(list(Scope)[:-1])} or {list(Scope)[-1]}"

REGISTRY: dict[str, ErrorSpec] = {
    "simio_unauthorized": ErrorSpec(
        401,
        "Missing or invalid access token",
        False,
        "The request had no `Authorization: Bearer` token, or the token failed verification (signature, issuer, audience, expiry).",
        "Mint a fresh token at the token URL with your client credentials and send it as `Authorization: Bearer <token>`.",
    ),
    "simio_insufficient_scope": ErrorSpec(
        403,
        "Token lacks the required scope",
        False,
        f"The access token is valid but was not granted the scope this operation needs ({_EVERY_SCOPE}).",
        "Mint a token with the needed scope (`scope` parameter at the token URL), or ask your operator to grant it to the client.",
    ),
    "simio_invalid_client": ErrorSpec(
        401,
        "Invalid client credentials",
        False,
        "The token endpoint could not authenticate the client_id and client_secret.",
        "Check the credentials you claimed; claim new ones with a fresh credential claim token if they are lost.",
    ),
    "simio_unsupported_grant_type": ErrorSpec(
        400,
        "Unsupported grant type",
        False,
        "The token endpoint only supports the OAuth2 client-credentials grant.",
        "Send `grant_type=client_credentials`.",
    ),
    "simio_invalid_scope": ErrorSpec(
        400,
        "Scope not granted to this client",
        False,
        "The token request asked for a scope the client does not hold.",
        "Ask for a subset of the client's scopes, or omit `scope` to get all of them.",
    ),
    "simio_credential_claim_not_found": ErrorSpec(
        404,
        "Credential claim token not found",
        False,
        "The claim token is unknown, already used or expired. Claim tokens are one-time-use.",
        "Ask your operator for a new claim token (`simulacra admin create-client`).",
    ),
    "simio_rotation_claim_already_consumed": ErrorSpec(
        410,
        "Rotation claim token already redeemed",
        False,
        "This rotation's one-time claim token was already exchanged for a new secret: presenting it again, or replaying the rotation request, cannot show that secret twice.",
        "Use the secret from the first redemption. If nobody on your side redeemed it, treat the client as compromised: revoke it (DELETE /v1/clients/{client_id}) and request a new rotation or client.",
    ),
    "simio_rotation_rate_limited": ErrorSpec(
        429,
        "Too many credential rotations",
        True,
        "The client asked for more rotations in the last hour than the operator allows (SIMULACRA_ROTATIONS_PER_HOUR, default 5).",
        "Wait for the number of seconds in `Retry-After`; redeem the rotation you already have instead of asking for another.",
    ),
    "simio_rotation_request_not_found": ErrorSpec(
        404,
        "Rotation request not found",
        False,
        "No credential rotation with this id exists for your tenant.",
        "Use the `rotation_id` returned by POST /v1/credential-rotations with a token of the same tenant.",
    ),
    "simio_signup_not_found": ErrorSpec(
        404,
        "Signup request not found",
        False,
        "No signup request has this id. The id is the requester's only handle on the request.",
        "Use the `request_id` from your POST /v1/signup response, or submit a new request.",
    ),
    "simio_client_not_found": ErrorSpec(
        404,
        "Client not found",
        False,
        "No live API client with this id exists in your tenant (it may be revoked already, or belong to another tenant).",
        "List your tenant's clients with the operator, or check the `client_id` from the claim response.",
    ),
    "simio_idempotency_key_required": ErrorSpec(
        400,
        "Idempotency-Key header required",
        False,
        "Every POST under /v1 must carry an `Idempotency-Key` header so that retries are safe.",
        "Send a unique key per logical request (a UUID is fine) and reuse it when retrying that request.",
    ),
    "simio_invalid_idempotency_key": ErrorSpec(
        400,
        "Malformed Idempotency-Key",
        False,
        "The key must match ^[A-Za-z0-9._:-]{1,255}$, optionally as a quoted string.",
        "Use a UUID or another token of allowed characters.",
    ),
    "simio_idempotency_conflict": ErrorSpec(
        422,
        "Idempotency-Key reused for a different request",
        False,
        "The key was already used with a different method, path or body.",
        "Use a new key for a new request; reuse a key only to retry the identical request.",
    ),
    "simio_idempotency_in_flight": ErrorSpec(
        409,
        "Request with this Idempotency-Key is in flight",
        True,
        "An identical request with the same key is still being processed.",
        "Wait for `Retry-After` seconds and retry with the same key.",
    ),
    "simio_invalid_field": ErrorSpec(
        400,
        "Invalid field",
        False,
        "A field of the request is missing, of the wrong type or out of range; `errors` lists each with a JSON pointer.",
        "Correct the named fields and send the request again.",
    ),
    "simio_invalid_json": ErrorSpec(
        400,
        "Body is not valid JSON",
        False,
        "The request body could not be parsed as a JSON object.",
        "Send a JSON object with `Content-Type: application/json`.",
    ),
    "simio_body_too_large": ErrorSpec(
        413,
        "Request body too large",
        False,
        "A JSON body exceeded 256 KiB, or the multipart form around an upload had too many or too large fields.",
        "Send a smaller body; conditions and form fields are small by nature.",
    ),
    "simio_unsupported_content_type": ErrorSpec(
        415,
        "Unsupported content type",
        False,
        "The body's Content-Type is not the one the operation takes: uploads are `multipart/form-data` with the table in a field named `file`; every other body is JSON.",
        "Send uploads as multipart form data (`curl -F file=@table.csv`) and other bodies with `Content-Type: application/json` (`curl -H 'Content-Type: application/json' -d '{...}'`).",
    ),
    "simio_upload_invalid": ErrorSpec(
        400,
        "Upload could not be used",
        False,
        "The uploaded table is missing, empty, unparseable or has too few usable rows or columns.",
        "Upload a CSV (with a header row), Parquet, Arrow or SPSS .sav file with at least 20 rows and two usable "
        "columns.",
    ),
    "simio_file_too_large": ErrorSpec(
        413,
        "File too large",
        False,
        "The upload exceeds the server's size limit.",
        "Upload a smaller file, or ask your operator to raise SIMULACRA_MAX_UPLOAD_BYTES.",
    ),
    "simio_dataset_not_found": ErrorSpec(
        404,
        "Dataset not found",
        False,
        "No dataset with this id exists for your tenant (it may never have existed, have expired or been deleted).",
        "List your datasets or upload the table again.",
    ),
    "simio_dataset_not_ready": ErrorSpec(
        409,
        "Dataset not ready",
        True,
        "The dataset is still being cleaned and modelled, or an edited graph of it is being refitted.",
        "Poll the dataset's job until `status` is `ready`, then retry with the same Idempotency-Key.",
    ),
    "simio_dataset_failed": ErrorSpec(
        409,
        "Dataset processing failed",
        False,
        "The dataset's job ended in `failed` (its `error` says why, e.g. an unusable upload), so it has no model to generate from.",
        "Fix the table and upload it again under a new Idempotency-Key.",
    ),
    "simio_graph_cycle": ErrorSpec(
        422,
        "Edit would make the graph cyclic",
        False,
        "An edit at the pointed position closes a cycle; a causal graph must stay acyclic (the detail names the cycle).",
        "Remove or reverse an edge of that cycle in the same request.",
    ),
    "simio_graph_hint_conflict": ErrorSpec(
        422,
        "Edit contradicts the causal hints",
        False,
        "An edit adds a forbidden edge, points from a later tier to an earlier one, or removes a required edge given at upload.",
        "Change the edit, or upload the table again with different causal_hints.",
    ),
    "simio_graph_version_conflict": ErrorSpec(
        409,
        "Graph changed meanwhile",
        True,
        "Another edit refitted the model after you read the graph.",
        "Fetch the graph again, reapply your edits to it, and send them.",
    ),
    "simio_cursor_not_found": ErrorSpec(
        404,
        "Cursor not found",
        False,
        "The `cursor` is not a `next_cursor` this API returned for this list (or it was altered).",
        "Start again without `cursor`, then follow each page's `next_cursor` as it is.",
    ),
    "simio_job_not_found": ErrorSpec(
        404,
        "Job not found",
        False,
        "No job with this id exists for your tenant.",
        "Use the `job_id` returned by the create request.",
    ),
    "simio_generation_not_found": ErrorSpec(
        404,
        "Generation not found",
        False,
        "No generation with this id exists for your tenant (or it expired). An authentic, unexpired artifact link that was issued to another tenant answers this too, on purpose: another tenant's resources are indistinguishable from missing ones, so such a link behaves exactly like your own link to a generation that no longer exists, and tells you nothing about whether the other tenant's generation still exists.",
        "Use the `generation_id` returned by the create request, and the `artifact_url` your own tenant received.",
    ),
    "simio_effect_not_found": ErrorSpec(
        404,
        "Effect not found",
        False,
        "No effect with this id exists for your tenant, its retention window ended, or its dataset was deleted or expired (an effect describes its dataset's model and goes with it). Another tenant's effect ids answer this too.",
        "Use the `effect_id` returned by `POST /v1/datasets/{id}/effects`; if the dataset is gone, upload it again and ask for the effect anew.",
    ),
    "simio_artifact_not_ready": ErrorSpec(
        409,
        "Artifact not ready",
        True,
        "The generation has not finished writing its artifact.",
        "Poll the generation's job until it is `ready` or `partial`.",
    ),
    "simio_range_not_satisfiable": ErrorSpec(
        416,
        "Range not satisfiable",
        False,
        "The `Range` header asks for bytes that start at or past the end of the artifact (its size is in the "
        "`Content-Range: bytes */{size}` header of this answer).",
        "Ask for a range that starts before the artifact's size, e.g. `Range: bytes={received}-` to resume a "
        "download, or send no `Range` for the whole file.",
    ),
    "simio_invalid_signature": ErrorSpec(
        403,
        "Invalid download link",
        False,
        "The artifact URL's (or a report's `report_url`'s) `expires` or `signature` is missing, malformed or altered: no link the API issued reads like this. The signature is checked before anything else, so a link that was tampered with is never reported as expired or as another tenant's.",
        "Use the `artifact_url` or `report_url` exactly as returned (all of its query string), or read the generation (or dataset, or effect) again to get a fresh one.",
    ),
    "simio_signature_expired": ErrorSpec(
        403,
        "Download link expired",
        False,
        "The artifact URL is authentic but its window (15 minutes by default) has passed; expiry is judged before whose link it is, since the URL shows its `expires` to anyone holding it. 403 rather than 410: the artifact itself may well still be there, only this link is refused, as object stores refuse an expired presigned URL.",
        "Fetch the generation again (`GET /v1/generations/{id}`) to get a fresh `artifact_url`, and download within its window. A report link (`report_url`) expires the same way: read its dataset, generation or effect again for a fresh one.",
    ),
    "simio_unknown_condition_column": ErrorSpec(
        400,
        "Unknown condition column",
        False,
        "A condition names a column that is not in the dataset's cleaned schema.",
        "Build conditions from `GET /v1/datasets/{id}/schema`, using cleaned column names.",
    ),
    "simio_unknown_condition_level": ErrorSpec(
        400,
        "Unknown condition level",
        False,
        "A categorical condition names a level the column does not have.",
        "Use one of the column's `levels` from the schema.",
    ),
    "simio_row_quota_exceeded": ErrorSpec(
        402,
        "Row window exceeded",
        False,
        "The generation would take the tenant past its rows for this calendar month (the first 20,000 rows are free; operators set larger windows).",
        "Ask for fewer rows (see `GET /v1/usage` for what remains), or ask your operator to raise the window.",
    ),
    "simio_quota_reservation_conflict": ErrorSpec(
        409,
        "Rows held by running generations",
        True,
        "The rows would fit only if generations still running make fewer rows than they reserved.",
        "Retry with the same Idempotency-Key after `Retry-After` seconds, when the running generations have settled.",
    ),
    "simio_rate_limited": ErrorSpec(
        429,
        "Too many requests",
        True,
        "The tenant sent more requests than its rate allows (the `RateLimit-*` headers say how many and when they reset).",
        "Wait `Retry-After` seconds, then retry with the same Idempotency-Key.",
    ),
    "simio_not_found": ErrorSpec(
        404, "No such route", False, "The path does not exist.", "Check the path against /openapi.json."
    ),
    "simio_method_not_allowed": ErrorSpec(
        405,
        "Method not allowed",
        False,
        "The path exists but not with this HTTP method.",
        "Check the method against /openapi.json.",
    ),
    "simio_service_unavailable": ErrorSpec(
        503,
        "Service temporarily unavailable",
        True,
        "A backing service (Temporal or storage) did not answer.",
        "Retry with the same Idempotency-Key after a short wait.",
    ),
    "simio_too_many_columns": ErrorSpec(
        422,
        "The table has too many columns",
        False,
        "The seed table has more columns than the service accepts (`SIMULACRA_MAX_TABLE_COLUMNS`, 300 unless "
        "your operator changed it). The dataset job fails while cleaning, before any model is built.",
        "Drop the columns the model does not need (respondent ids, open-text answers, timestamps) or split a "
        "wide survey into several datasets, then upload again.",
    ),
    "simio_table_too_large": ErrorSpec(
        422,
        "The table decodes to too many rows or cells",
        False,
        "The file is small enough to upload but decodes to more rows or cells than the service accepts "
        "(`SIMULACRA_MAX_TABLE_ROWS`, `SIMULACRA_MAX_TABLE_CELLS`), or a gzip CSV decompresses to more than "
        "the upload cap. Compressed Parquet, Arrow, SPSS and gzip files can hold far more than their size.",
        "Upload a random sample of the rows: the model needs far fewer rows than that to learn the structure.",
    ),
    "simio_model_too_complex": ErrorSpec(
        422,
        "The table's structure is too entangled to learn in bounded time",
        False,
        "Discovery asks independence questions of pairs of columns; when nearly every column depends on every "
        "other (a battery of ratings all driven by one attitude) their number explodes. The default discovery "
        "estimates that cost first and learns such a table with a score search instead (the graph's algorithm is "
        "then `boss`); if PC still passes its fixed budget of tests (about a minute of work), the score search "
        "takes over. So the default discovery does not answer with this code today; it stays a stable code for "
        "a discovery that must use independence tests alone, which would fail here at once instead of running for "
        "hours, and would fail the same way on a retry.",
        "Merge a battery of ratings into one score (its mean), drop the ratings your scenarios do not need, or "
        "split the survey into several datasets.",
    ),
    "simio_engine_memory_exceeded": ErrorSpec(
        422,
        "The job needs more memory than the engine may use",
        False,
        "Building the model (or generating from it) needed more memory than an engine process is allowed, or the "
        "system ended the engine process for want of memory several times. Wide batteries of correlated ratings "
        "cost the most. The job failed at once: retrying the same table would fail the same way.",
        "Upload fewer columns or rows (drop or merge rating batteries, split a wide survey into several datasets), "
        "or ask your operator to raise `SIMULACRA_ENGINE_MEMORY_LIMIT_MB`.",
    ),
    "simio_webhook_url_invalid": ErrorSpec(
        400,
        "Webhook URL is not usable",
        False,
        "The webhook endpoint's `url` is not an absolute `https://` URL with a host, or it carries credentials "
        "(`user:password@`) or a `#fragment`, or it is longer than 2,048 characters or not ASCII.",
        "Send the full URL of your receiver, e.g. `https://hooks.example.com/simulacra`; put any token in the path "
        "or query, and verify deliveries by their `webhook-signature` instead of a password.",
    ),
    "simio_webhook_url_insecure": ErrorSpec(
        400,
        "Webhook URL must use https",
        False,
        "Webhooks are delivered over TLS only: an `http://` URL would send signed events, and the data they name, "
        "in clear.",
        "Serve your receiver over https (a certificate from any public CA) and register its `https://` URL.",
    ),
    "simio_webhook_url_not_allowed": ErrorSpec(
        400,
        "Webhook URL points at a private address",
        False,
        "The URL's host is, or resolves to, a loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7), "
        "link-local (169.254/16, where cloud metadata lives) or otherwise non-public address. Deliveries are "
        "checked again at every attempt, after resolving the name, and refused the same way.",
        "Register a publicly reachable URL. An operator on a trusted network can allow private addresses with "
        "`SIMULACRA_WEBHOOK_ALLOW_PRIVATE=true`.",
    ),
    "simio_webhook_endpoint_not_found": ErrorSpec(
        404,
        "Webhook endpoint not found",
        False,
        "No webhook endpoint with this id exists in your tenant (it may be deleted, or belong to another tenant).",
        "List your endpoints with GET /v1/webhook-endpoints and use an `endpoint_id` from there.",
    ),
    "simio_webhook_endpoint_limit": ErrorSpec(
        409,
        "Too many webhook endpoints",
        False,
        "The tenant already has as many webhook endpoints as the operator allows (`SIMULACRA_WEBHOOK_MAX_ENDPOINTS`, "
        "default 20).",
        "Delete an endpoint you no longer use (DELETE /v1/webhook-endpoints/{endpoint_id}), or subscribe one "
        "endpoint to several event types.",
    ),
    "simio_internal": ErrorSpec(
        500,
        "Internal error",
        True,
        "Something failed on our side. No details are exposed.",
        "Retry with the same Idempotency-Key; if it persists, contact support with the request id.",
    ),
}


class ApiError(Exception):
    """Raised by endpoints; the exception handler renders it as problem+json."""

    def __init__(self, code: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any) -> None:
        if code not in REGISTRY:
            raise KeyError(f"unregistered error code {code}")
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra

    @property
    def spec(self) -> ErrorSpec:
        return REGISTRY[self.code]


# Codes no request is answered with: they reach the client only as a failed job's `error.code`.
JOB_FAILURE_CODES = (
    "simio_too_many_columns",
    "simio_table_too_large",
    "simio_model_too_complex",
    "simio_engine_memory_exceeded",
)

SUPPORT = "Send support the request_id from the response body (also the X-Request-Id header)."


def example_problem(code: str, base_url: str, instance: str) -> dict[str, Any]:
    """What an answer with this code looks like (OpenAPI's examples and the /errors pages show it)."""
    spec = REGISTRY[code]
    return {
        "type": f"{base_url}/errors/{code}",
        "title": spec.title,
        "status": spec.status,
        "detail": spec.cause,
        "instance": instance,
        "code": code,
        "retryable": spec.retryable,
        "request_id": "req_0123456789abcdef0123456789abcdef",
        "doc_url": f"{base_url}/errors/{code}",
    }
