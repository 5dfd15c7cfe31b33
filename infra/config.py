"""Settings, read once at the edge from SIMULACRA_* environment variables."""

from __future__ import annotations

import os
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

DEFAULT_TEMPORAL_PORT = 7233
# A control database named by one of these is PostgreSQL; anything else is a SQLite file's path.
POSTGRES_SCHEMES = ("postgresql://", "postgres://", "postgresql+psycopg://")


def setting(default: Any, doc: str, shown: str | None = None, secret: bool = False) -> Any:
    """A setting with what it means and, where the value is not telling, how the docs show its default.

    docs/operations.md's settings table is generated from these (infra/settings_table.py)."""
    return field(default=default, repr=not secret, metadata={"doc": doc, "shown": shown})


@dataclass(frozen=True)
class Settings:
    data_dir: Path = setting(Path(".simulacra"), "Temporal SQLite file, control database, keys, local storage")
    host: str = setting("127.0.0.1", "API bind address")
    port: int = setting(8000, "API port")
    public_url: str | None = setting(
        None, "base of `token_url`, the token issuer and artifact URLs", "`http://HOST:PORT` (https with TLS)"
    )
    # None means "start the embedded Temporal dev server" (simulacra dev only).
    temporal_address: str | None = setting(
        None, "use an existing Temporal (host:port) instead of starting one", "embedded"
    )
    temporal_namespace: str = setting("default", "Temporal namespace")
    temporal_tls: bool = setting(
        False, "connect to Temporal over TLS (on by itself with any `TEMPORAL_TLS_*` setting or an API key)", "off"
    )
    temporal_tls_ca: str | None = setting(
        None, "PEM file of the CA that signed the Temporal server's certificate", "the system's trust roots"
    )
    temporal_tls_cert: str | None = setting(None, "PEM client certificate for mTLS to Temporal (with its key)", "unset")
    temporal_tls_key: str | None = setting(None, "PEM private key of the Temporal client certificate", "unset")
    temporal_tls_server_name: str | None = setting(
        None, "name sent as SNI and checked in the server's certificate", "the address's host"
    )
    temporal_api_key: str | None = setting(
        None, "Temporal Cloud API key (sent as a bearer token; turns TLS on)", "unset", secret=True
    )
    temporal_port: int = setting(DEFAULT_TEMPORAL_PORT, "embedded Temporal gRPC port (`simulacra dev`)")
    temporal_ui_port: int = setting(8233, "embedded Temporal Web UI port (`simulacra dev`)")
    task_queue: str = setting("simulacra", "task queue shared by API and workers")
    payload_codec: bool = setting(
        True,
        "encrypt every Temporal payload (AES-256-GCM under a data key wrapped by the KEK); read them through "
        "`simulacra codec-server`",
    )
    codec_server_host: str = setting("127.0.0.1", "`simulacra codec-server` bind address")
    codec_server_port: int = setting(8234, "`simulacra codec-server` port (`simulacra dev` starts one; 0 = not)")
    codec_server_secret: str | None = setting(
        None,
        "what callers of the codec server present (`Authorization: Bearer ...` or the endpoint's first path segment)",
        "random, kept in `DATA_DIR/keys/codec-server.secret`",
        secret=True,
    )
    codec_server_origins: str | None = setting(
        None,
        "comma-separated Web UI origins the codec server answers (CORS), e.g. `https://cloud.temporal.io`",
        "the embedded UI's (`http://127.0.0.1:8233`, `http://localhost:8233`)",
    )
    storage_url: str | None = setting(
        None, "any fsspec URL (`s3://bucket/prefix` with `s3fs` installed)", "`DATA_DIR/storage`"
    )
    key_provider: str | None = setting(
        None, "`module:factory` of a KMS key provider (see docs/security.md)", "local KEK"
    )
    kek: str | None = setting(
        None,
        "the key-encryption key: base64 of 32 bytes (the key file is created on first start)",
        "`DATA_DIR/keys/kek.key`",
        secret=True,
    )
    previous_keks: str | None = setting(
        None, "comma-separated old KEKs, still accepted while data keys are re-wrapped", "none", secret=True
    )
    control_db: str | None = setting(
        None,
        "the control database (clients, idempotency, usage, audit, rate limits, signing keys, webhooks): a SQLite "
        "file, or `postgresql://user:password@host:port/db`, migrated by `simulacra admin migrate` "
        "(docs/deployment.md)",
        "`DATA_DIR/control.sqlite3`",
    )
    auth_issuer: str | None = setting(
        None,
        "an external issuer (e.g. `https://acme.eu.auth0.com/`): tokens are verified against its JWKS instead",
        "unset (embedded issuer)",
    )
    auth_jwks_url: str | None = setting(None, "the external issuer's JWKS", "`ISSUER.well-known/jwks.json`")
    auth_audience: str = setting("https://api.simulacra.local", "audience of issued and accepted tokens")
    auth_tenant_claim: str = setting("https://simulacra.dev/tenant", "the claim that carries the tenant id")
    token_ttl_seconds: int = setting(3600, "lifetime of tokens the embedded issuer mints")
    claim_ttl_seconds: int = setting(72 * 3600, "lifetime of one-time claim tokens")
    credential_overlap_seconds: int = setting(3600, "how long the previous secret works after a rotation is redeemed")
    rotations_per_hour: int = setting(5, "rotations a client may request per hour (then 429)")
    tls_certfile: str | None = setting(None, "PEM certificate: serve HTTPS only (with the key)", "unset")
    tls_keyfile: str | None = setting(None, "PEM private key of the certificate", "unset")
    artifact_url_ttl_seconds: int = setting(900, "how long an `artifact_url` works")
    max_upload_bytes: int = setting(
        2 * 1024**3,
        "upload cap (413 `simio_file_too_large`); the API streams uploads to storage, so its memory stays flat",
        "2 GiB",
    )
    max_table_rows: int = setting(2_000_000, "most rows a seed table may decode to (`simio_table_too_large`)")
    max_table_columns: int = setting(300, "most columns a seed table may have (`simio_too_many_columns`)")
    max_table_cells: int = setting(
        50_000_000, "most cells (rows x columns) a seed table may decode to (`simio_table_too_large`)"
    )
    fit_sample_rows: int = setting(
        100_000,
        "a seed with more rows is learnt (discovery, fitting) from a seeded sample of this many rows, stratified "
        "on its categorical columns; the rest are held out for validation (0 = always the whole table)",
    )
    max_generation_rows: int = setting(
        100_000_000,
        "largest `row_count` (above it 400 `simio_invalid_field`); tenants' row windows still apply; "
        "the request schema's own ceiling is 100,000,000, so only a lower cap takes effect",
    )
    generation_shard_rows: int = setting(
        250_000,
        "rows per shard: a larger generation runs as shards, each an engine job any worker may take, "
        "combined into one artifact by streaming; bounds an engine process's memory",
    )
    generation_parallel_shards: int = setting(8, "most shards of one generation running at once, across all workers")
    default_rows_per_period: int = setting(
        20_000, "generated rows per tenant per month unless the operator sets the tenant's own window"
    )
    default_retention_hours: int = setting(24, "how long datasets and generations live")
    retention_hour_seconds: int = setting(
        3600, 'test-only: how many seconds a retention "hour" lasts, so tests can watch expiry'
    )
    engine_processes: int = setting(2, "engine processes per worker")
    engine_memory_limit_mb: int | None = setting(
        None,
        "address-space limit of each engine process, in MiB; a job past it fails with "
        "`simio_engine_memory_exceeded`; 0 turns it off",
        "3/4 of the machine's memory split among the engine processes, at least 4096",
    )
    rate_limit_per_minute: int = setting(
        600, "requests per tenant (or per address on open endpoints) per minute, counted across all API replicas"
    )
    metrics_host: str = setting(
        "127.0.0.1", "bind address of the Prometheus `/metrics` listeners (loopback: expose them deliberately)"
    )
    api_metrics_port: int = setting(9464, "the API process's `/metrics` port, apart from the API's own; 0 turns it off")
    worker_metrics_port: int = setting(
        9465, "the worker's `/metrics` port (jobs, stages, engine processes); 0 turns it off"
    )
    worker_sdk_metrics_port: int = setting(
        9466, "the worker's Temporal SDK metrics (its runtime's Prometheus exporter); 0 turns it off"
    )
    webhook_allow_private: bool = setting(
        False,
        "deliver webhooks to loopback, private, link-local and metadata addresses too (trusted networks and tests)",
        "off",
    )
    webhook_allow_http: bool = setting(False, "accept `http://` webhook URLs, not only `https://` (tests)", "off")
    webhook_max_endpoints: int = setting(20, "webhook endpoints a tenant may have")
    webhook_first_retry_seconds: float = setting(5.0, "wait before a failed webhook delivery's first retry (doubling)")
    webhook_max_retry_seconds: float = setting(3600.0, "longest wait between two attempts of a webhook delivery")
    webhook_deadline_seconds: float = setting(
        24 * 3600.0, "how long a webhook delivery is retried before it is marked failed", "86400 (a day)"
    )
    webhook_attempt_timeout_seconds: float = setting(15.0, "how long one webhook attempt may take (connect to answer)")
    webhook_secret_overlap_seconds: int = setting(
        24 * 3600, "how long a rotated webhook secret keeps signing beside the new one", "86400 (a day)"
    )
    log_level: str = setting("info", "logs on stderr, each request line with its `request_id`")
    log_format: str = setting(
        "json", "`json` (an object a line) or `console` (readable lines; `simulacra dev` on a terminal)"
    )
    otlp_endpoint: str | None = setting(
        None,
        "OTLP/HTTP collector base URL (e.g. `http://127.0.0.1:4318`): traces are exported to its `/v1/traces`",
        "unset (no tracing)",
    )

    @property
    def resolved_temporal_address(self) -> str:
        return self.temporal_address or f"127.0.0.1:{self.temporal_port}"

    @property
    def resolved_storage_url(self) -> str:
        return self.storage_url or (self.data_dir / "storage").resolve().as_uri()

    @property
    def resolved_control_db(self) -> Path | str:
        """A SQLite file's path, or a PostgreSQL URL as given."""
        if self.control_db and self.control_db.startswith(POSTGRES_SCHEMES):
            return self.control_db
        return Path(self.control_db) if self.control_db else self.data_dir / "control.sqlite3"

    @property
    def tls(self) -> bool:
        return bool(self.tls_certfile and self.tls_keyfile)

    @property
    def base_url(self) -> str:
        scheme = "https" if self.tls else "http"
        return (self.public_url or f"{scheme}://{self.host}:{self.port}").rstrip("/")

    @property
    def external_auth(self) -> bool:
        return self.auth_issuer is not None

    @property
    def issuer(self) -> str:
        """The `iss` every accepted token carries: the external issuer's, or the embedded one's."""
        return self.auth_issuer or self.base_url + "/"

    @property
    def jwks_url(self) -> str:
        return self.auth_jwks_url or self.issuer.rstrip("/") + "/.well-known/jwks.json"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    def with_overrides(self, **overrides: object) -> Settings:
        """Command-line flags win over the environment; None means "not given"."""
        given: dict[str, Any] = {k: v for k, v in overrides.items() if v is not None}
        return replace(self, **given)


def env_var(name: str) -> str:
    return f"SIMULACRA_{name.upper()}"


def _parser(annotation: object) -> type:
    """The type an environment string is parsed as: `int | None` -> int."""
    options = [kind for kind in typing.get_args(annotation) if kind is not type(None)] or [annotation]
    return options[0]  # type: ignore[return-value]


SETTING_TYPES: dict[str, type] = {
    name: _parser(hint) for name, hint in typing.get_type_hints(Settings).items() if not name.startswith("_")
}


def _boolean(raw: str) -> bool:
    value = raw.strip().lower()
    if value not in _BOOLEANS:
        raise ValueError(raw)
    return _BOOLEANS[value]


_BOOLEANS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from SIMULACRA_<FIELD> variables (e.g. SIMULACRA_DATA_DIR)."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for name, kind in SETTING_TYPES.items():
        raw = env.get(env_var(name))
        if raw is None or raw == "":
            continue
        try:
            values[name] = _boolean(raw) if kind is bool else kind(raw)
        except ValueError as exc:
            raise SystemExit(f"{env_var(name)}={raw!r} is not a valid {kind.__name__}") from exc
    return Settings(**values)  # type: ignore[arg-type]
