"""The reference (/__docs__/) and the error pages, rendered once at start-up from the OpenAPI document.

Markdown in descriptions and in the agents' rules is rendered with markdown-it-py (raw HTML off, so text from
the registry can never inject markup); the pages are Jinja templates with autoescaping. Everything a page
needs, its style and its filter script included, is inside it: nothing is fetched from anywhere.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markdown_it import MarkdownIt
from markupsafe import Markup

from simulacra.api.agent_docs import RULES, SUMMARY
from simulacra.api.errors import JOB_FAILURE_CODES, REGISTRY, SUPPORT, ErrorSpec, example_problem
from simulacra.api.examples import DS
from simulacra.api.operations import Operation
from simulacra.api.reference.entries import Entry, entry
from simulacra.api.reference.fields import SchemaBook

HERE = Path(__file__).parent
# The files the quickstart tests run (linked here from examples/, so the wheel carries them).
QUICKSTARTS = [("Python", "python", "python"), ("curl", "bash", "curl"), ("TypeScript", "typescript", "typescript")]
MARKDOWN = MarkdownIt("commonmark", {"html": False})
ENV = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.filters["markdown"] = lambda text: Markup(MARKDOWN.render(text))
ENV.filters["inline"] = lambda text: Markup(MARKDOWN.renderInline(text))


@dataclass(frozen=True)
class Section:
    anchor: str
    title: str
    markdown: str


@dataclass(frozen=True)
class ErrorPage:
    code: str
    spec: ErrorSpec
    example: str
    operations: list[Operation]
    job_failure: bool


@dataclass(frozen=True)
class Reference:
    docs_html: str
    errors_html: str
    error_html: dict[str, str]


def rule_sections(rules: str = RULES) -> list[Section]:
    """The agents' rules ("- Idempotency: ...", one bullet each) as sections of the human guide."""
    sections = []
    for item in re.split(r"^- (?=[A-Z][\w ]*: )", rules, flags=re.MULTILINE)[1:]:
        title, _, text = item.partition(": ")
        body = re.sub(r"^  ", "", text, flags=re.MULTILINE)  # the continuation lines' bullet indent
        sections.append(Section("rule-" + title.lower().replace(" ", "-"), title, body))
    return sections


def error_pages(operations: list[Operation], base_url: str) -> dict[str, ErrorPage]:
    users: dict[str, list[Operation]] = defaultdict(list)
    for op in operations:
        for code in op.all_errors():
            users[code].append(op)
    return {
        code: ErrorPage(
            code=code,
            spec=spec,
            example=json.dumps(_example(code, base_url, users[code]), indent=2),
            operations=users[code],
            job_failure=code in JOB_FAILURE_CODES,
        )
        for code, spec in sorted(REGISTRY.items())
    }


def _example(code: str, base_url: str, users: list[Operation]) -> dict[str, Any]:
    if code in JOB_FAILURE_CODES:
        error = {"code": code, "message": REGISTRY[code].cause}
        return {"job_id": f"job_{DS}", "kind": "dataset", "status": "failed", "stage": "failed", "error": error}
    return example_problem(code, base_url, users[0].path if users else "/v1/unknown")


def build_reference(operations: list[Operation], openapi: dict[str, Any], base_url: str) -> Reference:
    book = SchemaBook(openapi)
    entries: list[Entry] = [entry(op, openapi, book) for op in operations]
    tags: dict[str, list[Entry]] = defaultdict(list)
    for item in entries:
        tags[item.op.tag].append(item)
    # A schema's own table lists its top-level fields; the nested ones have their own schemas, linked.
    schemas = {
        name: [f for f in book.fields({"$ref": f"#/components/schemas/{name}"}) if f.depth == 0]
        for name in sorted(book.schemas)
    }
    examples = {name: book.example(schema) for name, schema in book.schemas.items()}
    quickstarts = [(label, lang, (HERE / "quickstart" / name).read_text()) for label, lang, name in QUICKSTARTS]
    pages = error_pages(operations, base_url)
    docs = ENV.get_template("reference.html").render(
        summary=SUMMARY,
        base_url=base_url,
        security=openapi["components"]["securitySchemes"]["oauth2"],
        quickstarts=quickstarts,
        rules=rule_sections(),
        tags=dict(tags),
        entries=entries,
        schemas=schemas,
        descriptions={name: schema.get("description", "") for name, schema in book.schemas.items()},
        examples=examples,
        errors=list(pages.values()),
    )
    return Reference(
        docs_html=docs,
        errors_html=ENV.get_template("errors.html").render(errors=list(pages.values())),
        error_html={
            code: ENV.get_template("error.html").render(page=page, support=SUPPORT) for code, page in pages.items()
        },
    )
