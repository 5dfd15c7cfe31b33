"""`simulacra dev` as a test drives it: started from outside the checkout on free ports, stopped with Ctrl-C,
and driven over real HTTP while its children are killed (tests/test_chaos.py, bench/chaos.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import select

from simulacra.infra.control_tables import idempotency
from simulacra.infra.controldb import ControlDB
from simulacra.infra.storage import PARTIAL_SUFFIX
from tests.stack import TERMINAL, free_port, poll_until


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "simulacra.infra.cli", *args]


def dev_ports() -> dict[str, int]:
    return {
        "port": free_port(),
        "temporal": free_port(),
        "ui": free_port(),
        "api_metrics": free_port(),
        "worker_metrics": free_port(),
        "worker_sdk_metrics": free_port(),
        "codec_server": free_port(),
    }


def start_dev(
    data_dir: Path,
    ports: dict[str, int],
    log: Path,
    tmp_dir: Path | None = None,
    settings: dict[str, str] | None = None,
) -> subprocess.Popen[str]:
    """Start `simulacra dev`; with `tmp_dir`, every temporary file of the stack goes there (TMPDIR), to be
    checked; `settings` are extra SIMULACRA_* variables."""
    metrics = ("api_metrics", "worker_metrics", "worker_sdk_metrics", "codec_server")
    env = {**os.environ, **{f"SIMULACRA_{name.upper()}_PORT": str(ports[name]) for name in metrics}, **(settings or {})}
    if tmp_dir is not None:
        tmp_dir.mkdir(parents=True, exist_ok=True)
        env["TMPDIR"] = str(tmp_dir)
    command = cli(
        "dev",
        "--data-dir",
        str(data_dir),
        "--port",
        str(ports["port"]),
        "--temporal-port",
        str(ports["temporal"]),
        "--ui-port",
        str(ports["ui"]),
    )
    # Run from outside the checkout: the installed package must work wherever the user stands.
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=open(log, "ab"), text=True, cwd=log.parent, env=env)


def wait_for_banner(process: subprocess.Popen[str]) -> str:
    """Read stdout until the banner's last line: the supervisor prints it once everything answers."""
    seen = []
    assert process.stdout is not None
    for line in process.stdout:
        seen.append(line)
        if line.startswith("Stop with Ctrl-C"):
            return "".join(seen)
    raise AssertionError(f"simulacra dev exited ({process.wait()}) before it was ready: {''.join(seen)}")


def stop_dev(process: subprocess.Popen[str]) -> int:
    process.send_signal(signal.SIGINT)
    return process.wait(timeout=60)


# --- Driving a running stack from outside, as the chaos tests and bench/chaos.py do --------------------------------

WORKER, API, TEMPORAL = "simulacra.infra.cli worker", "simulacra.infra.cli api", "temporal server start-dev"


def _proc_fields(pid: int) -> tuple[int, str, str, bytes] | None:
    """(parent pid, state, command line, environment) of a live process, or None once it is gone."""
    entry = Path("/proc") / str(pid)
    try:
        stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        environ = (entry / "environ").read_bytes()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return int(stat[1]), stat[0], command, environ


def _live_pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def child_of(parent: int, marker: str) -> int | None:
    """The running child of `parent` whose command line holds `marker`, if there is one."""
    for pid in _live_pids():
        fields = _proc_fields(pid)
        if fields and fields[0] == parent and fields[1] not in ("Z", "X") and marker in fields[2]:
            return pid
    return None


def restarted(dev: int, marker: str, killed: int, timeout: float = 60) -> int:
    """Wait for the supervisor to replace the child `killed`; the new pid."""
    return poll_until(lambda: child_of(dev, marker), lambda pid: pid not in (None, killed), timeout=timeout)


def kill_child(dev: int, marker: str) -> int:
    pid = child_of(dev, marker)
    assert pid is not None, f"no running {marker!r} under simulacra dev"
    os.kill(pid, signal.SIGKILL)
    return pid


def stack_processes(data_dir: Path) -> list[str]:
    """Live processes of the stack on `data_dir`, found by what they inherit or are given: the worker, API and
    their engine processes (and multiprocessing's resource_tracker) carry SIMULACRA_DATA_DIR, Temporal its file."""
    mark, found = str(data_dir.resolve()), []
    environ_mark = f"SIMULACRA_DATA_DIR={mark}\0".encode()
    for pid in _live_pids():
        fields = _proc_fields(pid)
        if pid == os.getpid() or fields is None or fields[1] in ("Z", "X"):
            continue
        if environ_mark in fields[3] + b"\0" or mark in fields[2]:
            found.append(f"{pid} {fields[2][:120]}")
    return found


def storage_leftovers(data_dir: Path, tmp_dir: Path | None = None) -> list[str]:
    """Files finished jobs should not leave: staged uploads, half-written objects, temporary files (anything
    in the stack's TMPDIR)."""
    storage = data_dir / "storage"
    suspects = [*storage.glob("tenants/*/staging/*"), *storage.rglob(f"*{PARTIAL_SUFFIX}"), *storage.rglob("tmp*")]
    found = {str(path.relative_to(data_dir)) for path in suspects}
    if tmp_dir is not None:
        found |= {str(path) for path in tmp_dir.iterdir()}
    return sorted(found)


def stage_partials(data_dir: Path) -> list[Path]:
    """Uploads the API is streaming into storage right now (written under a `.partial` name until complete)."""
    return list((data_dir / "storage").glob(f"tenants/*/staging/*{PARTIAL_SUFFIX}"))


def in_flight_keys(data_dir: Path) -> list[str]:
    """Idempotency keys whose first request has not answered yet, read from the control database."""
    with ControlDB(data_dir / "control.sqlite3").connect() as conn:
        return list(conn.execute(select(idempotency.c.key).where(idempotency.c.state == "in_flight")).scalars())


@dataclass(frozen=True)
class Tenant:
    """One tenant's client of a running stack, over real HTTP (the bearer token minted through /oauth/token)."""

    base: str
    token: str

    def headers(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **({"Idempotency-Key": key} if key else {})}

    def get(self, path: str, timeout: float = 10) -> requests.Response:
        return requests.get(f"{self.base}{path}", headers=self.headers(), timeout=timeout)

    def upload(self, content: bytes, key: str | None = None, timeout: float = 60) -> requests.Response:
        return requests.post(
            f"{self.base}/v1/datasets",
            headers=self.headers(key or uuid.uuid4().hex),
            files={"file": ("tracker.csv", content, "text/csv")},
            timeout=timeout,
        )

    def generate(self, dataset_id: str, rows: int, key: str | None = None, timeout: float = 60) -> requests.Response:
        return requests.post(
            f"{self.base}/v1/datasets/{dataset_id}/generations",
            headers=self.headers(key or uuid.uuid4().hex),
            json={"row_count": rows, "conditions": {"categorical": {"segment": {"genz_switcher": 0.3}}}},
            timeout=timeout,
        )

    def job(self, job_id: str) -> dict[str, Any] | None:
        """The job's state, or None while the API does not answer (restarting) or answers 503."""
        try:
            response = self.get(f"/v1/jobs/{job_id}", timeout=5)
        except requests.RequestException:
            return None
        return response.json() if response.status_code == 200 else None

    def finished(self, job_id: str, timeout: float = 300) -> dict[str, Any]:
        return poll_until(lambda: self.job(job_id), lambda job: job is not None and job["status"] in TERMINAL, timeout)


def api_answers(base: str) -> bool:
    try:
        return requests.get(f"{base}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def tenant(base: str, data_dir: Path, name: str, rows_per_period: int = 10_000_000) -> Tenant:
    """A fresh client of tenant `name`, made with the admin commands the banner prints, with a row window
    large enough for the run."""
    created = subprocess.run(
        cli("admin", "create-client", "--tenant", name, "--json", "--data-dir", str(data_dir)),
        capture_output=True,
        text=True,
        check=True,
    )
    subprocess.run(
        cli("admin", "set-row-window", "--tenant", name, "--rows", str(rows_per_period), "--data-dir", str(data_dir)),
        capture_output=True,
        check=True,
    )
    claimed = requests.post(
        f"{base}/v1/credential-claims",
        json={"credential_claim_token": json.loads(created.stdout)["credential_claim_token"]},
        headers={"Idempotency-Key": uuid.uuid4().hex},
        timeout=30,
    ).json()
    grant = {"grant_type": "client_credentials", "client_id": claimed["client_id"]}
    token = requests.post(claimed["token_url"], data={**grant, "client_secret": claimed["client_secret"]}, timeout=30)
    return Tenant(base, token.json()["access_token"])


def slow_upload_body(content: bytes, boundary: str, chunk: int, pause: float) -> Iterator[bytes]:
    """A multipart upload that arrives slowly, as from a slow client: `chunk` bytes every `pause` seconds."""
    yield (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="tracker.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    for start in range(0, len(content), chunk):
        yield content[start : start + chunk]
        time.sleep(pause)
    yield f"\r\n--{boundary}--\r\n".encode()


def post_slow_upload(tenant: Tenant, content: bytes, key: str, chunk: int, pause: float) -> int | None:
    """Stream an upload slowly; its status, or None when the connection broke (the API died under it)."""
    boundary = uuid.uuid4().hex
    try:
        response = requests.post(
            f"{tenant.base}/v1/datasets",
            headers={**tenant.headers(key), "Content-Type": f"multipart/form-data; boundary={boundary}"},
            data=slow_upload_body(content, boundary, chunk, pause),
            timeout=120,
        )
    except requests.RequestException:
        return None
    return response.status_code
