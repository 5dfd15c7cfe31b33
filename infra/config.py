"""Settings, read once at the edge from SIMULACRA_* environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_TEMPORAL_PORT = 7233


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path(".simulacra")
    host: str = "127.0.0.1"
    port: int = 8000
    # None means "start the embedded Temporal dev server" (simulacra dev only).
    temporal_address: str | None = None
    temporal_namespace: str = "default"
    temporal_port: int = DEFAULT_TEMPORAL_PORT
    temporal_ui_port: int = 8233
    task_queue: str = "simulacra"
    storage_url: str | None = None
    # Encryption at rest: "module:factory" of a KeyProvider (a customer KMS), else the local KEK below.
    key_provider: str | None = None
    # Base64 of 32 bytes; unset means the key file keys/kek.key, created on first start.
    kek: str | None = field(default=None, repr=False)
    # Comma-separated base64 KEKs still accepted for unwrapping while data keys are re-wrapped (rotation).
    previous_keks: str | None = field(default=None, repr=False)
    control_db: str | None = None
    public_url: str | None = None
    # External issuer mode (e.g. an Auth0 tenant): set the issuer and tokens are verified against its JWKS
    # instead of the embedded issuer's keys.
    auth_issuer: str | None = None
    auth_jwks_url: str | None = None
    auth_audience: str = "https://api.simulacra.local"
    auth_tenant_claim: str = "https://simulacra.dev/tenant"
    token_ttl_seconds: int = 3600
    claim_ttl_seconds: int = 72 * 3600
    # After a rotation's claim token is redeemed, the previous secret keeps working this long.
    credential_overlap_seconds: int = 3600
    rotations_per_hour: int = 5
    tls_certfile: str | None = None
    tls_keyfile: str | None = None
    artifact_url_ttl_seconds: int = 900
    max_upload_bytes: int = 200 * 1024 * 1024
    max_generation_rows: int = 1_000_000
    # Rows a tenant may generate per calendar month unless the operator sets its own window.
    default_rows_per_period: int = 20_000
    default_retention_hours: int = 24
    # Test-only knob: how many seconds a "retention hour" lasts, so tests can watch expiry happen.
    retention_hour_seconds: int = 3600
    engine_processes: int = 2
    rate_limit_per_minute: int = 600
    log_level: str = "info"

    @property
    def resolved_temporal_address(self) -> str:
        return self.temporal_address or f"127.0.0.1:{self.temporal_port}"

    @property
    def resolved_storage_url(self) -> str:
        return self.storage_url or (self.data_dir / "storage").resolve().as_uri()

    @property
    def resolved_control_db(self) -> Path:
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
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


_ENV_FIELDS: dict[str, type] = {
    "data_dir": Path,
    "host": str,
    "port": int,
    "temporal_address": str,
    "temporal_namespace": str,
    "temporal_port": int,
    "temporal_ui_port": int,
    "task_queue": str,
    "storage_url": str,
    "key_provider": str,
    "kek": str,
    "previous_keks": str,
    "control_db": str,
    "public_url": str,
    "auth_issuer": str,
    "auth_jwks_url": str,
    "auth_audience": str,
    "auth_tenant_claim": str,
    "token_ttl_seconds": int,
    "claim_ttl_seconds": int,
    "credential_overlap_seconds": int,
    "rotations_per_hour": int,
    "tls_certfile": str,
    "tls_keyfile": str,
    "artifact_url_ttl_seconds": int,
    "max_upload_bytes": int,
    "max_generation_rows": int,
    "default_rows_per_period": int,
    "default_retention_hours": int,
    "retention_hour_seconds": int,
    "engine_processes": int,
    "rate_limit_per_minute": int,
    "log_level": str,
}


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from SIMULACRA_<FIELD> variables (e.g. SIMULACRA_DATA_DIR)."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for name, kind in _ENV_FIELDS.items():
        raw = env.get(f"SIMULACRA_{name.upper()}")
        if raw is None or raw == "":
            continue
        try:
            values[name] = kind(raw)
        except ValueError as exc:
            raise SystemExit(f"SIMULACRA_{name.upper()}={raw!r} is not a valid {kind.__name__}") from exc
    return Settings(**values)  # type: ignore[arg-type]
