"""A real S3-protocol server for the tests: moto's standalone server (moto[server]) on a free loopback port."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.stack import free_port, poll_until


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    @property
    def env(self) -> dict[str, str]:
        """The standard AWS variables a process needs to use this server: nothing Simulacra-specific."""
        return {
            "AWS_ACCESS_KEY_ID": "simulacra-test",
            "AWS_SECRET_ACCESS_KEY": "simulacra-test-secret",
            "AWS_REGION": "eu-west-1",
            "AWS_ENDPOINT_URL": self.endpoint,
        }

    def new_bucket(self) -> str:
        """A fresh, empty bucket (moto's server takes an unsigned CreateBucket)."""
        name = f"simulacra-{uuid.uuid4().hex[:12]}"
        response = requests.put(f"{self.endpoint}/{name}", timeout=10)
        response.raise_for_status()
        return name


@contextmanager
def running_s3_server(log: Path) -> Iterator[S3Server]:
    port = free_port()
    with open(log, "ab") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=handle,
            stderr=handle,
            stdin=subprocess.DEVNULL,
        )
    endpoint = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return requests.get(f"{endpoint}/moto-api/", timeout=2).status_code == 200
        except requests.ConnectionError:
            return False

    try:
        poll_until(answers, bool, timeout=60, alive=lambda: process.poll() is None)
        yield S3Server(endpoint)
    finally:
        process.terminate()
        process.wait(timeout=30)
