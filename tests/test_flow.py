"""The user's flow end to end: real app, real Temporal, real worker, real engine, real files."""

from __future__ import annotations

import io

import pyarrow.compute as pc
import pyarrow.ipc
import pyarrow.parquet
from starlette.testclient import TestClient

from tests.flows import bearer, finished, generate, rows_of, upload

QUICKSTART = {
    "row_count": 2000,
    "conditions": {
        "categorical": {"segment": {"genz_switcher": 0.3}},
        "numeric": {"price": {"min": 5.49, "max": 5.49}},
    },
    "seed": 11,
}


def _mean(table, column: str) -> float:
    return pc.mean(table[column]).as_py()


def test_schema_is_cleaned_with_provenance(client: TestClient, token: str, ready_dataset: str) -> None:
    schema = client.get(f"/v1/datasets/{ready_dataset}/schema", headers=bearer(token)).json()
    columns = {c["name"]: c for c in schema["columns"]}
    assert {"segment", "region", "age_band", "brand", "price", "purchase_intent"} <= set(columns)
    assert columns["price"]["source_name"] == "Price" and columns["price"]["type"] == "numeric"
    assert columns["segment"]["type"] == "categorical"
    assert abs(sum(level["share"] for level in columns["segment"]["levels"]) - 1.0) < 1e-6
    dropped = {d["source_name"]: d["reason"] for d in schema["dropped"]}
    assert dropped["Respondent ID"] == "id_like" and dropped["Wave"] == "constant"
    assert schema["renamed"]["Purchase Intent"] == "purchase_intent"


def test_quickstart_generation_meets_its_conditions(
    client: TestClient, token: str, ready_dataset: str, worker: object
) -> None:
    accepted = generate(client, token, ready_dataset, QUICKSTART)
    assert accepted.status_code == 202, accepted.text
    assert accepted.headers["location"] == f"/v1/jobs/{accepted.json()['job_id']}"
    job = finished(client, token, accepted.json()["job_id"], worker)
    assert job["status"] == "ready", job
    assert job["rows_generated"] == 2000
    rows = rows_of(client, token, job)
    assert rows.num_rows == 2000
    share = pc.sum(pc.equal(rows["segment"], "genz_switcher")).as_py() / rows.num_rows
    assert abs(share - 0.30) <= 0.03
    assert pc.all(pc.equal(rows["price"], 5.49)).as_py()
    generation = client.get(f"/v1/generations/{accepted.json()['generation_id']}", headers=bearer(token)).json()
    assert generation["status"] == "ready" and generation["artifact_url"]


def test_intervention_on_price_moves_purchase_intent_down(
    client: TestClient, token: str, ready_dataset: str, worker: object
) -> None:
    means = {}
    for price in (3.99, 6.49):
        body = {
            "row_count": 3000,
            "seed": 5,
            "format": "parquet",
            "conditions": {"numeric": {"price": {"min": price, "max": price}}},
        }
        job = finished(client, token, generate(client, token, ready_dataset, body).json()["job_id"], worker)
        assert job["status"] == "ready", job
        content = client.get(job["artifact_url"], headers=bearer(token)).content
        means[price] = _mean(pyarrow.parquet.read_table(io.BytesIO(content)), "purchase_intent")
    # The known model (examples/make_tracker.py): intent falls with price.
    assert means[6.49] < means[3.99] - 5, means


def test_conditions_are_checked_against_the_schema(client: TestClient, token: str, ready_dataset: str) -> None:
    raw_header = generate(
        client, token, ready_dataset, {"row_count": 10, "conditions": {"numeric": {"Price": {"min": 5, "max": 6}}}}
    )
    assert raw_header.status_code == 400
    assert raw_header.json()["code"] == "simio_unknown_condition_column"
    assert "'price'" in raw_header.json()["detail"]
    level = generate(
        client, token, ready_dataset, {"row_count": 10, "conditions": {"categorical": {"segment": {"martians": 0.5}}}}
    )
    assert level.json()["code"] == "simio_unknown_condition_level"
    unknown_field = generate(client, token, ready_dataset, {"row_count": 10, "colour": "blue"})
    assert unknown_field.json()["code"] == "simio_invalid_field"
    assert unknown_field.json()["errors"][0]["pointer"] == "/colour"
    # JSON types are taken as sent: `true` is not 1 row, "10" is not a number, a share of `true` is not 1.0.
    for body, pointer in (
        ({"row_count": True}, "/row_count"),
        ({"row_count": "10"}, "/row_count"),
        ({"row_count": 10, "conditions": {"categorical": {"segment": {"genz_switcher": True}}}}, "/conditions"),
    ):
        coerced = generate(client, token, ready_dataset, body)
        assert coerced.status_code == 400, coerced.text
        assert coerced.json()["errors"][0]["pointer"].startswith(pointer)


def test_artifact_url_needs_signature_and_bearer(
    client: TestClient, token: str, ready_dataset: str, worker: object
) -> None:
    job = finished(client, token, generate(client, token, ready_dataset, {"row_count": 20}).json()["job_id"], worker)
    url = job["artifact_url"]
    assert client.get(url).status_code == 401
    tampered = url[:-4] + ("0000" if not url.endswith("0000") else "1111")
    assert client.get(tampered, headers=bearer(token)).json()["code"] == "simio_invalid_signature"


def test_tenants_cannot_see_each_other(client: TestClient, token: str, other_token: str, ready_dataset: str) -> None:
    response = client.get(f"/v1/datasets/{ready_dataset}/schema", headers=bearer(other_token))
    assert response.status_code == 404 and response.json()["code"] == "simio_dataset_not_found"
    assert client.get(f"/v1/jobs/job_{ready_dataset}", headers=bearer(other_token)).status_code == 404


def test_unusable_upload_fails_its_job_and_blocks_generation(client: TestClient, token: str, worker: object) -> None:
    accepted = upload(client, token, b"only_one_column\n1\n2\n", "tiny.csv")
    assert accepted.status_code == 202
    job = finished(client, token, accepted.json()["job_id"], worker)
    assert job["status"] == "failed" and job["error"]["code"] == "simio_upload_invalid"
    refused = generate(client, token, accepted.json()["dataset_id"], {"row_count": 10})
    assert refused.status_code == 409 and refused.json()["code"] == "simio_dataset_failed"


def test_a_table_too_wide_fails_while_cleaning_with_what_to_do(client: TestClient, token: str, worker: object) -> None:
    columns = 301  # one past the default SIMULACRA_MAX_TABLE_COLUMNS
    header = ",".join(f"Q{i}" for i in range(columns))
    body = "\n".join([header, *(",".join(str((r + i) % 5) for i in range(columns)) for r in range(30))])
    accepted = upload(client, token, body.encode(), "wide.csv")
    job = finished(client, token, accepted.json()["job_id"], worker)
    assert job["status"] == "failed" and job["error"]["code"] == "simio_too_many_columns"
    assert "301 columns; at most 300" in job["error"]["message"] and "Drop the columns" in job["error"]["message"]


def test_a_garbage_upload_fails_in_our_words(client: TestClient, token: str, worker: object) -> None:
    accepted = upload(client, token, bytes(range(256)) * 40, "garbage.csv")
    job = finished(client, token, accepted.json()["job_id"], worker)
    assert job["status"] == "failed" and job["error"]["code"] == "simio_upload_invalid"
    message = job["error"]["message"]
    assert "/" not in message.replace("/form-data", "") and "Error" not in message, message  # no path, no library
    broken = client.post(
        "/v1/datasets",
        headers={**bearer(token, "k-broken"), "Content-Type": "multipart/form-data; boundary=xyz"},
        content=b"--xyz\r\nno colon here\r\n\r\nab\r\n--xyz--",
    )
    assert broken.status_code == 400 and broken.json()["code"] == "simio_upload_invalid"
    assert "character" not in broken.json()["detail"]  # the parser's "invalid character 32 in header at 9"


def test_a_json_body_sent_as_another_type_answers_415(client: TestClient, token: str, ready_dataset: str) -> None:
    refused = client.post(
        f"/v1/datasets/{ready_dataset}/generations",
        headers={**bearer(token, "k-form"), "Content-Type": "application/x-www-form-urlencoded"},
        content=b'{"row_count": 10}',
    )
    assert refused.status_code == 415 and refused.json()["code"] == "simio_unsupported_content_type"
    assert "application/json" in refused.json()["detail"]


def test_upload_limits_and_content_type(client: TestClient, token: str) -> None:
    not_multipart = client.post(
        "/v1/datasets", headers={**bearer(token, "k-json"), "Content-Type": "text/csv"}, content=b"a,b\n1,2\n"
    )
    assert not_multipart.status_code == 415 and not_multipart.json()["code"] == "simio_unsupported_content_type"
    no_file = client.post(
        "/v1/datasets", headers=bearer(token, "k-nofile"), data={"other": "x"}, files={"not_file": ("x.csv", b"a\n1\n")}
    )
    assert no_file.status_code == 400 and no_file.json()["code"] == "simio_upload_invalid"


def test_missing_resources_answer_404_with_their_codes(client: TestClient, token: str) -> None:
    assert client.get("/v1/jobs/job_ds_nope", headers=bearer(token)).json()["code"] == "simio_job_not_found"
    assert client.get("/v1/jobs/whatever", headers=bearer(token)).json()["code"] == "simio_job_not_found"
    assert client.get("/v1/datasets/ds_nope", headers=bearer(token)).json()["code"] == "simio_dataset_not_found"
    assert client.get("/v1/generations/gen_nope", headers=bearer(token)).json()["code"] == "simio_generation_not_found"


def test_graph_reports_edges_mechanisms_and_stability(client: TestClient, token: str, ready_dataset: str) -> None:
    graph = client.get(f"/v1/datasets/{ready_dataset}/graph", headers=bearer(token)).json()
    assert graph["model_version"] == 1
    edges = {(edge["from"], edge["to"]): edge for edge in graph["edges"]}
    # The known model: price -> purchase_intent, and it is found in (nearly) every bootstrap resample.
    assert edges[("price", "purchase_intent")]["stability"] >= 0.8
    nodes = {node["name"]: node for node in graph["nodes"]}
    assert "price" in nodes["purchase_intent"]["parents"]
    assert nodes["purchase_intent"]["mechanism"] and nodes["purchase_intent"]["r2"] > 0.3


def test_generation_reports_feasibility_and_privacy(
    client: TestClient, token: str, ready_dataset: str, worker: object
) -> None:
    job = finished(client, token, generate(client, token, ready_dataset, QUICKSTART).json()["job_id"], worker)
    generation = client.get(f"/v1/generations/{job['generation_id']}", headers=bearer(token)).json()
    report = generation["report"]
    assert report["conditions_met"] is True and report["rows_generated"] == 2000
    assert generation["model_version"] == 1
    assert 0.0 <= report["privacy"]["exact_copy_share"] <= 1.0


def test_condition_mode_answers_an_observational_question(
    client: TestClient, token: str, ready_dataset: str, worker: object
) -> None:
    body = {
        "row_count": 500,
        "seed": 3,
        "conditions": {"mode": "condition", "numeric": {"price": {"min": 6.0, "max": 6.99}}},
    }
    job = finished(client, token, generate(client, token, ready_dataset, body).json()["job_id"], worker)
    assert job["status"] in ("ready", "partial"), job
    rows = rows_of(client, token, job)
    assert pc.min(rows["price"]).as_py() >= 6.0 and pc.max(rows["price"]).as_py() <= 6.99


def test_lists_page_through_a_tenants_datasets_only(
    client: TestClient, token: str, other_token: str, ready_dataset: str
) -> None:
    seen, cursor = [], None
    while True:
        query = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/datasets", headers=bearer(token), params=query).json()
        assert len(page["data"]) <= 2
        seen += [dataset["dataset_id"] for dataset in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert ready_dataset in seen and len(seen) == len(set(seen))
    theirs = client.get("/v1/datasets", headers=bearer(other_token)).json()["data"]
    assert ready_dataset not in {dataset["dataset_id"] for dataset in theirs}
    bad = client.get("/v1/datasets", headers=bearer(token), params={"limit": 0})
    assert bad.status_code == 400 and bad.json()["errors"][0]["pointer"] == "/limit"


def test_generations_of_a_dataset_are_listed(
    client: TestClient, token: str, ready_dataset: str, worker: object
) -> None:
    job = finished(client, token, generate(client, token, ready_dataset, {"row_count": 10}).json()["job_id"], worker)
    listed = client.get(f"/v1/datasets/{ready_dataset}/generations", headers=bearer(token)).json()["data"]
    assert job["generation_id"] in {entry["generation_id"] for entry in listed}
    jobs = client.get("/v1/jobs", headers=bearer(token), params={"limit": 100}).json()["data"]
    assert {job["job_id"], f"job_{ready_dataset}"} <= {entry["job_id"] for entry in jobs}


def test_a_cursor_only_works_for_its_own_list(client: TestClient, token: str, other_token: str) -> None:
    page = client.get("/v1/datasets", headers=bearer(token), params={"limit": 1}).json()
    assert page["next_cursor"], "the session has uploaded more than one dataset"
    other_list = client.get("/v1/jobs", headers=bearer(token), params={"cursor": page["next_cursor"]})
    assert other_list.status_code == 404 and other_list.json()["code"] == "simio_cursor_not_found"
    other_tenant = client.get("/v1/datasets", headers=bearer(other_token), params={"cursor": page["next_cursor"]})
    assert other_tenant.status_code == 404
    altered = client.get("/v1/datasets", headers=bearer(token), params={"cursor": page["next_cursor"][:-2] + "AA"})
    assert altered.status_code == 404


def test_arrow_artifacts_keep_the_schema_types(
    client: TestClient, token: str, ready_dataset: str, worker: object
) -> None:
    body = {"row_count": 100, "format": "arrow", "seed": 2}
    job = finished(client, token, generate(client, token, ready_dataset, body).json()["job_id"], worker)
    response = client.get(job["artifact_url"], headers=bearer(token))
    assert response.headers["content-type"] == "application/vnd.apache.arrow.file"
    table = pyarrow.ipc.open_file(io.BytesIO(response.content)).read_all()
    assert table.num_rows == 100
    assert pyarrow.types.is_integer(table.schema.field("satisfaction").type)
    assert pyarrow.types.is_string(table.schema.field("segment").type)
