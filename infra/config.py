"""Settings, read once at the edge from SIMULACRA_* environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
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
    control_db: str | None = None
    public_url: str | None = None
    audience: str = "https://api.simulacra.local"
    token_ttl_seconds: int = 3600
    claim_ttl_seconds: int = 7 * 24 * 3600
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
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def issuer(self) -> str:
        return self.base_url + "/"

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
    "control_db": str,
    "public_url": str,
    "audience": str,
    "token_ttl_seconds": int,
    "claim_ttl_seconds": int,
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
