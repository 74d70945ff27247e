"""Bookmarks (a named moment or range of one camera, with a note) and evidence locks (a bookmark whose range
retention and the disk-full purge never delete, with a reason and an optional expiry). Stored in SQLite
(schema step 10); every add, lock and release is written to the hash-chained audit log in the same
transaction."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlite_utils import Database

from app.errors import UserError
from app.store.audit import AuditLog

SCHEMA_SQL = """
CREATE TABLE bookmarks (
    id INTEGER PRIMARY KEY,
    camera_id TEXT NOT NULL,
    start REAL NOT NULL,
    end REAL NOT NULL,
    name TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at REAL NOT NULL,
    locked INTEGER NOT NULL DEFAULT 0,
    lock_reason TEXT NOT NULL DEFAULT '',
    lock_expires REAL,
    locked_by TEXT,
    locked_at REAL,
    released_by TEXT,
    released_at REAL,
    CHECK (end >= start)
);
CREATE INDEX bookmarks_camera_start ON bookmarks(camera_id, start);
"""

MAX_TEXT = 500


@dataclass(frozen=True, slots=True)
class Bookmark:
    """One bookmark; ``locked`` with no ``released_at`` and an expiry in the future (or none) is an active
    evidence lock."""

    id: int
    camera_id: str
    start: float  # UTC epoch seconds
    end: float
    name: str
    note: str
    created_by: str
    created_at: float
    locked: bool = False
    lock_reason: str = ""
    lock_expires: float | None = None
    locked_by: str | None = None
    released_by: str | None = None
    released_at: float | None = None

    def lock_active(self, now: float | None = None) -> bool:
        at = time.time() if now is None else now
        return (
            self.locked
            and self.released_at is None
            and (self.lock_expires is None or self.lock_expires > at)
        )

    @property
    def is_range(self) -> bool:
        return self.end > self.start


def _clean(text: str, what: str, required: bool) -> str:
    value = " ".join(str(text).split())
    if required and not value:
        raise UserError(f"a bookmark needs a {what}")
    if len(value) > MAX_TEXT:
        raise UserError(f"the {what} is too long ({len(value)} characters, at most {MAX_TEXT})")
    return value


def _check_span(start: float, end: float) -> None:
    if not (math.isfinite(start) and math.isfinite(end)):
        raise UserError("the bookmark's time is not a valid time")
    if end < start:
        raise UserError("the bookmark ends before it starts; swap the in and out marks")


def _row(r: dict) -> Bookmark:
    return Bookmark(
        id=int(r["id"]),
        camera_id=r["camera_id"],
        start=float(r["start"]),
        end=float(r["end"]),
        name=r["name"],
        note=r["note"],
        created_by=r["created_by"],
        created_at=float(r["created_at"]),
        locked=bool(r["locked"]),
        lock_reason=r["lock_reason"],
        lock_expires=r["lock_expires"],
        locked_by=r["locked_by"],
        released_by=r["released_by"],
        released_at=r["released_at"],
    )


def _has_table(db: Database) -> bool:
    return db["bookmarks"].exists()


def add_bookmark(
    db: Database,
    cameras: Sequence[str],
    span: tuple[float, float],
    name: str,
    note: str = "",
    *,
    by: str,
) -> list[Bookmark]:
    """One bookmark per camera over ``span`` (start == end: a moment); audited as ``bookmark.add``."""
    start, end = float(span[0]), float(span[1])
    _check_span(start, end)
    name, note = _clean(name, "name", True), _clean(note, "note", False)
    if not cameras:
        raise UserError("a bookmark needs at least one camera")
    conn = db.conn
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN IMMEDIATE")
    try:
        ids = []
        now = time.time()
        for cam in cameras:
            cur = conn.execute(
                "INSERT INTO bookmarks(camera_id, start, end, name, note, created_by, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (cam, start, end, name, note, by, now),
            )
            ids.append(int(cur.lastrowid or 0))
            AuditLog.append(
                db, by, "bookmark.add", f"bookmark:{ids[-1]}",
                {"camera": cam, "start": start, "end": end, "name": name, "note": note},
            )  # fmt: skip
        if own:
            conn.execute("COMMIT")
    except BaseException:
        if own and conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return [get_bookmark(db, i) for i in ids]


def get_bookmark(db: Database, bookmark_id: int) -> Bookmark:
    rows = list(db.query("SELECT * FROM bookmarks WHERE id = ?", [bookmark_id]))
    if not rows:
        raise UserError(f"bookmark #{bookmark_id} does not exist; see 'vigil bookmarks list'")
    return _row(rows[0])


def lock_bookmark(
    db: Database, bookmark_id: int, reason: str, expires: float | None = None, *, by: str
) -> Bookmark:
    """Make bookmark ``bookmark_id`` an evidence lock (a range: a moment is widened by nothing); audited."""
    reason = _clean(reason, "reason for the lock", True)
    bm = get_bookmark(db, bookmark_id)
    if expires is not None and (not math.isfinite(expires) or expires <= time.time()):
        raise UserError("the lock's expiry is in the past; choose a later date or no expiry")
    if bm.lock_active():
        raise UserError(f"bookmark #{bookmark_id} is already locked ({bm.lock_reason})")
    conn = db.conn
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            "UPDATE bookmarks SET locked = 1, lock_reason = ?, lock_expires = ?, locked_by = ?, locked_at = ?, "
            "released_by = NULL, released_at = NULL WHERE id = ?",
            (reason, expires, by, time.time(), bookmark_id),
        )
        AuditLog.append(
            db, by, "evidence.lock", f"bookmark:{bookmark_id}",
            {"camera": bm.camera_id, "start": bm.start, "end": bm.end, "reason": reason, "expires": expires},
        )  # fmt: skip
        if own:
            conn.execute("COMMIT")
    except BaseException:
        if own and conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return get_bookmark(db, bookmark_id)


def release_lock(db: Database, bookmark_id: int, *, by: str, note: str = "") -> Bookmark:
    """End bookmark ``bookmark_id``'s evidence lock (the bookmark stays); audited as ``evidence.release``."""
    bm = get_bookmark(db, bookmark_id)
    if not bm.lock_active():
        raise UserError(f"bookmark #{bookmark_id} is not locked")
    conn = db.conn
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            "UPDATE bookmarks SET released_by = ?, released_at = ? WHERE id = ?", (by, time.time(), bookmark_id)
        )
        AuditLog.append(
            db, by, "evidence.release", f"bookmark:{bookmark_id}",
            {"camera": bm.camera_id, "start": bm.start, "end": bm.end, "reason": bm.lock_reason,
             "note": _clean(note, "note", False)},
        )  # fmt: skip
        if own:
            conn.execute("COMMIT")
    except BaseException:
        if own and conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return get_bookmark(db, bookmark_id)


def list_bookmarks(
    db: Database,
    cameras: Sequence[str] | None = None,
    span: tuple[float, float] | None = None,
    *,
    locked_only: bool = False,
) -> list[Bookmark]:
    """Bookmarks (of ``cameras``, overlapping ``span``), oldest first; ``locked_only``: active locks."""
    if not _has_table(db):
        return []
    where: list[str] = ["1"]
    params: list[object] = []
    if cameras:
        where.append(f"camera_id IN ({', '.join('?' * len(cameras))})")
        params += list(cameras)
    if span is not None:
        where.append("end >= ? AND start <= ?")
        params += [span[0], span[1]]
    rows = db.query(f"SELECT * FROM bookmarks WHERE {' AND '.join(where)} ORDER BY start, id", params)
    out = [_row(r) for r in rows]
    if locked_only:
        now = time.time()
        out = [b for b in out if b.lock_active(now)]
    return out


def locked_ranges(db: Database, now: float | None = None) -> dict[str, list[tuple[float, float]]]:
    """Active evidence locks per camera as (start, end) ranges: what retention must keep."""
    at = time.time() if now is None else now
    if not _has_table(db):
        return {}
    rows = db.conn.execute(
        "SELECT camera_id, start, end FROM bookmarks WHERE locked = 1 AND released_at IS NULL "
        "AND (lock_expires IS NULL OR lock_expires > ?)",
        (at,),
    ).fetchall()
    out: dict[str, list[tuple[float, float]]] = {}
    for cam, start, end in rows:
        out.setdefault(cam, []).append((float(start), float(end)))
    return out


def overlaps_lock(locks: dict[str, list[tuple[float, float]]], camera_id: str, start: float, end: float) -> bool:
    """Whether [start, end] of ``camera_id`` touches an evidence lock."""
    return any(s <= end and e >= start for s, e in locks.get(camera_id, ()))
