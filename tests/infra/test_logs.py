"""Log formats: JSON by default, readable lines on request, and a clear refusal of anything else."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.stack import free_port

_LOG = (
    "import logging, sys; from simulacra.infra.logs import configure_logging, get_logger;"
    "configure_logging('info', sys.argv[1]); get_logger('api.request').info('request', status=200);"
    "logging.getLogger('temporalio.worker').warning('sdk line')"
)


def _log(fmt: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", _LOG, fmt], capture_output=True, text=True)


def test_json_is_one_object_a_line_for_ours_and_the_libraries() -> None:
    lines = _log("json").stderr.splitlines()
    assert [json.loads(line)["event"] for line in lines] == ["request", "sdk line"]


def test_console_lines_are_readable_and_uncoloured() -> None:
    lines = _log("console").stderr.splitlines()
    assert len(lines) == 2 and "request" in lines[0] and "status=200" in lines[0] and "sdk line" in lines[1]
    assert not any(line.lstrip().startswith("{") or "\x1b[" in line for line in lines)


def test_an_unknown_format_is_refused_by_name() -> None:
    refused = _log("xml")
    assert refused.returncode != 0 and "SIMULACRA_LOG_FORMAT must be one of json, console" in refused.stderr


_CORE_WARNING = """
import asyncio, logging, sys
from pathlib import Path
from simulacra.infra.devserver import DevServerOptions, start_dev_server, stop_process
from simulacra.infra.logs import configure_logging
from simulacra.infra.temporal import FAIL_FAST, connect

configure_logging("info", "json")
folder, port = Path(sys.argv[1]), int(sys.argv[2])
server = start_dev_server(DevServerOptions(folder / "t.sqlite", port, None, "default", (), folder / "t.log"))

async def main():
    client = await connect(f"127.0.0.1:{port}", "default", wait_seconds=60, retry=FAIL_FAST)
    stop_process(server)
    try:
        await client.get_workflow_handle("nobody").describe()
    except Exception:
        pass
    # The core hands its lines over in batches: wait (bounded) until the warning has come through.
    for _ in range(100):
        if forwarded:
            return
        await asyncio.sleep(0.1)

class Forwarded(logging.Handler):
    def emit(self, record):
        forwarded.append(record)

forwarded = []
logging.getLogger("temporalio.core").addHandler(Forwarded(logging.WARNING))
try:
    asyncio.run(main())
finally:
    stop_process(server)
"""


def test_the_temporal_cores_own_warnings_come_out_in_our_format(tmp_path: Path) -> None:
    # Temporal goes away under a connected client: the SDK's core retries the call and warns about it.
    script = [sys.executable, "-c", _CORE_WARNING, str(tmp_path), str(free_port())]
    lines = subprocess.run(script, capture_output=True, text=True, timeout=120).stderr.splitlines()
    records = [json.loads(line) for line in lines]  # every line ours: JSON, none raw from the core
    assert any(record["logger"].startswith("temporalio.core") and record["level"] == "warning" for record in records)
