"""The reports' Jinja environment: their own templates, with the reference's stylesheet so both look alike."""

from __future__ import annotations

import json
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

HERE = Path(__file__).parent
ENV = Environment(
    loader=FileSystemLoader([HERE / "templates", HERE.parent / "reference" / "templates"]),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
# Charts are SVG this package drew (matplotlib's output, labels escaped by ElementTree): safe to inline as is.
ENV.filters["svg"] = Markup
ENV.filters["share"] = lambda value: "–" if value is None else f"{value:.1%}"
ENV.filters["number"] = lambda value, digits=3: "–" if value is None else f"{value:.{digits}f}"
# A field a newer worker added, shown as it is: text as text, anything else as compact JSON.
ENV.filters["plain"] = lambda value: value if isinstance(value, str) else json.dumps(value)[:600]


def render(template: str, **context: object) -> str:
    return ENV.get_template(template).render(**context)
