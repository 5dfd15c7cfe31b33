from __future__ import annotations

import pyarrow as pa

from simulacra.activities.engine_jobs import neutralise_formulas


def test_spreadsheet_formulas_are_neutralised_and_numbers_kept() -> None:
    cells = ['=HYPERLINK("x")', "+1", "-2", "@SUM(A1)", "Fizzo", None]
    safe = neutralise_formulas(pa.table({"brand": cells, "price": [1.0] * 6}))
    assert safe["brand"].to_pylist() == ['\'=HYPERLINK("x")', "'+1", "'-2", "'@SUM(A1)", "Fizzo", None]
    assert safe["price"].to_pylist() == [1.0] * 6
