"""Where `simulacra login` keeps a client's credentials: one JSON file only its user can read."""

from __future__ import annotations

import json
import os
from pathlib import Path

from simulacra.api.client.models import Credentials

FILE_VARIABLE = "SIMULACRA_CREDENTIALS"


def credentials_file(override: str | None = None) -> Path:
    """--credentials, else $SIMULACRA_CREDENTIALS, else $XDG_CONFIG_HOME/simulacra/credentials.json
    (~/.config when XDG_CONFIG_HOME is unset)."""
    if override:
        return Path(override).expanduser()
    if os.environ.get(FILE_VARIABLE):
        return Path(os.environ[FILE_VARIABLE]).expanduser()
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "simulacra" / "credentials.json"


def save(path: Path, url: str, credentials: Credentials) -> None:
    """Written to a fresh file created with mode 0600 and moved over the old one, so the secret is never readable
    by others, not even for a moment, and a crash never leaves half a file."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as out:
        json.dump({"url": url, **credentials.model_dump()}, out, indent=2)
    staged.replace(path)


def load(path: Path) -> tuple[str, Credentials]:
    stored = json.loads(path.read_text())
    return str(stored.pop("url")), Credentials.model_validate(stored)
