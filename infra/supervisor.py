"""`simulacra dev`: one command supervising the embedded Temporal, a worker and the API.

Each runs as its own child process (the worker and the API exactly as `simulacra worker`
and `simulacra api` run when scaled out). A child that dies is restarted with backoff while the
others keep serving (jobs are durable in Temporal, so a restarted worker picks up where the dead
one stopped); only a crash loop ends the stack. Ctrl-C stops them in reverse order.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from simulacra.infra.codec_access import ui_codec_endpoint
from simulacra.infra.config import Settings, env_var
from simulacra.infra.devserver import DevServerOptions, start_dev_server, stop_process
from simulacra.infra.metrics_listener import metrics_url
from simulacra.infra.temporal import connect

READY_TIMEOUT_SECONDS = 90.0
# Restarts wait 1, 2, 4 ... seconds, at most RESTART_MAX_DELAY; more than CRASH_LOOP_RESTARTS restarts of one
# child within CRASH_LOOP_SECONDS is a crash loop, which a restart will not fix.
RESTART_FIRST_DELAY, RESTART_MAX_DELAY = 1.0, 30.0
CRASH_LOOP_RESTARTS, CRASH_LOOP_SECONDS = 5, 120.0


class StartupFailed(Exception):
    pass


class Interrupted(Exception):
    """Ctrl-C (or SIGTERM) arrived while the stack was still starting."""


def _wait_until(ready: Callable[[], bool], process: subprocess.Popen[bytes], what: str, stop: threading.Event) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while not ready():
        if stop.is_set():
            raise Interrupted()
        if process.poll() is not None:
            raise StartupFailed(f"{what} exited with code {process.returncode} while starting")
        if time.monotonic() > deadline:
            raise StartupFailed(f"{what} was not ready after {READY_TIMEOUT_SECONDS:.0f} s")
        time.sleep(0.2)


def _temporal_answers(settings: Settings) -> bool:
    """Whether the embedded dev server (plain gRPC on loopback) answers: no payloads, so no codec key to load."""
    try:
        asyncio.run(connect(settings.resolved_temporal_address, settings.temporal_namespace))
        return True
    except RuntimeError:
        return False


def _api_answers(settings: Settings) -> bool:
    try:
        # Our own child on loopback: only liveness matters here, not the certificate's hostname.
        context = ssl._create_unverified_context() if settings.tls else None  # noqa: S323
        with urllib.request.urlopen(f"{settings.base_url}/healthz", timeout=2, context=context) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _ensure_free(host: str, port: int, what: str) -> None:
    with socket.socket() as probe:
        # Like the servers themselves: a port left in TIME_WAIT by the last run is free to reuse.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            raise StartupFailed(
                f"{what} port {port} is in use: is another `simulacra dev` running? Stop it or choose another port."
            ) from None


def _metrics_ports(settings: Settings) -> dict[str, int]:
    return {
        "api_metrics_port": settings.api_metrics_port,
        "worker_metrics_port": settings.worker_metrics_port,
        "worker_sdk_metrics_port": settings.worker_sdk_metrics_port,
    }


def _metrics_lines(settings: Settings) -> str:
    """One banner line per metrics listener that is on: where Prometheus scrapes what."""
    shown = {
        "api_metrics_port": "API",
        "worker_metrics_port": "worker",
        "worker_sdk_metrics_port": "worker's Temporal SDK",
    }
    urls = [
        f"{metrics_url(settings.metrics_host, port)}  ({shown[name]})"
        for name, port in _metrics_ports(settings).items()
        if port
    ]
    return "".join(f"  {'Metrics' if i == 0 else '':<13}{url}\n" for i, url in enumerate(urls))


def _child_env(settings: Settings) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "SIMULACRA_DATA_DIR": str(settings.data_dir),
            "SIMULACRA_TEMPORAL_ADDRESS": settings.resolved_temporal_address,
            "SIMULACRA_TEMPORAL_NAMESPACE": settings.temporal_namespace,
            # The codec server lets the embedded Web UI's origin call it (CORS).
            "SIMULACRA_TEMPORAL_UI_PORT": str(settings.temporal_ui_port),
            "SIMULACRA_HOST": settings.host,
            "SIMULACRA_PORT": str(settings.port),
            "SIMULACRA_METRICS_HOST": settings.metrics_host,
            **{env_var(name): str(port) for name, port in _metrics_ports(settings).items()},
            **({"SIMULACRA_TLS_CERTFILE": settings.tls_certfile} if settings.tls_certfile else {}),
            **({"SIMULACRA_TLS_KEYFILE": settings.tls_keyfile} if settings.tls_keyfile else {}),
        }
    )
    # A person is watching this terminal: readable lines, unless they asked for JSON.
    if sys.stderr.isatty():
        env.setdefault("SIMULACRA_LOG_FORMAT", "console")
    return env


def _spawn(command: str, settings: Settings) -> subprocess.Popen[bytes]:
    # Own session: the terminal's Ctrl-C reaches only us, and we stop the children in order.
    return subprocess.Popen(
        [sys.executable, "-m", "simulacra.infra.cli", command],
        env=_child_env(settings),
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


def _simulacra_command() -> str:
    """`simulacra` as the user can type it here: bare when on PATH, else the virtualenv's script."""
    script = Path(sys.executable).with_name("simulacra")
    if shutil.which("simulacra") == str(script):
        return "simulacra"
    if not script.exists():
        return f"{sys.executable} -m simulacra.infra.cli"
    relative = os.path.relpath(script)
    return str(script) if relative.startswith("..") else relative


def _serves_codec(settings: Settings, embedded: bool) -> bool:
    """With the embedded UI and encrypted payloads, a codec server keeps the UI readable out of the box."""
    return embedded and settings.payload_codec and settings.codec_server_port != 0


def _banner(settings: Settings, embedded: bool) -> str:
    ui = f"http://127.0.0.1:{settings.temporal_ui_port}" if embedded else "(your Temporal's own UI)"
    if _serves_codec(settings, embedded):
        ui += f"   (payloads decoded by the codec server on port {settings.codec_server_port})"
    admin = f"{_simulacra_command()} admin"
    data_dir = "" if settings.data_dir == Path(".simulacra").resolve() else f" --data-dir {settings.data_dir}"
    return (
        f"\nSimulacra is running.\n"
        f"  API          {settings.base_url}   (health: {settings.base_url}/healthz)\n"
        f"  Temporal UI  {ui}\n"
        f"  Temporal     {settings.resolved_temporal_address}  namespace {settings.temporal_namespace}\n"
        f"{_metrics_lines(settings)}"
        f"  Data dir     {settings.data_dir}\n"
        f"Get credentials:  {admin} create-client --tenant acme --json{data_dir}\n"
        f"Each tenant may generate {settings.default_rows_per_period:,} rows a month; for more:\n"
        f"                  {admin} set-row-window --tenant acme --rows 1000000{data_dir}\n"
        f"Stop with Ctrl-C.\n"
    )


class SupervisedChild:
    """A supervised child process and its recent restarts."""

    def __init__(self, name: str, start: Callable[[], subprocess.Popen[bytes]]) -> None:
        self.name = name
        self.start = start
        self.process = start()
        self.restarts: list[float] = []
        self.restart_at: float | None = None

    def check(self, now: float) -> None:
        """Restart the process if it died and its backoff has passed; raise StartupFailed on a crash loop."""
        if self.restart_at is None:
            code = self.process.poll()
            if code is None:
                return
            self.restarts = [t for t in self.restarts if now - t < CRASH_LOOP_SECONDS]
            if len(self.restarts) >= CRASH_LOOP_RESTARTS:
                raise StartupFailed(
                    f"{self.name} exited with code {code}, its {len(self.restarts) + 1}th exit within "
                    f"{CRASH_LOOP_SECONDS:.0f} s: giving up (its output above says why)"
                )
            delay = min(RESTART_FIRST_DELAY * 2 ** len(self.restarts), RESTART_MAX_DELAY)
            print(f"simulacra dev: {self.name} exited with code {code}; restarting in {delay:.0f} s", file=sys.stderr)
            self.restart_at = now + delay
        elif now >= self.restart_at:
            self.restart_at = None
            self.restarts.append(now)
            self.process = self.start()
            print(f"simulacra dev: {self.name} restarted (pid {self.process.pid})", file=sys.stderr, flush=True)


def run_dev(settings: Settings) -> int:
    settings = settings.with_overrides(data_dir=settings.data_dir.resolve())
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    children: list[SupervisedChild] = []
    embedded = settings.temporal_address is None
    try:
        _ensure_free(settings.host, settings.port, "API")
        for name, port in _metrics_ports(settings).items():
            if port:
                _ensure_free(settings.metrics_host, port, f"metrics ({env_var(name)})")
        if _serves_codec(settings, embedded):
            _ensure_free(settings.codec_server_host, settings.codec_server_port, "codec server")
            children.append(SupervisedChild("codec-server", lambda: _spawn("codec-server", settings)))
        if embedded:
            _ensure_free("127.0.0.1", settings.temporal_port, "Temporal")
            _ensure_free("127.0.0.1", settings.temporal_ui_port, "Temporal UI")
            from simulacra.workflows.contracts import SEARCH_ATTRIBUTES

            options = DevServerOptions(
                db_file=settings.data_dir / "temporal.sqlite",
                port=settings.temporal_port,
                ui_port=settings.temporal_ui_port,
                namespace=settings.temporal_namespace,
                search_attributes=SEARCH_ATTRIBUTES,
                log_file=settings.data_dir / "temporal.log",
                ui_codec_endpoint=ui_codec_endpoint(settings) if _serves_codec(settings, embedded) else None,
            )
            temporal = SupervisedChild("temporal", lambda: start_dev_server(options))
            children.append(temporal)
            _wait_until(
                lambda: _temporal_answers(settings),
                temporal.process,
                f"Temporal dev server (log: {settings.data_dir / 'temporal.log'})",
                stop,
            )
        children.append(SupervisedChild("worker", lambda: _spawn("worker", settings)))
        api = SupervisedChild("api", lambda: _spawn("api", settings))
        children.append(api)
        _wait_until(lambda: _api_answers(settings), api.process, "API", stop)
        print(_banner(settings, embedded), flush=True)
        while not stop.wait(0.5):
            for child in children:
                child.check(time.monotonic())
        return 0
    except Interrupted:
        return 0
    except StartupFailed as exc:
        print(f"simulacra dev: {exc}", file=sys.stderr)
        return 1
    finally:
        for child in reversed(children):
            stop_process(child.process)
