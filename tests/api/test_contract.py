"""The contract documents: generated from one source, complete, and pinned where renames would break clients."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from openapi_spec_validator import validate
from starlette.testclient import TestClient

from simulacra.api import credential_models, models, views, webhook_models
from simulacra.api.agent_docs import RULES
from simulacra.api.app import OPERATIONS
from simulacra.api.errors import JOB_FAILURE_CODES, REGISTRY
from simulacra.api.examples import EXAMPLES
from simulacra.api.models import UploadFields
from simulacra.api.reference.pages import rule_sections

EXAMPLE_FILES = Path(__file__).resolve().parents[2] / "examples"
# Renaming any of these breaks generated clients: change this list only with a deprecation plan.
PINNED_OPERATION_IDS = [
    "issueToken",
    "getJwks",
    "getOpenIdConfiguration",
    "claimCredentials",
    "getProtectedResourceMetadata",
    "createSignup",
    "getSignup",
    "createCredentialRotation",
    "getCredentialRotation",
    "revokeClient",
    "listAuditEvents",
    "createDataset",
    "listDatasets",
    "getDataset",
    "getDatasetGraph",
    "editDatasetGraph",
    "updateDataset",
    "deleteDataset",
    "getDatasetSchema",
    "createGeneration",
    "listDatasetGenerations",
    "getGeneration",
    "downloadArtifact",
    "estimateEffect",
    "getEffect",
    "getDatasetReport",
    "getGenerationReport",
    "getEffectReport",
    "listJobs",
    "getJob",
    "getUsage",
    "createWebhookEndpoint",
    "listWebhookEndpoints",
    "getWebhookEndpoint",
    "deleteWebhookEndpoint",
    "rotateWebhookSecret",
    "listWebhookDeliveries",
    "getHealth",
    "getReadiness",
    "listErrors",
    "getError",
    "getOpenApi",
    "getLlmsTxt",
    "getLlmsFullTxt",
    "getDocs",
]
MODELS = {
    name: getattr(models, name, None)
    or getattr(credential_models, name, None)
    or getattr(webhook_models, name, None)
    or getattr(views, name)
    for name in EXAMPLES
}
# Raised by the framework or the error handler itself rather than named by one operation.
GENERIC_CODES = {"simio_not_found", "simio_method_not_allowed"}


def test_operation_ids_are_pinned() -> None:
    assert [op.operation_id for op in OPERATIONS] == PINNED_OPERATION_IDS


def test_openapi_is_valid_3_1_and_lists_every_operation(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    validate(spec)
    assert spec["openapi"] == "3.1.0"
    found = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
    assert found == set(PINNED_OPERATION_IDS)
    create = spec["paths"]["/v1/datasets/{dataset_id}/generations"]["post"]
    assert {"400", "402", "404", "409", "422"} <= set(create["responses"])
    assert create["responses"]["202"]["links"]["GetJob"]["operationId"] == "getJob"


def test_every_registered_code_is_used_by_an_operation() -> None:
    used = {code for op in OPERATIONS for code in op.all_errors()}
    unused = set(REGISTRY) - used - GENERIC_CODES - set(JOB_FAILURE_CODES)
    assert not unused, unused


def test_every_body_and_response_has_a_valid_example(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    for op in OPERATIONS:
        for model in (op.body, op.returns):
            if model is not None:
                assert schemas[model.__name__].get("examples"), f"{op.operation_id}: {model.__name__} has no example"
    for name, example in EXAMPLES.items():
        if name == "UploadForm":  # a form: its fields besides the file, as the API parses them
            fields = {key: value for key, value in example.items() if key != "file"}
            UploadFields.model_validate({**fields, "causal_hints": json.dumps(fields["causal_hints"])})
        else:
            MODELS[name].model_validate(example)


def test_llms_txt_follows_the_format(client: TestClient) -> None:
    text = client.get("/llms.txt").text
    lines = text.splitlines()
    assert lines[0] == "# Simulacra"
    assert any(line.startswith("> ") for line in lines[:4])
    sections = [line for line in lines if line.startswith("## ")]
    assert sections[:2] == ["## Flow", "## More operations"]
    assert re.search(r"^- \[.+\]\(http.+\)", text, re.MULTILINE)


def test_llms_full_txt_covers_every_operation_and_code(client: TestClient) -> None:
    text = client.get("/llms-full.txt").text
    for op in OPERATIONS:
        assert f"### {op.operation_id}: {op.method} {op.path}" in text
    for code in REGISTRY:
        assert f"`{code}`" in text


def test_docs_page_loads_nothing_from_elsewhere(client: TestClient) -> None:
    page = client.get("/__docs__/").text
    # Its one script is inline; no src, href or url() points off this server.
    assert re.findall(r"<script[^>]*>", page) == ["<script>"]
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert not re.search(r"""url\(["']?(https?:)?//""", page)


def test_docs_page_covers_every_operation_schema_and_code(client: TestClient) -> None:
    page = client.get("/__docs__/").text
    spec = client.get("/openapi.json").json()
    for op in OPERATIONS:
        assert f'<section id="{op.operation_id}" class="op"' in page
    for name in spec["components"]["schemas"]:
        assert f'id="schema-{name}"' in page
    for code in REGISTRY:
        assert f'href="/errors/{code}"' in page
    # Every in-page link lands on an anchor of the page.
    anchors = set(re.findall(r' id="([^"]+)"', page))
    assert set(re.findall(r'href="#([^"]+)"', page)) <= anchors


def test_docs_page_shows_the_quickstarts_the_tests_run(client: TestClient) -> None:
    page = html.unescape(client.get("/__docs__/").text)
    for name in ("quickstart.py", "quickstart.sh", "quickstart.ts"):
        assert (EXAMPLE_FILES / name).read_text() in page


def test_every_rule_for_agents_is_a_section_of_the_guide() -> None:
    titles = [section.title for section in rule_sections()]
    assert len(titles) == len(re.findall(r"^- ", RULES, re.MULTILINE))
    assert {"Idempotency", "Retries", "Jobs", "Scopes"} <= set(titles)


def test_docs_page_renders_markdown(client: TestClient) -> None:
    page = client.get("/__docs__/").text
    prose = re.sub(r"<pre>.*?</pre>|data-search=\"[^\"]*\"", "", page, flags=re.DOTALL)
    assert "`" not in prose  # every backtick of the descriptions and rules became <code>
    assert "<code>Idempotency-Key</code>" in prose
