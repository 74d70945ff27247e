"""Schema, version table and migrations on real SQLite files."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from sqlite_utils import Database

from app.errors import UserError
from app.store import MIGRATIONS, SCHEMA_VERSION, StoreReader, open_db
from app.store.migrations import Migration, backup_path, migrate

# The v1 layout exactly as the first release wrote it (kept here verbatim, not imported, so that a change
# to the migration list cannot silently change what "an old database" means in this test).
V1_SQL = """
CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at REAL NOT NULL);
CREATE TABLE sites (id TEXT PRIMARY KEY, name TEXT NOT NULL, timezone TEXT NOT NULL DEFAULT '',
    updated_at REAL NOT NULL);
CREATE TABLE cameras (id TEXT PRIMARY KEY, name TEXT NOT NULL, site_id TEXT NOT NULL DEFAULT '',
    enabled INTEGER NOT NULL DEFAULT 1, updated_at REAL NOT NULL);
CREATE INDEX cameras_site ON cameras(site_id);
CREATE TABLE runs (id INTEGER PRIMARY KEY, started_at REAL NOT NULL, pid INTEGER NOT NULL DEFAULT 0);
CREATE TABLE tracks (id INTEGER PRIMARY KEY, camera_id TEXT NOT NULL, run_id INTEGER NOT NULL REFERENCES runs(id),
    track_id INTEGER NOT NULL, first_seen REAL NOT NULL, last_seen REAL NOT NULL,
    best_face_px REAL NOT NULL DEFAULT 0, verdict TEXT NOT NULL DEFAULT 'unknown',
    frames INTEGER NOT NULL DEFAULT 0, UNIQUE (camera_id, run_id, track_id));
CREATE INDEX tracks_last_seen ON tracks(last_seen);
CREATE INDEX tracks_camera_first_seen ON tracks(camera_id, first_seen);
CREATE TABLE events (id INTEGER PRIMARY KEY, at REAL NOT NULL, camera_id TEXT NOT NULL, kind TEXT NOT NULL,
    run_id INTEGER, track_id INTEGER, details TEXT NOT NULL DEFAULT '{}');
CREATE INDEX events_at ON events(at);
CREATE INDEX events_camera_at ON events(camera_id, at);
CREATE TABLE event_thumbnails (event_id INTEGER PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
    jpeg BLOB NOT NULL);
CREATE TABLE camera_status (id INTEGER PRIMARY KEY, camera_id TEXT NOT NULL, at REAL NOT NULL,
    health TEXT NOT NULL, message TEXT NOT NULL DEFAULT '');
CREATE INDEX camera_status_camera_at ON camera_status(camera_id, at);
CREATE INDEX camera_status_at ON camera_status(at);
INSERT INTO schema_version VALUES (1, 'sites, cameras, runs, tracks, events, event thumbnails, camera status', 0);
"""


def _tables(db: Database) -> set[str]:
    return set(db.table_names())


def test_fresh_db_has_every_table_wal_and_the_current_version(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "vigil.sqlite3"  # missing folder is created
    db = open_db(path)
    try:
        assert {"sites", "cameras", "tracks", "events", "event_thumbnails", "camera_status", "audit_log"} <= (
            _tables(db)
        )
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
        versions = [r[0] for r in db.execute("SELECT version FROM schema_version ORDER BY version")]
        assert versions == [m.version for m in MIGRATIONS]
        event_cols = {c.name for c in db["events"].columns}
        assert {"acknowledged_at", "acknowledged_by", "details", "at", "camera_id", "kind"} <= event_cols
        indexed = {tuple(i.columns) for i in db["events"].indexes}
        assert ("at",) in indexed and ("camera_id", "at") in indexed
    finally:
        db.close()
    assert not list(tmp_path.glob("sub/*.bak")), "a new database needs no backup"


def test_reopen_is_idempotent_and_keeps_rows(tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    db = open_db(path)
    db.execute("INSERT INTO sites(id, name, updated_at) VALUES ('m1', 'Mall', 0)")
    db.close()
    db = open_db(path)
    try:
        assert db.execute("SELECT count(*) FROM schema_version").fetchone()[0] == len(MIGRATIONS)  # one row per step applied (numbers may have gaps)
        assert db.execute("SELECT name FROM sites").fetchall() == [("Mall",)]
    finally:
        db.close()
    assert not list(tmp_path.glob("*.bak"))


def test_migrations_are_a_consecutive_ordered_list() -> None:
    versions = [m.version for m in MIGRATIONS]  # gaps are allowed (numbers reserved for other features)
    assert versions == sorted(set(versions)) and versions[0] == 1
    assert MIGRATIONS[-1].version == SCHEMA_VERSION
    assert all(m.description and (m.sql or m.fn) for m in MIGRATIONS)


def test_v1_database_is_backed_up_then_migrated_keeping_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(V1_SQL)
    conn.execute("INSERT INTO runs(id, started_at, pid) VALUES (1, 100, 7)")
    conn.execute("INSERT INTO cameras VALUES ('c1', 'Entrance', 'm1', 1, 0)")
    for i in range(5):
        conn.execute(
            "INSERT INTO events(at, camera_id, kind, run_id, track_id, details) VALUES (?, 'c1', 'no_mask', 1, ?, ?)",
            (1000.0 + i, i, f'{{"n": {i}}}'),
        )
    conn.execute("INSERT INTO event_thumbnails VALUES (1, x'ffd8ffd9')")
    conn.commit()
    conn.close()

    db = open_db(path)
    try:
        assert db.execute("SELECT max(version) FROM schema_version").fetchone()[0] == SCHEMA_VERSION
        assert "audit_log" in _tables(db)
        assert db.execute("SELECT count(*) FROM events").fetchone()[0] == 5
        assert db.execute("SELECT acknowledged_at FROM events WHERE id = 1").fetchone()[0] is None
    finally:
        db.close()
    bak = backup_path(path, 1)
    assert bak.exists()
    old = sqlite3.connect(bak)
    try:
        assert old.execute("SELECT max(version) FROM schema_version").fetchone()[0] == 1
        assert old.execute("SELECT count(*) FROM events").fetchone()[0] == 5
    finally:
        old.close()
    with StoreReader(path) as reader:
        rows = reader.recent_events(10)
        assert [r.details["n"] for r in rows] == [4, 3, 2, 1, 0]
        assert reader.event_thumbnail(1) == b"\xff\xd8\xff\xd9"


def test_a_failing_migration_step_rolls_back_and_keeps_the_old_version(tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    open_db(path).close()

    def boom(db: Database) -> None:
        db.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("step failed")

    steps = [*MIGRATIONS, Migration(SCHEMA_VERSION + 1, "broken step", fn=boom)]
    db = Database(sqlite3.connect(path))
    try:
        with pytest.raises(RuntimeError):
            migrate(db, path, steps)
        assert "half_done" not in _tables(db)
        assert db.execute("SELECT max(version) FROM schema_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        db.close()
    assert backup_path(path, SCHEMA_VERSION).exists()


def test_newer_schema_and_foreign_databases_are_refused_untouched(tmp_path: Path) -> None:
    newer = tmp_path / "newer.db"
    open_db(newer).close()
    conn = sqlite3.connect(newer)
    conn.execute(
        "INSERT INTO schema_version VALUES (?, 'from the future', ?)", (SCHEMA_VERSION + 5, time.time())
    )
    conn.commit()
    conn.close()
    with pytest.raises(UserError, match="newer"):
        open_db(newer)

    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    with pytest.raises(UserError, match="another program") as exc:
        open_db(other)
    assert str(other) in str(exc.value)
    conn = sqlite3.connect(other)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    conn.close()
    assert tables == ["invoices"]
