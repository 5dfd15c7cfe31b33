"""The contract documents, served from what the app built at start-up."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from simulacra.api.context import RequestContext
from simulacra.api.operations import Operation


async def openapi_json(request: Request, ctx: RequestContext) -> JSONResponse:
    return JSONResponse(request.app.state.documents.openapi)


async def llms_txt(request: Request, ctx: RequestContext) -> Response:
    return PlainTextResponse(request.app.state.documents.llms_txt, media_type="text/markdown; charset=utf-8")


async def llms_full_txt(request: Request, ctx: RequestContext) -> Response:
    return PlainTextResponse(request.app.state.documents.llms_full_txt, media_type="text/markdown; charset=utf-8")


async def docs_page(request: Request, ctx: RequestContext) -> HTMLResponse:
    return HTMLResponse(request.app.state.documents.reference.docs_html)


operations = [
    Operation("getOpenApi", "GET", "/openapi.json", openapi_json, "This API as OpenAPI 3.1", "meta"),
    Operation(
        "getLlmsTxt", "GET", "/llms.txt", llms_txt, "Routing notes for agents", "meta", media_types=("text/markdown",)
    ),
    Operation(
        "getLlmsFullTxt",
        "GET",
        "/llms-full.txt",
        llms_full_txt,
        "The full manual for agents",
        "meta",
        media_types=("text/markdown",),
    ),
    Operation("getDocs", "GET", "/__docs__/", docs_page, "Human reference", "meta", media_types=("text/html",)),
]
