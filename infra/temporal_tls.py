"""How a client reaches a production Temporal cluster or Temporal Cloud: TLS, mTLS and an API key.

The files are read and checked when a process starts, so a wrong one stops it with a message that names
the setting, rather than as a handshake failure (or a retry loop) later.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from temporalio.service import TLSConfig

from simulacra.infra.config import Settings, env_var


class TemporalSettingsError(Exception):
    """A Temporal connection setting that cannot work; the message names it."""


def client_tls(settings: Settings) -> TLSConfig | bool:
    """What `Client.connect(tls=...)` gets: a TLSConfig when there is anything to configure, else on or off."""
    if bool(settings.temporal_tls_cert) != bool(settings.temporal_tls_key):
        raise TemporalSettingsError(
            f"mTLS needs both {env_var('temporal_tls_cert')} and {env_var('temporal_tls_key')}: only one is set"
        )
    ca = _read("temporal_tls_ca", settings.temporal_tls_ca)
    cert = _read("temporal_tls_cert", settings.temporal_tls_cert)
    key = _read("temporal_tls_key", settings.temporal_tls_key)
    if ca is not None:
        _certificates("temporal_tls_ca", settings.temporal_tls_ca, ca)
    if cert is not None and key is not None:
        _check_pair(settings, cert, key)
    if ca is None and cert is None and not settings.temporal_tls_server_name:
        return settings.temporal_tls or bool(settings.temporal_api_key)
    return TLSConfig(
        server_root_ca_cert=ca, domain=settings.temporal_tls_server_name, client_cert=cert, client_private_key=key
    )


def _read(name: str, path: str | None) -> bytes | None:
    if not path:
        return None
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise TemporalSettingsError(f"{env_var(name)}={path}: cannot be read ({exc.strerror})") from None


def _certificates(name: str, path: str | None, data: bytes) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError:
        raise TemporalSettingsError(f"{env_var(name)}={path}: not a PEM certificate") from None


def _check_pair(settings: Settings, cert: bytes, key: bytes) -> None:
    leaf = _certificates("temporal_tls_cert", settings.temporal_tls_cert, cert)[0]
    now = datetime.datetime.now(datetime.UTC)
    if not leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc:
        raise TemporalSettingsError(
            f"{env_var('temporal_tls_cert')}={settings.temporal_tls_cert}: the certificate is valid only from "
            f"{leaf.not_valid_before_utc:%Y-%m-%d %H:%M} to {leaf.not_valid_after_utc:%Y-%m-%d %H:%M} UTC"
        )
    try:
        private = serialization.load_pem_private_key(key, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        # TypeError: an encrypted key (the client has no passphrase to give it).
        raise TemporalSettingsError(
            f"{env_var('temporal_tls_key')}={settings.temporal_tls_key}: not an unencrypted PEM private key"
        ) from None
    if _public(private.public_key()) != _public(leaf.public_key()):
        raise TemporalSettingsError(
            f"{env_var('temporal_tls_key')}={settings.temporal_tls_key} is not the private key of the certificate "
            f"in {env_var('temporal_tls_cert')}={settings.temporal_tls_cert}"
        )


def _public(key: object) -> bytes:
    return key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
