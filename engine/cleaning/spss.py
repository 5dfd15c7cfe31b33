"""SPSS .sav/.zsav files through pyreadstat: value labels become the levels, in code order.

SPSS stores every number as a double and names its answers by value labels (1 = "Strongly
disagree" ... 5 = "Strongly agree"). A variable whose every observed code has a label is read as
its labels; it is declared ordinal (levels ordered by code) when SPSS measures it as ordinal or
scale, or when its labels lie on a known answer scale, and categorical otherwise. A variable with
labels on only some codes (a 0-10 scale labelling its two ends) stays a number. User-missing codes
are missing. Variable labels (the question text) are kept for the schema.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyreadstat

from simulacra.engine.checks.errors import EngineInputError
from simulacra.engine.cleaning.limits import TableLimits
from simulacra.engine.cleaning.reading import UNREADABLE, SourceColumn
from simulacra.engine.cleaning.scales import scale_order

ORDERED_MEASURES = ("ordinal", "scale")


def read_sav(path: str, limits: TableLimits | None = None) -> list[SourceColumn]:
    """Columns of an SPSS file, labelled codes replaced by their labels."""
    try:
        if limits:
            # The header declares the shape (rows may be unknown: -1); compressed data can be far larger.
            _, declared = pyreadstat.read_sav(path, metadataonly=True)
            limits.check(max(declared.number_rows or 0, 0), declared.number_columns or 0)
        frame, meta = pyreadstat.read_sav(path)
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError) as exc:
        raise EngineInputError("simio_upload_invalid", UNREADABLE["spss"]) from exc
    if limits:
        limits.check(len(frame), len(meta.column_names))
    columns = []
    for name in meta.column_names:
        labels = meta.variable_value_labels.get(name) or {}
        values, order = _labelled(frame[name], labels, meta.variable_measure.get(name, "unknown"))
        columns.append(SourceColumn(name, _arrow(values), meta.column_names_to_labels.get(name) or None, order))
    return columns


def _labelled(values: pd.Series, labels: dict, measure: str) -> tuple[pd.Series, tuple[str, ...] | None]:
    present = values.dropna()
    if not labels or present.empty or not present.isin(list(labels)).all():
        return values, None
    by_code = {code: str(label) for code, label in sorted(labels.items(), key=lambda item: _code_key(item[0]))}
    text = values.map(by_code).astype(object).where(values.notna(), None)
    ordered = list(dict.fromkeys(by_code.values()))
    if measure in ORDERED_MEASURES or scale_order(ordered) is not None:
        return text, tuple(ordered)
    return text, None


def _code_key(code: object) -> tuple[int, float | str]:
    # Numeric codes sort as numbers; string codes (labelled string variables) as text.
    return (0, float(code)) if isinstance(code, (int, float)) else (1, str(code))


def _arrow(values: pd.Series) -> pa.ChunkedArray:
    if pd.api.types.is_float_dtype(values):
        # SPSS has only doubles; cleaning turns whole numbers into integers.
        array = pa.array(values.to_numpy(), type=pa.float64(), from_pandas=True)
    else:
        # Python objects, so text, dates and times each get their own Arrow type.
        array = pa.array(values.astype(object).where(values.notna(), None).tolist())
    return pa.chunked_array([array])
