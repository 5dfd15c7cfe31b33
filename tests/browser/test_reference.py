"""/__docs__/ and /errors/{code} in a real browser: complete, searchable, linked, and loading nothing from elsewhere."""

from __future__ import annotations

import json

from playwright.sync_api import expect

from simulacra.api.app import OPERATIONS
from simulacra.api.errors import REGISTRY
from tests.browser.conftest import Visit

WITH_BODY = [op for op in OPERATIONS if op.body is not None]


def test_the_reference_renders_every_operation_with_its_fields(visit: Visit) -> None:
    page = visit.open("/__docs__/")
    sections = page.locator("main section.op")
    expect(sections).to_have_count(len(OPERATIONS))
    for op in WITH_BODY:
        names = page.locator(f"#{op.operation_id} table.fields tr.field td:first-child").all_inner_texts()
        assert set(op.body.model_fields) <= set(names), op.operation_id
    row_count = page.locator("#createGeneration tr.field", has_text="row_count").first
    expect(row_count).to_contain_text("integer")
    expect(row_count).to_contain_text("required")
    expect(row_count).to_contain_text("<= 100000000")
    # Nested objects are expanded from their $ref, and the schema is one click away.
    expect(page.locator("#createGeneration tr.field", has_text="conditions.numeric.{key}.min")).to_have_count(1)
    page.locator("#createGeneration").evaluate("section => section.scrollIntoView()")
    visit.shot("reference")
    page.locator("#createGeneration a[href='#schema-Conditions']").first.click()
    expect(page.locator("#schema-Conditions")).to_be_in_viewport()
    visit.assert_clean()


def test_the_filter_finds_an_operation(visit: Visit) -> None:
    page = visit.open("/__docs__/")
    page.locator("#filter").press_sequentially("createGeneration")
    visible = page.locator("main section.op:visible")
    expect(visible).to_have_count(1)
    expect(visible).to_have_id("createGeneration")
    expect(page.locator("aside [data-for='getJob']")).to_be_hidden()
    expect(page.locator("aside [data-for='createGeneration']")).to_be_visible()
    expect(page.locator("#filter-count")).to_have_text(f"1 of {len(OPERATIONS)} operations")
    # A field name finds the operations that take or return it.
    page.locator("#filter").fill("outcome_level")
    expect(page.locator("main section.op:visible")).to_have_count(2)  # estimateEffect and getEffect
    visit.shot("reference-filter")
    visit.assert_clean()


def test_the_reference_reads_without_javascript(visit_without_javascript: Visit) -> None:
    page = visit_without_javascript.open("/__docs__/")
    expect(page.locator("main section.op:visible")).to_have_count(len(OPERATIONS))
    expect(page.locator("#filter")).to_be_hidden()
    expect(page.locator("#quickstart pre").first).to_contain_text("SIMULACRA_CLAIM_TOKEN")
    visit_without_javascript.assert_clean()


def test_an_error_page_shows_its_example_and_the_operations_that_return_it(visit: Visit) -> None:
    code = "simio_dataset_not_ready"
    page = visit.open(f"/errors/{code}")
    expect(page.locator("#status")).to_have_text(f"HTTP {REGISTRY[code].status}")
    expect(page.locator("#retryable")).to_contain_text("Yes")
    example = json.loads(page.locator("#example").inner_text())
    assert example["code"] == code and example["status"] == 409 and example["type"].endswith(f"/errors/{code}")
    returning = [op for op in OPERATIONS if code in op.all_errors()]
    expect(page.locator("#operations li")).to_have_count(len(returning))
    visit.shot("error-page")
    page.locator("#operations a").first.click()
    page.wait_for_url(f"**/__docs__/#{returning[0].operation_id}")
    expect(page.locator(f"#{returning[0].operation_id}")).to_be_in_viewport()
    visit.assert_clean()


def test_the_error_index_links_every_code(visit: Visit) -> None:
    page = visit.open("/errors")
    expect(page.locator("table.errors a[href^='/errors/']")).to_have_count(len(REGISTRY))
    visit.shot("errors")
    visit.assert_clean()
