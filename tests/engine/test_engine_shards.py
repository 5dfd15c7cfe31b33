from __future__ import annotations

import itertools
from collections import Counter

import pyarrow as pa
import pytest

from simulacra.engine import clean_table, discover_graph, fit_model, generate_rows
from simulacra.engine.model.model_file import load_model
from simulacra.engine.sampling.assignments import target_counts
from simulacra.engine.sampling.shards import ShardPlan, combined_report, sample_shard, shard_seed, split_counts

CONDITIONS = {"categorical": {"segment": {"genz_switcher": 0.3}}, "numeric": {"price": {"min": 4.0, "max": 6.0}}}


@pytest.fixture(scope="module")
def model(tracker_csv: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("shard-model")
    parquet, path = str(folder / "clean.parquet"), str(folder / "model.pkl")
    schema = clean_table(tracker_csv, parquet)
    fit_model(parquet, schema, discover_graph(parquet, schema), path)
    return path


@pytest.mark.parametrize(
    ("totals", "sizes"),
    [
        ({"a": 600, "b": 1400}, [500, 500, 500, 500]),
        ({"a": 1, "b": 2, "c": 3330}, [1000, 1000, 1000, 333]),
        ({"a": 7, "b": 0, "c": 993}, [250, 250, 250, 250]),
        ({"a": 33_333_334, "b": 33_333_333, "c": 33_333_333}, [250_000] * 399 + [250_000]),
    ],
)
def test_level_counts_split_over_shards_sum_exactly_both_ways(totals: dict[str, int], sizes: list[int]) -> None:
    parts = [split_counts(totals, sizes, index) for index in range(len(sizes))]
    assert [sum(part.values()) for part in parts] == sizes
    assert {label: sum(part[label] for part in parts) for label in totals} == totals
    assert all(count >= 0 for part in parts for count in part.values())


def test_shard_seeds_depend_on_seed_and_index_only() -> None:
    assert shard_seed(7, 0) == 7  # one shard is what generate_rows makes
    seeds = {shard_seed(seed, index) for seed, index in itertools.product((1, 2), range(1, 50))}
    assert len(seeds) == 98 and all(0 <= value < 2**32 for value in seeds)


def test_shards_combine_to_the_exact_count_whatever_their_order(model: str) -> None:
    plan = ShardPlan(row_count=2002, shard_rows=500)
    assert plan.sizes == [500, 500, 500, 500, 2]
    made = {index: sample_shard(model, CONDITIONS, plan, index, seed=11) for index in reversed(range(plan.count))}
    table = pa.concat_tables(made[index][0] for index in range(plan.count))
    assert table.num_rows == 2002
    # Every level's count over the shards is the count one job of 2,002 rows would have made.
    whole, whole_report = generate_rows(model, CONDITIONS, 2002, seed=11)
    assert Counter(table["segment"].to_pylist()) == Counter(whole["segment"].to_pylist())
    genz = table["segment"].to_pylist().count("genz_switcher")
    again, _ = sample_shard(model, CONDITIONS, plan, 3, seed=11)
    assert again.equals(made[3][0])
    report = combined_report(load_model(model), CONDITIONS, 2002, [made[index][1] for index in range(plan.count)])
    assert report["rows_generated"] == 2002 and report["shards"] == 5
    assert report["achieved"]["categorical"] == {"segment": {"genz_switcher": round(genz / 2002, 6)}}
    assert report["feasibility"]["rows"] == {"requested": 2002, "achieved": 2002, "status": "met"}
    assert report["achieved"]["numeric"]["price"]["share_in_range"] == 1.0
    assert report["conditions_met"] is True
    # The graph's doubts about the intervention are the same however the rows were made.
    assert (report["warnings"], report["contested_edges"]) == (
        whole_report["warnings"],
        whole_report["contested_edges"],
    )


def test_one_shard_is_what_generate_rows_makes(model: str) -> None:
    table, _ = sample_shard(model, CONDITIONS, ShardPlan(300, 500), 0, seed=4)
    expected, _ = generate_rows(model, CONDITIONS, 300, seed=4)
    assert table.equals(expected)


def test_condition_mode_counts_are_exact_over_the_whole_artifact(model: str) -> None:
    # Two conditioned columns over ten small shards, each wanting 3.5, 2.5 and 4.5 rows of a level:
    # rounded shard by shard, the levels came to 50, 30 and 50 rows; split from the whole they are exact.
    targets = {"segment": {"genz_switcher": 0.35, "value_seeker": 0.25}, "region": {"south": 0.45}}
    conditions = {"mode": "condition", "categorical": targets}
    plan = ShardPlan(row_count=100, shard_rows=10)
    made = [sample_shard(model, conditions, plan, index, seed=2) for index in range(plan.count)]
    assert [table.num_rows for table, _ in made] == plan.sizes
    for name, wanted in targets.items():
        counts = Counter(value for table, _ in made for value in table[name].to_pylist())
        assert {level: counts[level] for level in wanted} == target_counts(wanted, 100)
    report = combined_report(load_model(model), conditions, 100, [counts for _, counts in made])
    assert report["rows_generated"] == 100 and report["feasibility"]["rows"]["status"] == "met"
    assert report["draws"] == sum(counts["pool"]["draws"] for _, counts in made)
    shares = report["achieved"]["categorical"]["segment"]
    assert shares == {"genz_switcher": 0.35, "value_seeker": 0.25}
    assert report["mode"] == "condition" and report["conditions_met"] is True
