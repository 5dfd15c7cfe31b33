"""Connecting to Temporal the same way everywhere: pydantic payloads, encrypted; our search attributes present."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client, Interceptor
from temporalio.common import SearchAttributeKey
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.service import PayloadLimitsConfig, RetryConfig, RPCError, TLSConfig

from simulacra.infra.config import Settings
from simulacra.infra.payload_codec import converter_for
from simulacra.infra.temporal_tls import client_tls

# The codec adds about 100 bytes to every memo field, which takes a job's first memo (some 20 fields, 1 KiB in
# plaintext) past the SDK's default 2 KiB warning on every job start; warn at a size that still means something.
ENCRYPTED_MEMO_WARN_BYTES = 8 * 1024

# The API answers people: while Temporal is unreachable it says so at once (503, retry) rather than
# retrying each call for the SDK's default 10 s. Workers keep the default patience.
FAIL_FAST = RetryConfig(initial_interval_millis=100, max_interval_millis=400, max_elapsed_time_millis=1000)


async def connect_to(
    settings: Settings,
    *,
    wait_seconds: float = 0.0,
    retry: RetryConfig | None = None,
    interceptors: Sequence[Interceptor] = (),
) -> Client:
    """Connect as configured: the address, namespace, TLS, client certificate and API key of the settings, and
    the payload codec (infra/payload_codec.py), which every worker built on the client inherits."""
    return await connect(
        settings.resolved_temporal_address,
        settings.temporal_namespace,
        tls=client_tls(settings),
        api_key=settings.temporal_api_key,
        data_converter=await converter_for(settings),
        wait_seconds=wait_seconds,
        retry=retry,
        interceptors=interceptors,
    )


async def connect(
    address: str,
    namespace: str,
    *,
    tls: TLSConfig | bool = False,
    api_key: str | None = None,
    wait_seconds: float = 0.0,
    retry: RetryConfig | None = None,
    interceptors: Sequence[Interceptor] = (),
    data_converter: DataConverter = pydantic_data_converter,
) -> Client:
    """Connect, retrying for up to wait_seconds while the server comes up. Interceptors given here apply to the
    client's calls and to every worker built on it (infra/tracing.py's, when tracing is on)."""
    deadline = time.monotonic() + wait_seconds
    encrypted = data_converter.payload_codec is not None
    limits = PayloadLimitsConfig(memo_warn_size=ENCRYPTED_MEMO_WARN_BYTES) if encrypted else PayloadLimitsConfig()
    while True:
        try:
            return await Client.connect(
                address,
                namespace=namespace,
                data_converter=data_converter,
                retry_config=retry,
                tls=tls,
                api_key=api_key,
                interceptors=interceptors,
                payload_limits=limits,
            )
        except RuntimeError:
            if time.monotonic() >= deadline:
                raise
            await asyncio.sleep(0.25)


async def ensure_search_attributes(client: Client, keys: tuple[SearchAttributeKey, ...]) -> None:
    """Register our keyword attributes on a cluster that lacks them (the dev server gets them at start)."""
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=client.namespace)
    )
    missing = {key.name for key in keys} - set(listed.custom_attributes)
    if not missing:
        return
    request = AddSearchAttributesRequest(
        namespace=client.namespace,
        search_attributes={name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD for name in missing},
    )
    try:
        await client.operator_service.add_search_attributes(request)
    except RPCError as exc:
        if "already" not in str(exc).lower():
            raise
