"""Bookmarks and evidence locks: stored, audited in the hash chain, refused on bad input without changing
anything, and a locked range of real recorded segments survives a retention run and a disk-full purge."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from app.clips.index import all_segments
from app.clips.recording import RetentionPolicy, apply_retention
from app.errors import UserError
from app.store import bookmarks as bm
from app.store.audit import AuditLog
from app.store.db import open_db
from tests.playback_media import needs_ffmpeg, record_camera

T0 = 1772370000.0


def test_bookmarks_and_locks_are_audited(tmp_path: Path) -> None:
    db = open_db(tmp_path / "vigil.sqlite3")
    made = bm.add_bookmark(db, ["cam1", "cam2"], (T0, T0 + 60), "bag left", "near shop 12", by="sue")
    assert [b.camera_id for b in made] == ["cam1", "cam2"]
    locked = bm.lock_bookmark(db, made[0].id, "police request PD-1", None, by="sue")
    assert locked.lock_active() and locked.locked_by == "sue"
    bm.release_lock(db, made[0].id, by="boss", note="case closed")
    actions = [(r.actor, r.action, r.target) for r in AuditLog.rows(db)]
    assert actions == [
        ("sue", "bookmark.add", f"bookmark:{made[0].id}"),
        ("sue", "bookmark.add", f"bookmark:{made[1].id}"),
        ("sue", "evidence.lock", f"bookmark:{made[0].id}"),
        ("boss", "evidence.release", f"bookmark:{made[0].id}"),
    ]
    assert AuditLog.rows(db)[2].details["reason"] == "police request PD-1"
    assert AuditLog.verify(db).ok
    assert bm.list_bookmarks(db, locked_only=True) == []
    assert [b.name for b in bm.list_bookmarks(db, ["cam2"])] == ["bag left"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda db: bm.add_bookmark(db, ["c"], (T0, T0 + 1), "   ", by="u"), "needs a name"),
        (lambda db: bm.add_bookmark(db, ["c"], (T0 + 5, T0), "x", by="u"), "ends before it starts"),
        (lambda db: bm.add_bookmark(db, ["c"], (float("nan"), T0), "x", by="u"), "not a valid time"),
        (lambda db: bm.add_bookmark(db, ["c"], (T0, T0), "x" * 600, by="u"), "too long"),
        (lambda db: bm.lock_bookmark(db, 99, "r", by="u"), "does not exist"),
        (lambda db: bm.release_lock(db, 99, by="u"), "does not exist"),
    ],
)
def test_bad_input_is_one_clear_message_and_changes_nothing(tmp_path: Path, call, message: str) -> None:
    db = open_db(tmp_path / "vigil.sqlite3")
    with pytest.raises(UserError, match=message):
        call(db)
    assert bm.list_bookmarks(db) == [] and AuditLog.rows(db) == []


def test_lock_needs_a_reason_and_a_future_expiry(tmp_path: Path) -> None:
    db = open_db(tmp_path / "vigil.sqlite3")
    b = bm.add_bookmark(db, ["c"], (T0, T0 + 10), "x", by="u")[0]
    with pytest.raises(UserError, match="reason"):
        bm.lock_bookmark(db, b.id, " ", by="u")
    with pytest.raises(UserError, match="in the past"):
        bm.lock_bookmark(db, b.id, "r", time.time() - 5, by="u")
    with pytest.raises(UserError, match="not locked"):
        bm.release_lock(db, b.id, by="u")
    assert not bm.get_bookmark(db, b.id).locked


@needs_ffmpeg
def test_a_locked_range_survives_retention_and_a_disk_full_purge(tmp_path: Path) -> None:
    db_path, rec = tmp_path / "vigil.sqlite3", tmp_path / "recordings"
    segs = record_camera(rec, db_path, "cam1", T0, [(0, 40)], segment_s=10, size=(160, 120))
    record_camera(rec, db_path, "cam2", T0, [(0, 40)], segment_s=10, size=(160, 120))
    db = open_db(db_path)
    # lock 12-18 s of cam1 (inside its second segment), until released
    b = bm.add_bookmark(db, ["cam1"], (T0 + 12, T0 + 18), "fight", by="sue")[0]
    bm.lock_bookmark(db, b.id, "police request", None, by="sue")
    # an expired lock protects nothing
    old = bm.add_bookmark(db, ["cam1"], (T0 + 31, T0 + 32), "old", by="sue")[0]
    bm.lock_bookmark(db, old.id, "short hold", time.time() + 0.5, by="sue")
    time.sleep(0.6)

    report = apply_retention(db, rec, RetentionPolicy(max_days=1, min_free_bytes=0))  # all are months old
    left = all_segments(db)
    assert [(s.camera_id, s.path) for s in left] == [("cam1", segs[1].path)]
    assert (rec / segs[1].path).is_file()
    assert report.deleted == 7
    # a full disk: the purge would free everything it may, and still not the locked segment
    apply_retention(db, rec, RetentionPolicy(max_days=0, min_free_bytes=10**18))
    assert [s.path for s in all_segments(db)] == [segs[1].path] and (rec / segs[1].path).is_file()
    # once released, the next run may delete it
    bm.release_lock(db, b.id, by="boss")
    apply_retention(db, rec, RetentionPolicy(max_days=0, min_free_bytes=10**18))
    assert all_segments(db) == [] and not (rec / segs[1].path).exists()
    audit = [r.action for r in AuditLog.rows(db)]
    assert audit.count("evidence.lock") == 2 and audit[-1] == "evidence.release"
    assert json.loads(json.dumps(AuditLog.rows(db)[-1].details))["reason"] == "police request"


def test_bookmarks_cli_adds_lists_locks_and_releases(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from app.__main__ import main

    db = str(tmp_path / "vigil.sqlite3")
    assert main(["bookmarks", "--db", db, "add", "--camera", "cam1", "--at", "2026-03-01T14:05:00",
                 "--to", "2026-03-01T14:06:00", "--name", "bag left"]) == 0  # fmt: skip
    assert main(["bookmarks", "--db", db, "lock", "1", "--reason", "police request"]) == 0
    assert main(["bookmarks", "--db", db, "list", "--locked"]) == 0
    out = capsys.readouterr().out
    assert "bag left" in out and "LOCKED until released: police request" in out
    assert main(["bookmarks", "--db", db, "release", "1"]) == 0
    assert main(["bookmarks", "--db", db, "list", "--locked"]) == 0
    assert capsys.readouterr().out.strip().endswith("no bookmarks locked")
    assert main(["bookmarks", "--db", db, "add", "--camera", "c", "--at", "soon", "--name", "x"]) == 2
    assert "cannot read the time 'soon'" in capsys.readouterr().err


def test_gui_playback_arguments_are_checked_before_the_window_opens(capsys: pytest.CaptureFixture[str]) -> None:
    from app.__main__ import main

    assert main(["--no-config", "--playback", "at noon"]) == 2
    assert "cannot read the time 'at noon'" in capsys.readouterr().err
    assert main(["--no-config", "--playback", "2026-03-01T14:05:00", "--camera", "nope"]) == 2
    assert "no camera 'nope'" in capsys.readouterr().err
    assert main(["--no-config", "--camera", "cam1"]) == 2
    assert "--camera needs --playback" in capsys.readouterr().err
