"""Run `simulacra admin ...` in-process against the test settings, capturing what it prints."""

from __future__ import annotations

import argparse
import contextlib
import io

from simulacra.infra.admin import add_admin_commands, run_admin
from simulacra.infra.config import Settings


def admin(settings: Settings, *argv: str) -> str:
    parser = argparse.ArgumentParser()
    add_admin_commands(parser.add_subparsers(dest="command"))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert run_admin(parser.parse_args(["admin", *argv]), settings) == 0
    return out.getvalue()
