"""Temporal over TLS and mTLS: the settings are checked at start, and the real SDK connects through a real
TLS terminator (tests/tls_proxy.py) in front of the dev server, which refuses clients without a trusted cert."""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from temporalio.service import TLSConfig

from simulacra.api.app import create_app
from simulacra.infra.cli import reach_temporal
from simulacra.infra.config import Settings, load_settings
from simulacra.infra.temporal import connect_to
from simulacra.infra.temporal_tls import TemporalSettingsError, client_tls
from simulacra.workflows.contracts import SWEEP_WORKFLOW, SweepResult
from tests.stack import settings_env, start_cli
from tests.tls_pki import Authority, Issued
from tests.tls_proxy import server_context, tls_proxy

SERVER_NAME = "temporal.internal"


@dataclasses.dataclass(frozen=True)
class Pki:
    authority: Authority
    server: Issued
    client: Issued
    stranger: Issued


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    directory = tmp_path_factory.mktemp("pki")
    authority = Authority(directory, "ours")
    stranger = Authority(directory, "stranger").issue("client")
    return Pki(authority, authority.issue("server", SERVER_NAME), authority.issue("client"), stranger)


@pytest.fixture(scope="module")
def proxy_address(pki: Pki, temporal_address: str) -> Iterator[str]:
    with tls_proxy(int(temporal_address.rsplit(":", 1)[1]), server_context(pki.authority, pki.server)) as port:
        yield f"127.0.0.1:{port}"


def _mtls(settings: Settings, pki: Pki, address: str, client: Issued | None = None) -> Settings:
    client = client or pki.client
    return settings.with_overrides(
        temporal_address=address,
        temporal_tls_ca=str(pki.authority.ca),
        temporal_tls_cert=str(client.cert),
        temporal_tls_key=str(client.key),
        temporal_tls_server_name=SERVER_NAME,
    )


def _tls_env(settings: Settings) -> dict[str, str]:
    env = settings_env(settings)
    for name in ("temporal_tls_ca", "temporal_tls_cert", "temporal_tls_key", "temporal_tls_server_name"):
        env[f"SIMULACRA_{name.upper()}"] = str(getattr(settings, name))
    return env


def test_nothing_configured_is_plain_and_an_api_key_or_the_switch_turn_tls_on() -> None:
    assert client_tls(Settings()) is False
    assert client_tls(Settings(temporal_api_key="key")) is True
    assert client_tls(load_settings({"SIMULACRA_TEMPORAL_TLS": "true"})) is True
    assert client_tls(load_settings({"SIMULACRA_TEMPORAL_TLS": "0"})) is False
    with pytest.raises(SystemExit, match="SIMULACRA_TEMPORAL_TLS='maybe'"):
        load_settings({"SIMULACRA_TEMPORAL_TLS": "maybe"})
    assert "tck_s3cr3t" not in repr(Settings(temporal_api_key="tck_s3cr3t"))


def test_the_tls_config_carries_the_files_and_the_server_name(pki: Pki, settings: Settings) -> None:
    tls = client_tls(_mtls(settings, pki, "127.0.0.1:1"))
    assert isinstance(tls, TLSConfig)
    assert tls.server_root_ca_cert == pki.authority.ca.read_bytes()
    assert tls.client_cert == pki.client.cert.read_bytes()
    assert tls.client_private_key == pki.client.key.read_bytes()
    assert tls.domain == SERVER_NAME


def test_wrong_files_are_refused_naming_the_setting(pki: Pki, settings: Settings, tmp_path: Path) -> None:
    good = _mtls(settings, pki, "127.0.0.1:1")
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("hello")
    expired = pki.authority.issue("expired", expired=True)
    cases = {
        "SIMULACRA_TEMPORAL_TLS_CA=/nope.pem: cannot be read": {"temporal_tls_ca": "/nope.pem"},
        f"SIMULACRA_TEMPORAL_TLS_CA={not_pem}: not a PEM certificate": {"temporal_tls_ca": str(not_pem)},
        f"SIMULACRA_TEMPORAL_TLS_CERT={not_pem}: not a PEM certificate": {"temporal_tls_cert": str(not_pem)},
        f"SIMULACRA_TEMPORAL_TLS_KEY={not_pem}: not an unencrypted PEM private key": {"temporal_tls_key": str(not_pem)},
        f"SIMULACRA_TEMPORAL_TLS_KEY={pki.stranger.key} is not the private key of the certificate": {
            "temporal_tls_key": str(pki.stranger.key)
        },
        f"SIMULACRA_TEMPORAL_TLS_CERT={expired.cert}: the certificate is valid only from": {
            "temporal_tls_cert": str(expired.cert),
            "temporal_tls_key": str(expired.key),
        },
        "mTLS needs both SIMULACRA_TEMPORAL_TLS_CERT and SIMULACRA_TEMPORAL_TLS_KEY": {"temporal_tls_key": None},
    }
    for message, changes in cases.items():
        with pytest.raises(TemporalSettingsError) as refused:
            client_tls(dataclasses.replace(good, **changes))
        assert str(refused.value).startswith(message), (message, str(refused.value))


def test_a_worker_with_a_key_not_its_certificates_stops_at_start_with_the_setting(pki: Pki, settings: Settings) -> None:
    env = _tls_env(_mtls(settings, pki, "127.0.0.1:1")) | {"SIMULACRA_TEMPORAL_TLS_KEY": str(pki.stranger.key)}
    done = subprocess.run(
        [sys.executable, "-m", "simulacra.infra.cli", "worker"], env=env, capture_output=True, timeout=120
    )
    stderr = done.stderr.decode()
    assert done.returncode != 0 and "Traceback" not in stderr
    assert f"Temporal connection: SIMULACRA_TEMPORAL_TLS_KEY={pki.stranger.key} is not the private key" in stderr


def test_the_server_refuses_a_client_certificate_it_does_not_trust(
    pki: Pki, settings: Settings, proxy_address: str
) -> None:
    for client in (pki.stranger, None):
        target = _mtls(settings, pki, proxy_address, pki.stranger)
        if client is None:  # no client certificate at all
            target = dataclasses.replace(target, temporal_tls_cert=None, temporal_tls_key=None)
        with pytest.raises(SystemExit) as refused:
            asyncio.run(reach_temporal(target, wait_seconds=0))
        message = str(refused.value)
        assert message.startswith(f"cannot connect to Temporal at {proxy_address} (namespace 'default')")
        assert "the server must trust the client certificate of SIMULACRA_TEMPORAL_TLS_CERT" in message
    # The name the certificate was issued for is checked: without the override, 127.0.0.1 does not match.
    unnamed = dataclasses.replace(_mtls(settings, pki, proxy_address), temporal_tls_server_name=None)
    with pytest.raises(RuntimeError, match="NotValidForName"):
        asyncio.run(connect_to(unnamed))


def test_worker_and_api_run_over_mtls(pki: Pki, settings: Settings, proxy_address: str, tmp_path: Path) -> None:
    secure = _mtls(settings, pki, proxy_address).with_overrides(task_queue=f"mtls-{uuid.uuid4().hex[:8]}")
    worker = start_cli(["worker"], _tls_env(secure), tmp_path / "worker.log")
    try:
        # The sweep workflow, started by a client over mTLS and run by the worker over mTLS.
        async def sweep() -> SweepResult:
            client = await connect_to(secure)
            return await client.execute_workflow(
                SWEEP_WORKFLOW, id=f"mtls-{uuid.uuid4().hex[:8]}", task_queue=secure.task_queue, result_type=SweepResult
            )

        assert isinstance(asyncio.run(asyncio.wait_for(sweep(), timeout=120)), SweepResult)
        assert worker.poll() is None
        with TestClient(create_app(secure), base_url=secure.base_url) as client:
            ready = client.get("/readyz")
            assert ready.status_code == 200 and ready.json()["checks"]["temporal"] == "ok", ready.text
    finally:
        worker.terminate()
        worker.wait(timeout=30)
