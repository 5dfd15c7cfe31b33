"""What fsspec is given for a storage URL: object stores (S3 and its kind) set up from the standard variables.

Credentials and the endpoint are the SDK's own business: botocore reads `AWS_ACCESS_KEY_ID`,
`AWS_SECRET_ACCESS_KEY`, `AWS_ENDPOINT_URL` (an S3-compatible store), profiles and instance roles.
It reads the region only from `AWS_DEFAULT_REGION`, so `AWS_REGION`, the name most other tools use,
is passed on here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import fsspec

# Stores that publish an object whole when its upload completes, and have no directories.
OBJECT_STORES = frozenset({"s3", "s3a", "gs", "gcs", "az", "abfs", "abfss"})
# Part size of a streamed upload and read-ahead of a streamed read: what one stream holds in memory
# (s3fs defaults to 50 MiB; S3's smallest part is 5 MiB).
BLOCK_BYTES = 8 * 1024 * 1024


def protocol_of(url: str) -> str:
    return fsspec.core.split_protocol(url)[0] or "file"


def is_object_store(url: str) -> bool:
    return protocol_of(url) in OBJECT_STORES


def storage_options(url: str, environ: Mapping[str, str]) -> dict[str, Any]:
    """fsspec options for the URL's filesystem; none for a local directory."""
    if not is_object_store(url):
        return {}
    # Other processes (the API, other workers, engine processes) write under the same prefixes: a cached
    # listing would hide their objects from exists() and the sweep.
    options: dict[str, Any] = {"use_listings_cache": False}
    region = environ.get("AWS_REGION")
    if protocol_of(url) in ("s3", "s3a") and region and not environ.get("AWS_DEFAULT_REGION"):
        options["client_kwargs"] = {"region_name": region}
    return options
