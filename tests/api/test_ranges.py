"""Range headers a client may send, parsed without a 500 whatever their numbers."""

from __future__ import annotations

import pytest

from simulacra.api.errors import ApiError
from simulacra.api.ranges import requested_range


def test_numbers_longer_than_python_parses_are_ranges_past_the_end() -> None:
    huge = "9" * 5000  # int() refuses more than 4,300 digits
    assert requested_range(f"bytes=0-{huge}", 100) == (0, 99)
    assert requested_range(f"bytes=-{huge}", 100) == (0, 99)
    assert requested_range(f"bytes=0000000000000000000000000010-{huge}", 100) == (10, 99)
    with pytest.raises(ApiError) as refused:
        requested_range(f"bytes={huge}-", 100)
    assert refused.value.code == "simio_range_not_satisfiable"
