"""The model, generation and effect reports in a real browser: opened from their `report_url` alone (no token), the
graph drawn with every node and edge, a chart per column, nothing loaded from elsewhere, and printable."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
import requests
from playwright.sync_api import expect

from simulacra.infra import layout
from simulacra.infra.config import Settings
from simulacra.infra.sealed_links import SealedLinks
from simulacra.infra.signed_urls import UrlSigner
from simulacra.infra.storage import open_storage
from tests.browser.conftest import Visit
from tests.stack import TERMINAL, poll_until

CONDITIONS = {"categorical": {"segment": {"genz_switcher": 0.3}}, "numeric": {"price": {"min": 5.49, "max": 5.49}}}
EFFECT = {
    "treatment": {"column": "price", "from": 4.99, "to": 5.49},
    "outcome": "purchase_intent",
    "segment_by": "segment",
    "samples": 1000,
    "seed": 11,
}


class Api:
    """The live API over plain HTTP (this module's browser runs an event loop in the test thread)."""

    def __init__(self, base: str, token: str, worker: Any) -> None:
        self.base, self.headers, self.worker = base, {"Authorization": f"Bearer {token}"}, worker

    def get(self, path: str) -> Any:
        answer = requests.get(self.base + path, headers=self.headers, timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def started(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        headers = {**self.headers, "Idempotency-Key": uuid.uuid4().hex}
        answer = requests.post(self.base + path, json=body, headers=headers, timeout=30)
        assert answer.status_code == 202, answer.text
        job = poll_until(
            lambda: self.get(f"/v1/jobs/{answer.json()['job_id']}"),
            lambda job: job["status"] in TERMINAL,
            alive=lambda: self.worker.poll() is None,
        )
        assert job["status"] in ("ready", "partial"), job
        return dict(answer.json())


@pytest.fixture(scope="module")
def resources(live_api: str, token: str, ready_dataset: str, worker: Any) -> dict[str, Any]:
    api = Api(live_api, token, worker)
    generation = api.started(f"/v1/datasets/{ready_dataset}/generations", {"row_count": 500, "conditions": CONDITIONS})
    effect = api.started(f"/v1/datasets/{ready_dataset}/effects", EFFECT)
    return {
        "dataset": api.get(f"/v1/datasets/{ready_dataset}"),
        "graph": api.get(f"/v1/datasets/{ready_dataset}/graph"),
        "schema": api.get(f"/v1/datasets/{ready_dataset}/schema"),
        "generation": api.get(f"/v1/generations/{generation['generation_id']}"),
        "effect": api.get(f"/v1/effects/{effect['effect_id']}"),
    }


def _path(url: str, base: str) -> str:
    assert url.startswith(base + "/v1/"), url
    return url.removeprefix(base)


def test_the_model_report_draws_the_graph_and_a_chart_per_column(
    resources: dict[str, Any], visit_without_javascript: Visit
) -> None:
    visit = visit_without_javascript
    graph, schema = resources["graph"], resources["schema"]
    page = visit.open(_path(resources["dataset"]["report_url"], visit.base))
    drawing = page.locator("#graph-figure svg")
    expect(drawing.locator("[data-node]")).to_have_count(len(graph["nodes"]))
    expect(drawing.locator("[data-edge]")).to_have_count(len(graph["edges"]))
    drawn = set(drawing.locator("[data-edge]").evaluate_all("groups => groups.map(g => g.dataset.edge)"))
    assert drawn == {f"{edge['from']}->{edge['to']}" for edge in graph["edges"]}
    # Each column's mechanism and fit on hover (an SVG <title>), and in the table beside.
    price = next(node for node in graph["nodes"] if node["name"] == "price")
    expect(drawing.locator("[data-node='price'] > title")).to_contain_text(price["mechanism"])
    expect(drawing.locator("[data-edge].prior")).to_have_count(len(graph["oriented_by_prior"]))
    charts = page.locator("#distributions figure.distribution")
    expect(charts).to_have_count(len(schema["columns"]))
    assert charts.evaluate_all("fs => fs.map(f => f.dataset.column)") == [c["name"] for c in schema["columns"]]
    expect(charts.locator("svg")).to_have_count(len(schema["columns"]))
    expect(page.locator("#dropped tr")).to_have_count(len(schema["dropped"]) + 1)
    for chart in ("#fidelity-chart", "#association-chart", "#permutation-chart"):
        expect(page.locator(f"{chart} svg")).to_be_visible()
    expect(page.locator("#verdict")).to_have_text(resources["dataset"]["validation"]["falsification"]["verdict"])
    expect(page.locator("#version-table tr.version")).to_have_count(resources["dataset"]["model_version"])
    visit.shot("model-report")
    page.locator("#graph").scroll_into_view_if_needed()
    visit.shot("model-report-graph")
    page.locator("#distributions").evaluate("section => section.scrollIntoView()")
    visit.shot("model-report-distributions")
    visit.assert_clean()


def test_the_model_report_prints(resources: dict[str, Any], visit: Visit) -> None:
    page = visit.open(_path(resources["dataset"]["report_url"], visit.base))
    page.emulate_media(media="print")
    expect(page.locator("aside.side")).to_be_hidden()
    expect(page.locator("#graph-figure svg")).to_be_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 50_000
    visit.assert_clean()


def test_the_generation_report_shows_requested_against_achieved(resources: dict[str, Any], visit: Visit) -> None:
    generation = resources["generation"]
    page = visit.open(_path(generation["report_url"], visit.base))
    # One row per conditioned level and numeric range.
    expect(page.locator("#conditions tr.condition")).to_have_count(2)
    expect(page.locator("#conditions tr.condition").first).to_contain_text("segment = genz_switcher")
    expect(page.locator("#shares-chart svg")).to_be_visible()
    copies = generation["report"]["privacy"]["exact_copy_share"]
    expect(page.locator("#privacy-table")).to_contain_text(f"{copies:.1%}")
    visit.shot("generation-report")
    visit.assert_clean()


def test_the_effect_report_shows_arms_segments_and_paths(resources: dict[str, Any], visit: Visit) -> None:
    effect = resources["effect"]
    page = visit.open(_path(effect["report_url"], visit.base))
    expect(page.locator("#arms-chart svg")).to_be_visible()
    expect(page.locator("#forest-chart svg")).to_be_visible()
    expect(page.locator("#segment-table tr.segment")).to_have_count(len(effect["segments"]))
    expect(page.locator("#path-list li")).to_have_count(len(effect["graph_path"]))
    on_path = {(a, b) for path in effect["graph_path"] for a, b in zip(path, path[1:], strict=False)}
    expect(page.locator("#paths-graph svg [data-highlighted='true']")).to_have_count(len(on_path))
    visit.shot("effect-report")
    visit.assert_clean()


def test_an_altered_or_expired_report_link_is_a_problem_not_a_page(
    resources: dict[str, Any], live_api: str, settings: Settings
) -> None:
    url = resources["dataset"]["report_url"]
    path = _path(url, live_api).partition("?")[0]
    altered = url.replace("signature=", "signature=A")
    signer = UrlSigner.for_settings(settings)  # the secret the live API shares through the control database
    expired, _ = SealedLinks(signer).sign(live_api, "acme", path, now=time.time() - 3600)
    for link, code in ((altered, "simio_invalid_signature"), (expired, "simio_signature_expired")):
        answer = requests.get(link, timeout=30)
        assert answer.status_code == 403, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"] == code
    # The link alone opens the page: no bearer token, and nothing for a cache or a referrer to keep.
    page = requests.get(url, timeout=30)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "no-referrer"
    # Drawn once, then stored beside the model version's records (and removed with them).
    dataset = resources["dataset"]
    key = layout.dataset_report_key("acme", dataset["dataset_id"], dataset["model_version"])
    assert open_storage(settings).read_bytes(key).decode() == page.text
