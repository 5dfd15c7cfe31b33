"""Ordinal answers (Likert and other known scales) keep their order, and missing answers keep their share."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulacra.engine import EngineInputError, clean_table, discover_graph, fit_model, generate_rows
from simulacra.engine.checks.conditions import parse_conditions
from simulacra.engine.cleaning.scales import scale_order

AGREEMENT = ["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree"]


def _survey(rows: int = 2000, seed: int = 0) -> pd.DataFrame:
    """Price lowers satisfaction, satisfaction drives agreement; gaps in a number, a category and the scale."""
    rng = np.random.default_rng(seed)
    segment = rng.choice(["young", "family", "retired"], rows, p=[0.3, 0.45, 0.25])
    price = rng.choice([3.49, 3.99, 4.49, 4.99, 5.49], rows)
    satisfaction = np.clip(np.round(9 - price + rng.normal(0, 1, rows)), 1, 7).astype(int)
    agreement = np.array(AGREEMENT)[np.clip((satisfaction - 1) * 5 // 7 + rng.integers(-1, 2, rows), 0, 4)]
    # The rarest end of the scale stays below the rare-level threshold: it must not fold into "other".
    agreement[:3] = "Strongly disagree"
    agreement[3:] = np.where(agreement[3:] == "Strongly disagree", "Disagree", agreement[3:])
    frame = pd.DataFrame(
        {"Segment": segment, "Price": price, "Satisfaction": satisfaction, "I would recommend it": agreement}
    )
    frame["Spend"] = np.round(price * 3 + rng.normal(0, 2, rows), 1)
    frame.loc[rng.random(rows) < 0.2, "Spend"] = None
    frame["Household"] = rng.choice([1, 2, 3, 4, 5, 6], rows, p=[0.25, 0.3, 0.2, 0.15, 0.07, 0.03])
    frame.loc[rng.random(rows) < 0.25, "Household"] = None
    frame.loc[rng.random(rows) < 0.1, "Segment"] = None
    frame.loc[rng.random(rows) < 0.15, "I would recommend it"] = None
    return frame


@pytest.fixture(scope="module")
def survey(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, dict]:
    folder = tmp_path_factory.mktemp("ordinal")
    source, parquet, model = str(folder / "survey.csv"), str(folder / "clean.parquet"), str(folder / "model.pkl")
    _survey().to_csv(source, index=False)
    schema = clean_table(source, parquet)
    fit_model(parquet, schema, discover_graph(parquet, schema, bootstrap=0), model)
    return parquet, model, schema


def test_text_scale_is_ordinal_with_levels_low_to_high(survey: tuple[str, str, dict]) -> None:
    _, _, schema = survey
    columns = {c.name: c for c in schema.columns}
    recommend = columns["i_would_recommend_it"]
    assert recommend.type == "ordinal"
    assert [level.value for level in recommend.levels] == AGREEMENT
    assert "i_would_recommend_it" not in schema.collapsed_levels
    # A 1-7 rating stays an integer: numeric conditions and effects in points need the numbers.
    assert columns["satisfaction"].type == "integer"
    assert columns["segment"].type == "categorical"


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        (["likely", "Very unlikely", "VERY LIKELY"], ["Very unlikely", "likely", "VERY LIKELY"]),
        (["Excellent", "Poor", "Good", "Fair", "Very good"], ["Poor", "Fair", "Good", "Very good", "Excellent"]),
        (["Neutral", "strongly_agree", "Disagree"], ["Disagree", "Neutral", "strongly_agree"]),
        (
            ["5 - Very likely", "2", "1 - Not at all likely", "4", "3"],
            ["1 - Not at all likely", "2", "3", "4", "5 - Very likely"],
        ),
        (["55+", "25-34", "18-24"], ["18-24", "25-34", "55+"]),
        (["330ml Cola", "330ml Fizzo", "500ml Cola"], None),
        (["1", "2"], None),
        (["Good", "Fizzo", "Poor"], None),
        (["Agree"], None),
        (["Low", "High", "Often"], None),
    ],
)
def test_scale_order_needs_every_level_on_one_known_scale(levels: list[str], expected: list[str] | None) -> None:
    assert scale_order(levels) == expected


def test_ordinals_take_categorical_shares_not_ranges(survey: tuple[str, str, dict]) -> None:
    _, _, schema = survey
    parsed = parse_conditions({"categorical": {"i_would_recommend_it": {"Strongly agree": 0.5}}}, schema)
    assert parsed.categorical == {"i_would_recommend_it": {"Strongly agree": 0.5}}
    with pytest.raises(EngineInputError) as caught:
        parse_conditions({"numeric": {"i_would_recommend_it": {"min": 4}}}, schema)
    assert caught.value.code == "simio_invalid_field" and "conditions.categorical" in caught.value.detail


def test_generated_ordinal_keeps_its_labels_and_the_condition(survey: tuple[str, str, dict]) -> None:
    _, model, _ = survey
    conditions = {"categorical": {"i_would_recommend_it": {"Strongly agree": 0.5}}}
    table, report = generate_rows(model, conditions, 2000, seed=3)
    values = table["i_would_recommend_it"].to_pylist()
    assert values.count("Strongly agree") == 1000
    assert set(values) <= set(AGREEMENT)
    assert report["conditions_met"]


def test_missing_shares_of_the_seed_survive_generation(survey: tuple[str, str, dict]) -> None:
    parquet, model, schema = survey
    table, _ = generate_rows(model, {}, 20000, seed=4)
    generated = table.to_pandas()
    seed_rows = pd.read_parquet(parquet)
    for column in schema.columns:
        name = column.name
        seed_share, generated_share = seed_rows[name].isna().mean(), generated[name].isna().mean()
        # 20k draws: a binomial share is within 0.01 of its mean at about 3.5 standard errors.
        assert abs(generated_share - seed_share) <= 0.01, (name, seed_share, generated_share)
    assert generated["spend"].isna().mean() > 0.15 and generated["segment"].isna().mean() > 0.07
    # Gaps are filled by the median while fitting: the answers left must not pile up on it.
    seed_sizes = seed_rows["household"].value_counts(normalize=True)
    generated_sizes = generated["household"].value_counts(normalize=True)
    assert (generated_sizes - seed_sizes).abs().max() < 0.03, (seed_sizes, generated_sizes)
