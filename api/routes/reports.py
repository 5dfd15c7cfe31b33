"""Reports: a dataset's model, a generation and an effect as HTML pages, opened through their `report_url`.

A browser cannot send the bearer header, so the link is the credential: sealed with its tenant, valid as long as
an artifact link (api/signed_links.py). A page is drawn on its first view, in a thread, and stored beside the
records it shows (encrypted like them, and removed with them): what it shows never changes once the model
version, generation or effect is done, so later views are a read. Nothing is drawn for what nobody opens, and the
worker's jobs do not wait on charts. At most RENDERS pages are drawn at once per process; more wait their turn.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse

from simulacra.api.context import RequestContext
from simulacra.api.errors import ApiError
from simulacra.api.ids import DATASET, EFFECT, GENERATION
from simulacra.api.jobs import DOWNLOADABLE
from simulacra.api.lookups import live_effect, live_generation, ready_dataset
from simulacra.api.operations import Operation
from simulacra.api.reports.dataset_page import DatasetReport, Version, render_dataset_report
from simulacra.api.reports.effect_page import render_effect_report
from simulacra.api.reports.generation_page import render_generation_report
from simulacra.engine.records import CausalGraph, FitReport, ValidationReport
from simulacra.infra import layout
from simulacra.infra.storage import Storage

RENDERS = 2
# A thread's semaphore, not the event loop's: it holds in whichever loop (or test client) calls.
_renders = threading.BoundedSemaphore(RENDERS)
# The page holds no script and fetches nothing; its own link must not leak to pages it links to.
HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
}
LINK_QUERY = {
    "expires": "Unix time the link stops working (from report_url).",
    "signature": "From report_url; it also names the tenant, sealed.",
}
LINK_ERRORS = ("simio_invalid_signature", "simio_signature_expired")


def _tenant(ctx: RequestContext) -> str:
    assert ctx.link_tenant is not None  # the router judged the sealed link before this runs
    return ctx.link_tenant


def _drawn_once(storage: Storage, key: str, source: str, draw: Callable[[], str]) -> str:
    with contextlib.suppress(FileNotFoundError):
        return storage.read_bytes(key).decode()
    with _renders:
        html = draw()
    storage.write_bytes(key, html.encode())  # two first views at once both write the same page: either wins
    if not storage.exists(source):
        # Deleted or expired while it was drawn: leave nothing behind (the retention sweep is the backstop for a
        # removal that lists the prefix between this write and this check).
        storage.delete_prefix(key)
    return html


async def _page(storage: Storage, key: str, source: str, draw: Callable[[], str]) -> HTMLResponse:
    return HTMLResponse(await run_in_threadpool(_drawn_once, storage, key, source, draw), headers=HEADERS)


def _dataset_records(
    storage: Storage, tenant_id: str, dataset_id: str, version: int
) -> tuple[FitReport, list[Version]]:
    versions = []
    for number in range(1, version + 1):
        graph = storage.read_document(layout.graph_key(tenant_id, dataset_id, number), CausalGraph)
        validation = None
        with contextlib.suppress(FileNotFoundError):  # fitted before validation reports existed
            validation = storage.read_document(layout.validation_key(tenant_id, dataset_id, number), ValidationReport)
        versions.append(Version(number, graph, validation))
    return storage.read_document(layout.fit_report_key(tenant_id, dataset_id, version), FitReport), versions


async def dataset_report(request: Request, ctx: RequestContext) -> HTMLResponse:
    tenant_id, dataset_id = _tenant(ctx), request.path_params["dataset_id"]
    snap, schema = await ready_dataset(request, tenant_id, dataset_id)
    version = snap.memo.model_version or 1
    storage = ctx.state.storage

    def draw() -> str:
        fit, versions = _dataset_records(storage, tenant_id, dataset_id, version)
        return render_dataset_report(DatasetReport(dataset_id, snap.memo.filename, schema, fit, versions))

    try:
        page, source = (
            layout.dataset_report_key(tenant_id, dataset_id, version),
            layout.schema_key(tenant_id, dataset_id),
        )
        return await _page(storage, page, source, draw)
    except FileNotFoundError:  # removed by its retention timer a moment ago
        raise DATASET.not_found(dataset_id) from None


async def generation_report(request: Request, ctx: RequestContext) -> HTMLResponse:
    tenant_id, generation_id = _tenant(ctx), request.path_params["generation_id"]
    snap = await live_generation(request, tenant_id, generation_id)
    if snap.status not in DOWNLOADABLE:  # no link names a generation before it is done
        raise ApiError("simio_artifact_not_ready", f"Generation {generation_id!r} is {snap.status}.")
    memo, storage = snap.memo, ctx.state.storage
    generation = {
        "generation_id": generation_id,
        "dataset_id": memo.dataset_id,
        "status": snap.status,
        "format": memo.format,
        "seed": memo.seed,
        "model_version": memo.model_version,
    }

    source = layout.generation_report_key(tenant_id, generation_id)

    def draw() -> str:
        return render_generation_report(generation, storage.read_json(source))

    try:
        return await _page(storage, layout.generation_page_key(tenant_id, generation_id), source, draw)
    except FileNotFoundError:  # removed by its retention timer a moment ago
        raise GENERATION.not_found(generation_id) from None


def _effect_records(
    storage: Storage, tenant_id: str, dataset_id: str, effect_id: str, version: int
) -> tuple[dict[str, Any], CausalGraph | None, ValidationReport | None]:
    result = storage.read_json(layout.effect_result_key(tenant_id, dataset_id, effect_id))
    graph = validation = None
    with contextlib.suppress(FileNotFoundError):
        graph = storage.read_document(layout.graph_key(tenant_id, dataset_id, version), CausalGraph)
        validation = storage.read_document(layout.validation_key(tenant_id, dataset_id, version), ValidationReport)
    return result, graph, validation


async def effect_report(request: Request, ctx: RequestContext) -> HTMLResponse:
    tenant_id, effect_id = _tenant(ctx), request.path_params["effect_id"]
    snap = await live_effect(request, tenant_id, effect_id)
    memo = snap.memo
    if snap.status != "ready":  # no link names an effect before its result is stored
        raise EFFECT.not_found(effect_id)
    storage, dataset_id = ctx.state.storage, memo.dataset_id
    effect = {
        **(memo.request or {}),
        "effect_id": effect_id,
        "dataset_id": memo.dataset_id,
        "model_version": memo.model_version,
    }

    def draw() -> str:
        result, graph, validation = _effect_records(storage, tenant_id, dataset_id, effect_id, memo.model_version or 1)
        nodes = {node.name: node for node in validation.nodes} if validation else {}
        return render_effect_report(effect, result, graph, nodes)

    try:
        page = layout.effect_page_key(tenant_id, dataset_id, effect_id)
        return await _page(storage, page, layout.effect_result_key(tenant_id, dataset_id, effect_id), draw)
    except FileNotFoundError:  # removed with its dataset a moment ago
        raise EFFECT.not_found(effect_id) from None


_ABOUT = (
    " Open `report_url` as it is, in a browser: the link is the credential (no bearer token), valid as long as an "
    "artifact link (15 minutes by default); an altered link answers 403 `simio_invalid_signature`, an expired one "
    "403 `simio_signature_expired` (read the resource again for a fresh link). The page holds no script, loads "
    "nothing else, and prints to PDF as it is."
)

operations = [
    Operation(
        "getDatasetReport",
        "GET",
        "/v1/datasets/{dataset_id}/report",
        dataset_report,
        "The model report of a dataset (HTML)",
        "reports",
        description="For the current model version: cleaning provenance (renamed, dropped with reasons, collapsed "
        "levels, types), the causal graph drawn (edge width by bootstrap stability, undecided directions and "
        "hint-imposed edges marked, each column's mechanism and fit on hover and in a table), validation (held-out "
        "fidelity beside the real-vs-real reference, each column's real and synthetic distribution, association "
        "matrices, the falsification test with its permutation distribution) and what each graph edit changed."
        + _ABOUT,
        media_types=("text/html",),
        sealed_link=True,
        query=LINK_QUERY,
        errors=(*LINK_ERRORS, "simio_dataset_not_found", "simio_dataset_not_ready", "simio_dataset_failed"),
    ),
    Operation(
        "getGenerationReport",
        "GET",
        "/v1/generations/{generation_id}/report",
        generation_report,
        "The report of a generation (HTML)",
        "reports",
        description="Requested against achieved shares per condition, feasibility, and privacy figures (exact "
        "copies, distance to the closest seed row)." + _ABOUT,
        media_types=("text/html",),
        sealed_link=True,
        query=LINK_QUERY,
        errors=(*LINK_ERRORS, "simio_generation_not_found", "simio_artifact_not_ready"),
    ),
    Operation(
        "getEffectReport",
        "GET",
        "/v1/effects/{effect_id}/report",
        effect_report,
        "The report of an effect (HTML)",
        "reports",
        description="The two arms' mean outcomes, the effect with its interval, the effect per segment as a forest "
        "plot, and the graph's paths from treatment to outcome drawn on the model's graph." + _ABOUT,
        media_types=("text/html",),
        sealed_link=True,
        query=LINK_QUERY,
        errors=(*LINK_ERRORS, "simio_effect_not_found"),
    ),
]
