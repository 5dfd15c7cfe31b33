"""The MCP server end to end with the SDK's own client: Streamable HTTP at /mcp of a live `simulacra api`, and
`simulacra mcp` over stdio against the same server, with the real worker doing the work."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
import mcp_types as types
import pytest
import requests
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from simulacra.infra.config import Settings
from simulacra.infra.credentials import CredentialStore

TRACKER = Path(__file__).resolve().parent.parent / "examples" / "tracker_q3.csv"
SEED_ROWS = 800  # enough for every segment and price level; a smaller table keeps each model fit short
CONDITIONS = {"categorical": {"segment": {"genz_switcher": 0.3}}, "numeric": {"price": {"min": 5.49, "max": 5.49}}}


@pytest.fixture(scope="module")
def seed_table(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("mcp") / "tracker.csv"
    path.write_text("".join(TRACKER.read_text().splitlines(keepends=True)[: SEED_ROWS + 1]))
    return path


def _credentials(base: str, settings: Settings, tenant: str) -> dict[str, str]:
    _, claim_token = CredentialStore.for_settings(settings).create_client(tenant, 3600)
    claimed = requests.post(
        f"{base}/v1/credential-claims",
        json={"credential_claim_token": claim_token},
        headers={"Idempotency-Key": uuid.uuid4().hex},
        timeout=30,
    )
    assert claimed.status_code == 201, claimed.text
    return claimed.json()


def _token(base: str, credentials: dict[str, str]) -> str:
    form = {k: credentials[k] for k in ("client_id", "client_secret", "audience")}
    answer = requests.post(f"{base}/oauth/token", data={"grant_type": "client_credentials", **form}, timeout=30)
    return str(answer.json()["access_token"])


@asynccontextmanager
async def over_http(base: str, token: str) -> AsyncIterator[Client]:
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=120) as http:
        async with Client(streamable_http_client(f"{base}/mcp", http_client=http)) as client:
            yield client


@asynccontextmanager
async def over_stdio(base: str, credentials: dict[str, str]) -> AsyncIterator[Client]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIMULACRA_")}
    env |= {"SIMULACRA_CLIENT_ID": credentials["client_id"], "SIMULACRA_CLIENT_SECRET": credentials["client_secret"]}
    command = StdioServerParameters(command=sys.executable, args=["-m", "simulacra.infra.cli", "mcp", "--url", base])
    async with Client(command.model_copy(update={"env": env})) as client:
        yield client


def _ok(result: types.CallToolResult) -> dict[str, Any]:
    assert not result.is_error, result.content
    assert isinstance(result.structured_content, dict)
    return result.structured_content


async def _finished(client: Client, job_id: str) -> dict[str, Any]:
    for _ in range(20):  # each call waits up to 30 s on the server
        waited = _ok(await client.call_tool("wait_for_job", {"job_id": job_id, "timeout_seconds": 30}))
        if waited["done"]:
            return dict(waited["job"])
    raise AssertionError(f"job {job_id} still running")


async def _quickstart(client: Client, upload: dict[str, str]) -> tuple[str, dict[str, Any]]:
    """Upload, wait, schema, generation under conditions, download link: what an agent does first."""
    accepted = _ok(await client.call_tool("create_dataset", upload))
    assert accepted["status"] == "queued" and accepted["job_id"]
    job = await _finished(client, accepted["job_id"])
    assert job["status"] == "ready" and job["progress"] == 1.0
    dataset_id = accepted["dataset_id"]
    schema = _ok(await client.call_tool("get_dataset_schema", {"dataset_id": dataset_id}))
    assert {"segment", "price", "purchase_intent"} <= {column["name"] for column in schema["columns"]}
    request = {"dataset_id": dataset_id, "row_count": 500, "conditions": CONDITIONS, "seed": 7}
    generation = _ok(await client.call_tool("create_generation", request))
    # The agent retries (a lost answer): the derived Idempotency-Key makes it the same generation, not a second.
    assert _ok(await client.call_tool("create_generation", request))["generation_id"] == generation["generation_id"]
    assert (await _finished(client, generation["job_id"]))["status"] in ("ready", "partial")
    download = _ok(await client.call_tool("download_artifact", {"generation_id": generation["generation_id"]}))
    assert download["artifact_url"].startswith("http") and "signature=" in download["artifact_url"]
    preview = download["preview"]
    assert preview["columns"] == [column["name"] for column in schema["columns"]] and len(preview["rows"]) == 10
    price = next(column for column in preview["summary"] if column["name"] == "price")
    assert price["kind"] == "numeric" and price["min"] == price["max"] == 5.49
    return dataset_id, download


def test_quickstart_effect_and_errors_over_streamable_http(
    live_api: str, settings: Settings, worker: object, seed_table: Path
) -> None:
    token = _token(live_api, _credentials(live_api, settings, "acme"))
    other = _token(live_api, _credentials(live_api, settings, "globex"))

    async def scenario() -> None:
        async with over_http(live_api, token) as client:
            names = {tool.name for tool in (await client.list_tools()).tools}
            assert {"create_dataset", "get_dataset_schema", "create_generation", "wait_for_job"} <= names
            assert "claim_credentials" not in names and "issue_token" not in names
            dataset_id, _ = await _quickstart(client, {"csv_text": seed_table.read_text()})

            bad = await client.call_tool(
                "create_generation",
                {"dataset_id": dataset_id, "row_count": 10, "conditions": {"numeric": {"prize": {"min": 1}}}},
            )
            error = bad.structured_content["error"]
            assert bad.is_error and error["code"] == "simio_unknown_condition_column" and error["status"] == 400
            assert error["fix"] and error["request_id"] and "fix: " in bad.content[0].text

            effect = _ok(
                await client.call_tool(
                    "estimate_effect",
                    {
                        "dataset_id": dataset_id,
                        "treatment": {"column": "price", "from": 4.99, "to": 5.49},
                        "outcome": "purchase_intent",
                        "samples": 1000,
                        "seed": 3,
                    },
                )
            )
            assert (await _finished(client, effect["job_id"]))["status"] == "ready"
            estimate = _ok(await client.call_tool("get_effect", {"effect_id": effect["effect_id"]}))
            assert estimate["ci_low"] <= estimate["estimate"] <= estimate["ci_high"]

            schema = await client.read_resource(f"simulacra://datasets/{dataset_id}/schema")
            assert '"segment"' in schema.contents[0].text
            catalogue = await client.read_resource("simulacra://errors")
            assert "simio_unknown_condition_column" in catalogue.contents[0].text
            prompt = await client.get_prompt("run-a-price-scenario", {"dataset_id": dataset_id, "price": "5.49"})
            assert dataset_id in prompt.messages[0].content.text

        async with over_http(live_api, other) as client:  # another tenant sees nothing of acme's
            missing = await client.call_tool("get_dataset_schema", {"dataset_id": dataset_id})
            assert missing.is_error and missing.structured_content["error"]["code"] == "simio_dataset_not_found"
            listed = _ok(await client.call_tool("list_datasets", {}))
            assert dataset_id not in {dataset["dataset_id"] for dataset in listed["data"]}

    asyncio.run(scenario())


def test_quickstart_over_stdio_with_a_local_file(
    live_api: str, settings: Settings, worker: object, seed_table: Path
) -> None:
    credentials = _credentials(live_api, settings, "acme")

    async def scenario() -> None:
        async with over_stdio(live_api, credentials) as client:
            tools = {tool.name: tool for tool in (await client.list_tools()).tools}
            assert "file_path" in tools["create_dataset"].input_schema["properties"]
            await _quickstart(client, {"file_path": str(seed_table)})

    asyncio.run(scenario())


def test_mcp_asks_for_a_token_and_names_its_issuer(live_api: str, settings: Settings) -> None:
    refused = requests.post(f"{live_api}/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}, timeout=30)
    assert refused.status_code == 401 and refused.json()["code"] == "simio_unauthorized"
    challenge = refused.headers["WWW-Authenticate"]
    assert f'resource_metadata="{live_api}/.well-known/oauth-protected-resource"' in challenge
    metadata = requests.get(f"{live_api}/.well-known/oauth-protected-resource", timeout=30).json()
    assert metadata["resource"] == live_api and metadata["authorization_servers"] == [settings.issuer]
    issuer = requests.get(f"{live_api}/.well-known/openid-configuration", timeout=30).json()
    assert issuer["issuer"] == settings.issuer and issuer["token_endpoint"] == f"{live_api}/oauth/token"
    llms = requests.get(f"{live_api}/llms.txt", timeout=30).text
    assert f"`{live_api}/mcp`" in llms and "`simulacra mcp`" in llms


def test_the_stdio_side_loads_nothing_of_the_server() -> None:
    # `simulacra mcp` runs where only the client is meant to run: the registry reaches it as /openapi.json.
    probe = "import sys, simulacra.api.mcp.stdio; print(' '.join(sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    ours = {
        m
        for m in loaded
        if m.startswith("simulacra.") and not m.startswith(("simulacra.api.client", "simulacra.api.mcp"))
    }
    assert ours == {"simulacra.api"} and not [m for m in loaded if m.split(".")[0] == "temporalio"]
