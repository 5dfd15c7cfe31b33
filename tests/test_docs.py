"""The README and docs/ stay true: generated tables match the code, paths and links exist."""

from __future__ import annotations

import argparse
import re
import subprocess
from pathlib import Path

from simulacra.infra.cli import build_parser
from simulacra.infra.settings_table import settings_table

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted((ROOT / "docs").glob("*.md"))
README = ROOT / "README.md"


def test_readme_is_short_and_starts_with_the_two_commands() -> None:
    lines = README.read_text().splitlines()
    assert len(lines) < 200
    assert lines[2:6] == [
        "```sh",
        "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/simulacra dev",
        "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/pytest",
        "```",
    ]


def test_settings_table_is_the_generated_one() -> None:
    text = (ROOT / "docs" / "operations.md").read_text()
    table = re.search(r"<!-- settings table: generated -->\n(.*?)<!-- end of settings table -->", text, re.S)
    assert table and table.group(1) == settings_table(), "run: python -m simulacra.infra.settings_table --write"


def _subcommands(parser: argparse.ArgumentParser, prefix: str) -> set[str]:
    found = set()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                nested = _subcommands(sub, f"{prefix} {name}")
                found |= nested or {f"{prefix} {name}"}
    return found


def test_commands_table_lists_every_command() -> None:
    text = (ROOT / "docs" / "operations.md").read_text()
    # A command is its words up to the first option or placeholder: `simulacra datasets upload FILE --wait`.
    documented = set(re.findall(r"`(simulacra(?: [a-z][a-z-]*)+)", text))
    assert _subcommands(build_parser(), "simulacra") <= documented


def test_every_path_and_link_named_in_the_docs_exists() -> None:
    missing = []
    for page in [README, *DOCS]:
        text = page.read_text()
        for path in re.findall(r"`((?:api|workflows|activities|engine|infra|tests|bench|examples)/[\w/.]+)", text):
            if not (ROOT / path).exists():
                missing.append(f"{page.name}: {path}")
        for link in re.findall(r"\]\(((?!https?:)[^)#]+)", text):
            if not (page.parent / link).exists():
                missing.append(f"{page.name}: link {link}")
    assert missing == []


def test_no_file_holds_a_merge_conflict_marker() -> None:
    # A marker inside prose passes every other check (a previous merge left one in docs/operations.md).
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    marked = [
        name
        for name in tracked.split()
        if name.endswith((".md", ".py", ".toml", ".yml", ".txt", ".json", ".sh", ".html", ".css"))
        and re.search(r"^(<{7} |>{7} |={7}$)", (ROOT / name).read_text(errors="replace"), re.M)
    ]
    assert marked == []
