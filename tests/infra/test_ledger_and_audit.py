from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from simulacra.infra.audit import AuditLog
from simulacra.infra.controldb import ControlDB
from simulacra.infra.usage import ReservationConflict, UsageLedger, WindowExceeded


def test_reservations_are_atomic_and_settle_what_was_made(tmp_path: Path) -> None:
    ledger = UsageLedger(ControlDB(tmp_path / "c.sqlite3"), default_rows_per_period=100)
    ledger.reserve("t", "gen_a", 60)
    with pytest.raises(ReservationConflict):  # fits only if gen_a makes fewer rows than it asked for
        ledger.reserve("t", "gen_b", 50)
    with pytest.raises(WindowExceeded):
        ledger.reserve("t", "gen_c", 101)
    ledger.settle("gen_a", 30)
    ledger.settle("gen_a", 30)  # a retried settlement counts once
    ledger.reserve("t", "gen_b", 50)
    usage = ledger.usage("t")
    assert (usage.rows_generated, usage.rows_reserved, usage.rows_remaining) == (30, 50, 20)
    assert usage.free_rows_remaining == 20_000 - 30


def test_operator_window_overrides_default(tmp_path: Path) -> None:
    ledger = UsageLedger(ControlDB(tmp_path / "c.sqlite3"), default_rows_per_period=10)
    ledger.set_window("big", 1_000_000)
    ledger.reserve("big", "gen_x", 500_000)
    with pytest.raises(WindowExceeded):
        ledger.reserve("small", "gen_y", 11)


def test_audit_log_is_append_only(tmp_path: Path) -> None:
    db = ControlDB(tmp_path / "c.sqlite3")
    log = AuditLog(db)
    log.record("operator:alice", "acme", "client_created", client_id="cl_1")
    with pytest.raises(sqlite3.DatabaseError), db.connect() as conn:
        conn.execute("UPDATE audit SET actor = 'mallory'")
    with pytest.raises(sqlite3.DatabaseError), db.connect() as conn:
        conn.execute("DELETE FROM audit")
    [entry] = log.query("acme")
    assert entry.actor == "operator:alice" and entry.detail == {"client_id": "cl_1"}
