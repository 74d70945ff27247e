"""Schema migrations: an ordered list; later features append a step (next version number, a description,
and an SQL script or a function). Each step runs in its own transaction; an existing non-empty database is
backed up to ``<db>.v<old>.bak`` (SQLite backup API) before the first step runs."""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from app.clips.schema import migrate_recordings
from app.publish import outbox
from app.store import bookmarks, compliance, track_store
from app.store.errors import StoreError, describe_error

log = logging.getLogger("vigil.store")


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step. ``sql`` (a script, may hold triggers) runs first, then ``fn`` if given."""

    version: int
    description: str
    sql: str = ""
    fn: Callable[[Database], None] | None = None


_V1_CORE = """
CREATE TABLE sites (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    timezone TEXT NOT NULL DEFAULT '',
    updated_at REAL NOT NULL
);
CREATE TABLE cameras (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    site_id TEXT NOT NULL DEFAULT '',
    enabled INTEGER NOT NULL DEFAULT 1,
    updated_at REAL NOT NULL
);
CREATE INDEX cameras_site ON cameras(site_id);
-- one row per writer start: track ids restart at every run, (camera_id, run_id, track_id) is unique
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    started_at REAL NOT NULL,
    pid INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE tracks (
    id INTEGER PRIMARY KEY,
    camera_id TEXT NOT NULL,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    track_id INTEGER NOT NULL,
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL,
    best_face_px REAL NOT NULL DEFAULT 0,
    verdict TEXT NOT NULL DEFAULT 'unknown',
    frames INTEGER NOT NULL DEFAULT 0,
    UNIQUE (camera_id, run_id, track_id)
);
CREATE INDEX tracks_last_seen ON tracks(last_seen);
CREATE INDEX tracks_camera_first_seen ON tracks(camera_id, first_seen);
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    camera_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    run_id INTEGER,
    track_id INTEGER,
    details TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_at ON events(at);
CREATE INDEX events_camera_at ON events(camera_id, at);
-- face crops live apart from events so that retention (and privacy) can drop them on their own
CREATE TABLE event_thumbnails (
    event_id INTEGER PRIMARY KEY REFERENCES events(id) ON DELETE CASCADE,
    jpeg BLOB NOT NULL
);
CREATE TABLE camera_status (
    id INTEGER PRIMARY KEY,
    camera_id TEXT NOT NULL,
    at REAL NOT NULL,
    health TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX camera_status_camera_at ON camera_status(camera_id, at);
CREATE INDEX camera_status_at ON camera_status(at);
"""

_V2_AUDIT = """
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at REAL NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL DEFAULT '',
    details TEXT NOT NULL DEFAULT '{}',
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be changed');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be deleted');
END;
"""

_V3_ACK = """
ALTER TABLE events ADD COLUMN acknowledged_at REAL;
ALTER TABLE events ADD COLUMN acknowledged_by TEXT;
CREATE INDEX events_kind_at ON events(kind, at);
"""

# v4-v5 are reserved for other features; migrate() applies every step above the current version in order.
_V6_WATCHLISTS = """
CREATE TABLE users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL CHECK (role IN ('operator', 'supervisor', 'admin')),
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until REAL NOT NULL DEFAULT 0,
    created_at REAL NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    password_changed_at REAL NOT NULL
);
-- the per-site switch for matching (off unless a row says on) and the site's enrolment policy
CREATE TABLE site_matching (
    site_id TEXT PRIMARY KEY,
    enabled INTEGER NOT NULL DEFAULT 0,
    require_second_admin INTEGER NOT NULL DEFAULT 0,
    reason TEXT NOT NULL DEFAULT '',
    changed_by TEXT NOT NULL DEFAULT '',
    changed_at REAL NOT NULL
);
CREATE TABLE watchlists (
    id INTEGER PRIMARY KEY,
    site_id TEXT NOT NULL,
    name TEXT NOT NULL,
    colour TEXT NOT NULL DEFAULT '#ff00ff',
    sound TEXT NOT NULL DEFAULT '',
    threshold REAL NOT NULL,
    uncertain_band REAL NOT NULL,
    created_at REAL NOT NULL,
    created_by TEXT NOT NULL,
    UNIQUE (site_id, name)
);
-- approved_by is NULL while an enrolment waits for a second admin; such identities never match
CREATE TABLE watchlist_identities (
    id INTEGER PRIMARY KEY,
    watchlist_id INTEGER NOT NULL REFERENCES watchlists(id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    reason TEXT NOT NULL,
    legal_basis TEXT NOT NULL,
    enrolled_by TEXT NOT NULL,
    enrolled_at REAL NOT NULL,
    expires_at REAL NOT NULL,
    approved_by TEXT,
    approved_at REAL
);
CREATE INDEX watchlist_identities_expires ON watchlist_identities(expires_at);
-- embeddings, never photos; 'negative' rows come from a supervisor's "not this person" review
CREATE TABLE watchlist_embeddings (
    id INTEGER PRIMARY KEY,
    identity_id INTEGER NOT NULL REFERENCES watchlist_identities(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('positive', 'negative')),
    model_id TEXT NOT NULL,
    dim INTEGER NOT NULL,
    vector BLOB NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL
);
CREATE INDEX watchlist_embeddings_identity ON watchlist_embeddings(identity_id);
CREATE TABLE match_reviews (
    id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL,
    identity_id INTEGER REFERENCES watchlist_identities(id) ON DELETE SET NULL,
    decision TEXT NOT NULL CHECK (decision IN ('confirmed', 'rejected')),
    reviewed_by TEXT NOT NULL,
    reviewed_at REAL NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    UNIQUE (event_id)
);
-- bumped by triggers on every change, so matchers in other processes reload only when needed
CREATE TABLE watchlist_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO watchlist_state(id, version) VALUES (1, 0);
""" + "".join(
    f"""
CREATE TRIGGER {table}_{op.lower()}_bumps AFTER {op} ON {table}
BEGIN
    UPDATE watchlist_state SET version = version + 1 WHERE id = 1;
END;
"""
    for table in ("site_matching", "watchlists", "watchlist_identities", "watchlist_embeddings")
    for op in ("INSERT", "UPDATE", "DELETE")
)

MIGRATIONS: list[Migration] = [
    Migration(1, "sites, cameras, runs, tracks, events, event thumbnails, camera status", _V1_CORE),
    Migration(2, "append-only hash-chained audit log", _V2_AUDIT),
    Migration(3, "event acknowledgement (acknowledged_at, acknowledged_by); index on event kind", _V3_ACK),
    Migration(4, "recording index (one row per finished video segment)", fn=migrate_recordings),
    Migration(
        5,
        "per-camera compliance minutes (people, verdicts, live seconds), rebuilt from stored tracks",
        compliance.SCHEMA_SQL,
        fn=compliance.backfill,
    ),
    Migration(
        6, "accounts, per-site matching switch, watchlists, identities, embeddings, reviews", _V6_WATCHLISTS
    ),
    Migration(9, "MQTT outbox (store-and-forward), filled by triggers in the writer's transaction", outbox.SCHEMA_SQL),
    Migration(10, "bookmarks and evidence locks", bookmarks.SCHEMA_SQL),
    Migration(
        11,
        "crash-safe tracks: end reason (open / ended / crash), continuation after a restart, run end",
        track_store.SCHEMA_SQL,
    ),
    Migration(
        12,
        "outbox triggers replace a pending message without a conflict (changes of a pending minute were lost)",
        outbox.REPLACE_FIX_SQL,
    ),
]

SCHEMA_VERSION: int = MIGRATIONS[-1].version

_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    description TEXT NOT NULL,
    applied_at REAL NOT NULL
)
"""


def current_version(conn: sqlite3.Connection) -> int:
    """Highest applied migration; 0 for an empty database."""
    has = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_version'").fetchone()
    if not has:
        return 0
    row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def _user_tables(conn: sqlite3.Connection) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    ).fetchall()
    return [r[0] for r in rows]


def backup_path(path: Path, version: int) -> Path:
    return path.with_name(f"{path.name}.v{version}.bak")


def backup(conn: sqlite3.Connection, dest: Path) -> None:
    """Consistent copy of a live (WAL) database via the backup API; written to a temp name, then renamed."""
    tmp = dest.with_name(dest.name + ".tmp")
    tmp.unlink(missing_ok=True)
    target = sqlite3.connect(str(tmp))
    try:
        conn.backup(target)
    finally:
        target.close()
    os.replace(tmp, dest)


def migrate(db: Database, path: Path, migrations: list[Migration] | None = None) -> int:
    """Bring the database at ``path`` up to the newest version; return the version it had before."""
    steps = MIGRATIONS if migrations is None else migrations
    conn = db.conn
    old = current_version(conn)
    newest = steps[-1].version if steps else 0
    if old > newest:
        raise StoreError(
            f"the event store {path} has schema version {old}, newer than this Vigil understands ({newest}); "
            "upgrade Vigil or choose another --db path"
        )
    if old == newest:
        return old
    tables = _user_tables(conn)
    if old == 0 and tables:
        raise StoreError(
            f"{path} is an SQLite database of another program (tables: {', '.join(tables[:5])}); "
            "Vigil will not change it - choose another --db path"
        )
    if tables:
        dest = backup_path(path, old)
        try:
            backup(conn, dest)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(
                f"cannot back up {path} to {dest} before upgrading its schema: {describe_error(exc, dest)}"
            ) from exc
        log.info("backed up %s to %s before migrating from v%d", path, dest, old)
    for step in steps:
        if step.version <= old:
            continue
        _apply(db, step)
        log.info("event store %s migrated to v%d: %s", path, step.version, step.description)
    return old


def _apply(db: Database, step: Migration) -> None:
    conn = db.conn
    # IMMEDIATE: a second process opening the same file waits here instead of migrating twice
    conn.execute("BEGIN IMMEDIATE")
    try:
        if current_version(conn) >= step.version:
            conn.execute("ROLLBACK")
            return
        db.execute(_VERSION_TABLE)
        if step.sql:
            db.executescript(step.sql)  # statement by statement inside our transaction (no implicit COMMIT)
        if step.fn is not None:
            step.fn(db)
        db.execute(
            "INSERT INTO schema_version(version, description, applied_at) VALUES (?, ?, ?)",
            [step.version, step.description, time.time()],
        )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
