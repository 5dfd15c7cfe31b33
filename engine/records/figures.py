"""What the model report draws of held-out fidelity: each column's real and synthetic distribution, and the
strength of association of every pair of columns in both.

Recorded at validation time, where the held-out rows and the rows sampled against them exist; the report
(api/reports/) only draws it. Compact by construction: at most MAX_BINS bins or MAX_LEVELS levels a column,
shares rounded to four decimals.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

MAX_BINS, MAX_LEVELS = 20, 12
OTHER, MISSING = "(other)", "(missing)"


class ColumnDistribution(BaseModel):
    column: str
    kind: Literal["numeric", "categorical"]
    edges: list[float] | None = Field(
        default=None,
        description="Numeric: bin edges over the real rows' range (values beyond it count in the end bins).",
    )
    levels: list[str] | None = Field(
        default=None,
        description=f"Categorical: the levels most common in the real rows, then {OTHER!r} for the rest and "
        f"{MISSING!r} for gaps when there are any.",
    )
    real: list[float] = Field(description="Share of real (held-out) rows per bin or level.")
    synthetic: list[float] = Field(description="Share of synthetic rows per bin or level.")
    missing_real: float = 0.0
    missing_synthetic: float = 0.0


class Associations(BaseModel):
    measure: str = Field(
        description="|Pearson r| for two numeric columns, otherwise Cramer's V (numbers cut into ten bins): 0 to 1."
    )
    columns: list[str]
    real: list[list[float]] = Field(description="Symmetric matrix over `columns`, 1 on the diagonal.")
    synthetic: list[list[float]]


class ValidationFigures(BaseModel):
    """Real (held-out) rows against rows sampled from the model fitted without them."""

    real_rows: int
    synthetic_rows: int
    columns: list[ColumnDistribution]
    associations: Associations
