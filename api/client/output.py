"""What a client command prints: one JSON object for scripts (`--json`), or a line for people."""

from __future__ import annotations

import argparse
import json
from typing import Any


def print_result(args: argparse.Namespace, data: dict[str, Any], text: str | None) -> None:
    if args.json:
        print(json.dumps(data))
    elif text:
        print(text)
