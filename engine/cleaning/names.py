"""Column-name normalisation: raw headers to unique snake_case names."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^0-9a-z]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def snake_case(raw: str) -> str:
    """Turn a raw header into snake_case ASCII ("Price Paid (EUR)" -> "price_paid_eur")."""
    # Accents are folded rather than dropped so "Préférence" stays readable.
    ascii_text = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode()
    # Only split camelCase when the header is one word; "Price EUR" must not become "price_e_u_r".
    if " " not in ascii_text.strip():
        ascii_text = _CAMEL.sub("_", ascii_text)
    return _NON_WORD.sub("_", ascii_text.lower()).strip("_") or "column"


def unique_names(raw_headers: list[str]) -> list[str]:
    """A distinct snake_case name per header, in order, suffixing repeats with _2, _3, ...

    Positional, not a mapping: a file may repeat a header ("Q1" twice), and each copy needs a name.
    """
    taken: set[str] = set()
    names: list[str] = []
    for raw in raw_headers:
        base = snake_case(raw)
        name, suffix = base, 2
        while name in taken:
            name, suffix = f"{base}_{suffix}", suffix + 1
        taken.add(name)
        names.append(name)
    return names
