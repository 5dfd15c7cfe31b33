"""Resources (documents an agent reads: schema, graph, validation report, error catalogue, llms-full.txt) and
prompts (the common tasks, as the tool calls that do them). Resources are read through the REST routes too."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import mcp_types as types

from simulacra.api.client.client import Client

SCHEME = "simulacra://"


@dataclass(frozen=True)
class Document:
    uri: str  # a URI template when it names a dataset
    name: str
    description: str
    path: str
    mime_type: str = "application/json"
    field: str | None = None  # the part of the answer that is the document

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(self.uri)) + "$")


DOCUMENTS = (
    Document(
        f"{SCHEME}errors",
        "error-catalogue",
        "Every simio_* error code: status, title, cause, fix and whether a retry helps.",
        "/errors",
    ),
    Document(
        f"{SCHEME}llms-full.txt",
        "llms-full.txt",
        "The full manual for agents: every operation, field, rule and error code.",
        "/llms-full.txt",
        "text/markdown",
    ),
    Document(
        f"{SCHEME}datasets/{{dataset_id}}/schema",
        "dataset-schema",
        "A ready dataset's cleaned schema: column names, types, levels with shares, ranges; build conditions from it.",
        "/v1/datasets/{dataset_id}/schema",
    ),
    Document(
        f"{SCHEME}datasets/{{dataset_id}}/graph",
        "dataset-graph",
        "A ready dataset's causal graph: edges with their stability, mechanisms, warnings.",
        "/v1/datasets/{dataset_id}/graph",
    ),
    Document(
        f"{SCHEME}datasets/{{dataset_id}}/validation",
        "dataset-validation",
        "A ready dataset's validation report: held-out fidelity, per-column fit, falsification of the graph.",
        "/v1/datasets/{dataset_id}",
        field="validation",
    ),
)


def resources() -> list[types.Resource]:
    return [
        types.Resource(uri=d.uri, name=d.name, description=d.description, mime_type=d.mime_type)
        for d in DOCUMENTS
        if "{" not in d.uri
    ]


def templates() -> list[types.ResourceTemplate]:
    return [
        types.ResourceTemplate(uri_template=d.uri, name=d.name, description=d.description, mime_type=d.mime_type)
        for d in DOCUMENTS
        if "{" in d.uri
    ]


def read(client: Client, uri: str) -> types.ReadResourceResult | None:
    """None for a URI that names no document. A refused read raises the client's SimulacraError."""
    for document in DOCUMENTS:
        match = document.pattern.match(uri)
        if match is None:
            continue
        path = document.path
        for name, value in match.groupdict().items():
            path = path.replace("{" + name + "}", quote(value, safe=""))
        response = client.request("GET", path, accept=document.mime_type)
        if document.mime_type != "application/json":
            text = response.text
        else:
            body: Any = response.json()
            text = json.dumps(body[document.field] if document.field else body)
        return types.ReadResourceResult(
            contents=[types.TextResourceContents(uri=uri, mime_type=document.mime_type, text=text)]
        )
    return None


@dataclass(frozen=True)
class Task:
    name: str
    description: str
    arguments: tuple[tuple[str, str, bool], ...]  # name, description, required
    text: str


TASKS = (
    Task(
        "explore-a-tracker",
        "Upload a survey tracker and find out what drives what.",
        (("file", "A CSV file path (stdio) or the table itself as CSV text.", True),),
        "Upload this tracker with create_dataset ({file}), then call wait_for_job until done. Read the cleaned "
        "schema (get_dataset_schema, or the resource simulacra://datasets/{{dataset_id}}/schema) and the causal "
        "graph (get_dataset_graph). Summarise: the columns kept and dropped and why, the strongest and the "
        "contested edges, and the validation report (get_dataset: held-out fidelity against its reference, "
        "the falsification verdict). Say which questions the model can and cannot answer.",
    ),
    Task(
        "run-a-price-scenario",
        "Generate rows with the price fixed and a segment's share set, and report what changed.",
        (
            ("dataset_id", "A ready dataset.", True),
            ("price", "The price to fix, e.g. 5.49.", True),
            ("segment", "Optional level=share, e.g. genz_switcher=0.3.", False),
        ),
        "For dataset {dataset_id}: read its schema first (get_dataset_schema) and use its cleaned names. Call "
        "create_generation with row_count 2000 and conditions that fix the price column at {price} "
        '(numeric: {{"price": {{"min": {price}, "max": {price}}}}}) and set the segment share if given ({segment}). '
        "Call wait_for_job until done, then download_artifact for the link and a preview. Compare the preview's "
        "column summary with the schema's seed shares and explain the differences as effects of the intervention.",
    ),
    Task(
        "estimate-an-effect",
        "Estimate a causal effect with its interval, and say how far to trust it.",
        (
            ("dataset_id", "A ready dataset.", True),
            ("treatment", "column:from:to, e.g. price:4.99:5.49.", True),
            ("outcome", "The outcome column, e.g. purchase_intent.", True),
        ),
        "For dataset {dataset_id}: call estimate_effect with the treatment {treatment} (as "
        '{{"column", "from", "to"}}) and outcome {outcome}; a categorical outcome needs outcome_level. Call '
        "wait_for_job until done, then get_effect. Report the estimate with ci_low and ci_high and the method "
        "that made the interval, the graph_path that carries it, and whether both values are in support (if not, "
        "say it is extrapolation). If effect_range is present, give its statement: the data leave an edge's "
        "direction open. Name the contested_edges in structure and the effect with and without each.",
    ),
)


def prompts() -> list[types.Prompt]:
    return [
        types.Prompt(
            name=task.name,
            description=task.description,
            arguments=[types.PromptArgument(name=n, description=d, required=r) for n, d, r in task.arguments],
        )
        for task in TASKS
    ]


def prompt(name: str, arguments: dict[str, str]) -> types.GetPromptResult | None:
    task = next((task for task in TASKS if task.name == name), None)
    if task is None:
        return None
    values = {n: arguments.get(n, "not given") for n, _, _ in task.arguments}
    return types.GetPromptResult(
        description=task.description,
        messages=[types.PromptMessage(role="user", content=types.TextContent(text=task.text.format(**values)))],
    )
