"""The fit report: each column's mechanism, its parents, its in-sample fit and how it was chosen."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Metric = Literal["r2", "log_likelihood"]


class Selection(BaseModel):
    metric: Metric
    scores: dict[str, float] = Field(description="Held-out score of each candidate mechanism.")


class NodeFitReport(BaseModel):
    mechanism: str = Field(description="The causal mechanism fitted for this column.")
    parents: list[str]
    r2: float | None = Field(default=None, description="In-sample R² (numeric columns).")
    accuracy: float | None = Field(default=None, description="In-sample accuracy (categorical columns).")
    selection: Selection | None = None


class FitReport(BaseModel):
    nodes: dict[str, NodeFitReport] = Field(description="Per column, in schema order.")
    fit_seconds: float
