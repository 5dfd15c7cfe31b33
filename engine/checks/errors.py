"""Errors the engine raises for input the caller can fix."""

from __future__ import annotations


class EngineInputError(ValueError):
    """Bad user input: .code is a stable simio_* string, .detail is human-readable, and .pointer
    (a JSON pointer into the request, when one field is at fault) names that field."""

    def __init__(self, code: str, detail: str, pointer: str | None = None) -> None:
        super().__init__(code, detail, pointer)
        self.code = code
        self.detail = detail
        self.pointer = pointer

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}"
