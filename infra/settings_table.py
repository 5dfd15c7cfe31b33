"""The settings table of docs/operations.md, generated from `Settings` and the CLI's flags.

.venv/bin/python -m simulacra.infra.settings_table           # prints the table; tests check the doc holds it
.venv/bin/python -m simulacra.infra.settings_table --write   # writes it into docs/operations.md
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from simulacra.infra.cli import build_parser
from simulacra.infra.config import Settings, env_var


def _flags() -> dict[str, list[str]]:
    """Each setting's command-line flags, by the setting they fill."""
    flags: dict[str, list[str]] = {}
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    for parser in commands.choices.values():
        for action in parser._actions:
            for flag in action.option_strings:
                if flag.startswith("--") and flag not in flags.setdefault(action.dest, []):
                    flags[action.dest].append(flag)
    return flags


def _shown(field: dataclasses.Field[object]) -> str:
    if field.metadata["shown"]:
        return str(field.metadata["shown"])
    if isinstance(field.default, int):
        return f"{field.default:,}" if field.default >= 10_000 else str(field.default)
    return f"`{field.default}`"


def settings_table() -> str:
    flags = _flags()
    rows = ["| variable | flag | default | meaning |", "| --- | --- | --- | --- |"]
    for field in dataclasses.fields(Settings):
        flag = ", ".join(f"`{f}`" for f in flags.get(field.name, []))
        rows.append(f"| `{env_var(field.name)}` | {flag} | {_shown(field)} | {field.metadata['doc']} |")
    return "\n".join(rows) + "\n"


START, END = "<!-- settings table: generated -->\n", "<!-- end of settings table -->"


def write_into(page: Path) -> None:
    """Replace the table between the page's markers with the one generated now."""
    text = page.read_text()
    start, end = text.index(START) + len(START), text.index(END)
    page.write_text(text[:start] + settings_table() + text[end:])


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        write_into(Path("docs/operations.md"))
    else:
        print(settings_table(), end="")
