"""`simulacra api --tls-cert --tls-key` serves HTTPS, and only HTTPS."""

from __future__ import annotations

import datetime
import ipaddress
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from simulacra.infra.config import Settings
from tests.stack import free_port, poll_until, settings_env, start_cli


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_api_with_a_certificate_speaks_https_only(settings: Settings, tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    port = free_port()
    env = settings_env(settings) | {"SIMULACRA_PORT": str(port)}
    env.pop("SIMULACRA_PUBLIC_URL")
    process = start_cli(["api", "--tls-cert", str(cert), "--tls-key", str(key)], env, tmp_path / "api.log")
    base = f"https://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return requests.get(f"{base}/healthz", verify=str(cert), timeout=2).status_code == 200
        except requests.ConnectionError:
            return False

    try:
        poll_until(answers, bool, timeout=60, alive=lambda: process.poll() is None)
        discovery = requests.get(f"{base}/.well-known/openid-configuration", verify=str(cert), timeout=5).json()
        assert discovery["token_endpoint"] == f"{base}/oauth/token" and discovery["issuer"] == f"{base}/"
        with pytest.raises(requests.ConnectionError):
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
    finally:
        process.terminate()
        process.wait(timeout=30)
