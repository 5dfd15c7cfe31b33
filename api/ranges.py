"""HTTP byte ranges of a download (RFC 9110 §14): one range per request, so a client can resume.

A range that cannot be parsed, names another unit or several ranges is ignored and the whole file
sent, as §14.2 allows; one that starts at or past the end is refused with 416.
"""

from __future__ import annotations

import re

from simulacra.api.errors import ApiError

_BYTES = re.compile(r"bytes=([0-9]*)-([0-9]*)", re.IGNORECASE)
# Past any file's size, and short enough for int(): Python refuses to parse more than 4,300 digits, and a
# client's header must not turn into a 500.
_DIGITS = 18


def _number(digits: str) -> int:
    significant = digits.lstrip("0") or "0"
    return int(significant) if len(significant) <= _DIGITS else 10**_DIGITS


def requested_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The bytes asked for, (first, last) inclusive and within the file; None for the whole file."""
    match = _BYTES.fullmatch((header or "").strip())
    if match is None or match.group(1) == match.group(2) == "":
        return None
    first, last = match.group(1), match.group(2)
    if first == "":  # the last N bytes
        length = _number(last)
        if length == 0 or size == 0:
            raise _unsatisfiable(size)
        return max(0, size - length), size - 1
    start = _number(first)
    if last != "" and _number(last) < start:  # not a range at all
        return None
    if start >= size:
        raise _unsatisfiable(size)
    return start, size - 1 if last == "" else min(_number(last), size - 1)


def _unsatisfiable(size: int) -> ApiError:
    return ApiError(
        "simio_range_not_satisfiable",
        f"The artifact has {size} bytes; ask for a range that starts before that.",
        headers={"Content-Range": f"bytes */{size}"},
    )
