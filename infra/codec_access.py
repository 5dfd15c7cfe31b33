"""Who may use the codec server, and the endpoint a Temporal Web UI is given.

A shared secret rather than our OAuth tokens: those belong to tenants' clients, and the codec reads every
tenant's payloads, so no tenant token may unlock it; and a Web UI without its own single sign-on cannot
send a header at all. So the secret travels either as `Authorization: Bearer <secret>` (the `temporal`
CLI's `--codec-auth`, scripts) or as the first path segment of the endpoint a Web UI is configured with.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from simulacra.infra.keyfiles import read_or_create

if TYPE_CHECKING:
    from simulacra.infra.config import Settings

SECRET_FILE = "codec-server.secret"


def codec_server_secret(settings: Settings) -> str:
    """The configured secret, or the one created once under the data directory's keys."""
    if settings.codec_server_secret:
        return settings.codec_server_secret
    return read_or_create(settings.keys_dir / SECRET_FILE, lambda: secrets.token_urlsafe(32).encode()).decode().strip()


def ui_origins(settings: Settings) -> list[str]:
    """The browser origins allowed to call the codec server: configured, else the embedded Web UI's."""
    if settings.codec_server_origins:
        return [origin.strip().rstrip("/") for origin in settings.codec_server_origins.split(",") if origin.strip()]
    return [f"http://{host}:{settings.temporal_ui_port}" for host in ("127.0.0.1", "localhost")]


def ui_codec_endpoint(settings: Settings) -> str:
    """What a Web UI without single sign-on is given as its codec endpoint: the secret is the path."""
    return f"http://{settings.codec_server_host}:{settings.codec_server_port}/{codec_server_secret(settings)}"
