"""Recording index table: one row per finished segment file. A migration step for ``app.store``."""

from __future__ import annotations

from sqlite_utils import Database

RECORDINGS_DDL = """
CREATE TABLE IF NOT EXISTS recordings (
    id INTEGER PRIMARY KEY,
    camera_id TEXT NOT NULL,
    start REAL NOT NULL,
    end REAL NOT NULL,
    path TEXT NOT NULL UNIQUE,
    bytes INTEGER NOT NULL,
    frames INTEGER NOT NULL,
    fps REAL NOT NULL DEFAULT 0,
    width INTEGER NOT NULL DEFAULT 0,
    height INTEGER NOT NULL DEFAULT 0,
    codec TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS recordings_camera_start ON recordings(camera_id, start);
CREATE INDEX IF NOT EXISTS recordings_start ON recordings(start);
"""


def migrate_recordings(db: Database) -> None:
    """Create the ``recordings`` table and its indexes (idempotent; safe inside a transaction)."""
    for stmt in RECORDINGS_DDL.split(";"):
        if stmt.strip():
            db.execute(stmt)
