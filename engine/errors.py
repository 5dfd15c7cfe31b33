"""Errors the engine raises for input the caller can fix."""

from __future__ import annotations


class EngineInputError(ValueError):
    """Bad user input. .code is a stable string, .detail human-readable."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail
