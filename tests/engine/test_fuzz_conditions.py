"""Fuzz the condition and effect-request checks: any JSON-like value parses or raises EngineInputError.

The API runs these checks on the client's body before any work starts; anything but EngineInputError
would be a 500 there, and in the worker a retried internal error.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from simulacra.engine import clean_table
from simulacra.engine.checks.conditions import Conditions, parse_conditions
from simulacra.engine.checks.effect_request import EffectSpec, parse_effect_request
from simulacra.engine.checks.errors import EngineInputError
from simulacra.engine.records import CausalGraph, CleanedSchema
from tests.engine.fuzzing import FUZZ, LEAKS

NAMES = ["segment", "price", "flag", "Segment", "nope", "", "a", "b", "c", "min", "max", "mode", "categorical"]
names = st.sampled_from(NAMES) | st.text(max_size=8)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | names
)
json_like = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(names, inner, max_size=4), max_leaves=20
)
# Values shaped like conditions, so the fuzzer reaches past the first type checks.
conditions = st.fixed_dictionaries(
    {},
    optional={
        "mode": st.sampled_from(["intervene", "condition"]) | json_like,
        "categorical": st.dictionaries(names, st.dictionaries(names, scalars, max_size=3) | json_like, max_size=3),
        "numeric": st.dictionaries(
            names, st.fixed_dictionaries({}, optional={"min": scalars, "max": scalars}) | json_like, max_size=3
        ),
    },
)
effect_requests = st.fixed_dictionaries(
    {},
    optional={
        "treatment": st.fixed_dictionaries({"column": names, "from": scalars, "to": scalars}) | json_like,
        "outcome": names | json_like,
        "outcome_level": scalars,
        "segment_by": names | json_like,
        "samples": scalars,
        "seed": scalars,
        "confidence_level": scalars,
    },
)


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> CleanedSchema:
    folder = tmp_path_factory.mktemp("schema")
    rows = [f"{'abc'[i % 3]},{1 + (i * 7) % 10 / 2},{'yes' if i % 2 else 'no'}" for i in range(60)]
    (folder / "t.csv").write_text("segment,price,flag\n" + "\n".join(rows) + "\n")
    return clean_table(str(folder / "t.csv"), str(folder / "t.parquet"))


def _refused_cleanly(exc: EngineInputError) -> None:
    assert exc.code.startswith("simio_"), exc.code
    assert not [word for word in LEAKS if word in exc.detail], exc.detail


@FUZZ
@given(value=conditions | json_like)
@example(value={"numeric": {"price": {"min": 10**400}}})  # overflowed math.isfinite before is_finite_number
def test_conditions_parse_or_are_refused_cleanly(schema: CleanedSchema, value: object) -> None:
    try:
        assert isinstance(parse_conditions(value, schema), Conditions)  # type: ignore[arg-type]
    except EngineInputError as exc:
        _refused_cleanly(exc)


@FUZZ
@given(value=effect_requests | json_like)
@example(value={"treatment": {"column": "price", "from": 1, "to": 10**400}, "outcome": "segment"})
def test_effect_requests_parse_or_are_refused_cleanly(schema: CleanedSchema, value: object) -> None:
    names = [column.name for column in schema.columns]
    graph = CausalGraph(nodes=names, edges=[(names[0], names[1])])
    try:
        assert isinstance(parse_effect_request(value, schema, graph), EffectSpec)  # type: ignore[arg-type]
    except EngineInputError as exc:
        _refused_cleanly(exc)
