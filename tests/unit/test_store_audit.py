"""Audit log: hash chain verifies, tampering is found and located, triggers refuse changes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database

from app.store import AuditLog, StoreReader, open_db
from app.store.audit import GENESIS, row_hash
from app.store.check import check_store, main


@pytest.fixture
def db(tmp_path: Path):
    d = open_db(tmp_path / "audit.sqlite3")
    for i in range(1, 6):
        AuditLog.append(d, f"user{i}", "export.create", f"event:{i}", {"n": i, "note": "ünïcode ok"})
    yield d
    d.close()


def test_appended_rows_form_a_chain_that_verifies(db: Database) -> None:
    rows = AuditLog.rows(db)
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:], strict=False))
    r = rows[2]
    assert r.hash == row_hash(r.prev_hash, r.seq, r.at, r.actor, r.action, r.target, r.details)
    verdict = AuditLog.verify(db)
    assert verdict.ok and verdict.rows == 5 and verdict.first_broken_seq is None
    assert verdict.head_hash == rows[-1].hash


def test_update_and_delete_are_refused_by_triggers(db: Database) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.execute("DELETE FROM audit_log WHERE seq = 5")
    assert AuditLog.verify(db).ok


def test_a_changed_row_is_detected_and_named(db: Database) -> None:
    db.execute("DROP TRIGGER audit_log_no_update")
    db.execute("""UPDATE audit_log SET details = '{"n":3,"note":"edited"}' WHERE seq = 3""")
    verdict = AuditLog.verify(db)
    assert not verdict.ok
    assert verdict.first_broken_seq == 3
    assert "3" in verdict.reason
    assert verdict.rows == 5


def test_a_rehashed_forgery_still_breaks_the_next_link(db: Database) -> None:
    # a forger who recomputes row 2's own hash cannot fix row 3's prev_hash without rewriting everything
    db.execute("DROP TRIGGER audit_log_no_update")
    r = AuditLog.rows(db)[1]
    forged = row_hash(r.prev_hash, r.seq, r.at, "mallory", r.action, r.target, r.details)
    db.execute("UPDATE audit_log SET actor = 'mallory', hash = ? WHERE seq = 2", [forged])
    verdict = AuditLog.verify(db)
    assert not verdict.ok and verdict.first_broken_seq == 3


def test_a_deleted_row_is_detected(db: Database) -> None:
    db.execute("DROP TRIGGER audit_log_no_delete")
    db.execute("DELETE FROM audit_log WHERE seq = 4")
    verdict = AuditLog.verify(db)
    assert not verdict.ok and verdict.first_broken_seq == 4 and "missing" in verdict.reason


def test_reader_verifies_on_its_read_only_connection(db: Database, tmp_path: Path) -> None:
    with StoreReader(tmp_path / "audit.sqlite3") as reader:
        assert reader.verify_audit().ok
        assert [r.actor for r in reader.audit_rows(since_seq=3)] == ["user4", "user5"]


def test_store_check_reports_a_sound_file_and_flags_a_tampered_one(
    db: Database, tmp_path: Path, capsys
) -> None:
    path = tmp_path / "audit.sqlite3"
    assert main(["--db", str(path)]) == 0
    assert "chain intact" in capsys.readouterr().out
    db.execute("DROP TRIGGER audit_log_no_update")
    db.execute("UPDATE audit_log SET target = 'event:99' WHERE seq = 2")
    result = check_store(path)
    assert result.integrity == ("ok",) and not result.ok and result.audit.first_broken_seq == 2
    assert main(["--db", str(path)]) == 1
    assert "row 2 was changed" in capsys.readouterr().out
