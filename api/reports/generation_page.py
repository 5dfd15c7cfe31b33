"""A generation's report: requested against achieved shares, feasibility per condition, and privacy figures.

The engine's generation report is an open dict (api/views.py GenerationReport); every field is read with a
default, so a report written by an older or newer worker still renders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from simulacra.api.reports import charts
from simulacra.api.reports.templating import render


@dataclass(frozen=True)
class Condition:
    label: str
    requested: float | None
    achieved: float | None
    status: str
    note: str


def conditions(feasibility: dict[str, Any]) -> list[Condition]:
    """One row per conditioned level, and per numeric range (whose requested share in range is all rows)."""
    rows = []
    for column, entry in (feasibility.get("categorical") or {}).items():
        achieved = entry.get("achieved") or {}
        for level, share in (entry.get("requested") or {}).items():
            rows.append(Condition(f"{column} = {level}", share, achieved.get(level), entry.get("status", ""), ""))
    for column, entry in (feasibility.get("numeric") or {}).items():
        asked = entry.get("requested") or {}
        low, high = asked.get("min"), asked.get("max")
        span = f"= {low:g}" if low is not None and low == high else f"in {_bound(low)} to {_bound(high)}"
        rows.append(
            Condition(
                f"{column} {span}",
                1.0,
                (entry.get("achieved") or {}).get("share_in_range"),
                entry.get("status", ""),
                entry.get("note", ""),
            )
        )
    return rows


def _bound(value: float | None) -> str:
    return "…" if value is None else f"{value:g}"


def render_generation_report(generation: dict[str, Any], report: dict[str, Any]) -> str:
    feasibility = report.get("feasibility") or {}
    rows = conditions(feasibility)
    chart = (
        charts.requested_vs_achieved(
            [row.label for row in rows], [row.requested for row in rows], [row.achieved for row in rows]
        )
        if rows
        else None
    )
    privacy = report.get("privacy") or {}
    known = {"rows_requested", "rows_generated", "conditions_met", "mode", "achieved", "feasibility", "privacy"}
    return render(
        "generation_report.html",
        generation=generation,
        report=report,
        rows=feasibility.get("rows") or {},
        conditions=rows,
        chart=chart,
        privacy=privacy,
        extra={key: value for key, value in report.items() if key not in known and _scalar(value)},
        drawn_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def _scalar(value: object) -> bool:
    return isinstance(value, str | int | float | bool) or value is None
