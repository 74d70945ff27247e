"""Read side of the event store: read-only connections (one per thread), typed rows out.

WAL lets these read while the writer commits; a reader never blocks the writer and never writes.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from app.domain import EventKind, Health, MaskState
from app.store.audit import AuditLog
from app.store.db import connect_readonly
from app.store.errors import store_error
from app.store.records import AuditRow, AuditVerdict, EventRow, StatusRow, TrackRow

_EVENT_SELECT = """
SELECT e.id, e.at, e.camera_id, e.kind, e.track_id, e.run_id, e.details,
       coalesce(c.name, e.camera_id), coalesce(c.site_id, ''),
       EXISTS (SELECT 1 FROM event_thumbnails th WHERE th.event_id = e.id),
       e.acknowledged_at, e.acknowledged_by, t.id
FROM events e
LEFT JOIN cameras c ON c.id = e.camera_id
LEFT JOIN tracks t ON t.camera_id = e.camera_id AND t.run_id = e.run_id AND t.track_id = e.track_id
"""
_TRACK_COLS = "id, camera_id, run_id, track_id, first_seen, last_seen, best_face_px, verdict, frames, end_reason"
COUNTED_TABLES = (
    "sites",
    "cameras",
    "runs",
    "tracks",
    "events",
    "event_thumbnails",
    "camera_status",
    "audit_log",
)


def _event_row(r: Sequence[Any]) -> EventRow:
    return EventRow(
        id=r[0],
        at=r[1],
        camera_id=r[2],
        kind=EventKind(r[3]),
        track_id=r[4],
        run_id=r[5],
        details=json.loads(r[6]) if r[6] else {},
        camera_name=r[7],
        site_id=r[8],
        has_thumbnail=bool(r[9]),
        acknowledged_at=r[10],
        acknowledged_by=r[11],
        track_key=r[12],
    )


def _track_row(r: Sequence[Any]) -> TrackRow:
    return TrackRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], MaskState(r[7]), r[8], r[9])


class StoreReader:
    """Typed queries over the store. Safe to share: each thread gets its own read-only connection."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path).expanduser()
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[sqlite3.Connection] = []
        self._conn()  # fail now (StoreError) rather than on the first query

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect_readonly(self.path)
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        try:
            return self._conn().execute(sql, tuple(params)).fetchall()
        except sqlite3.DatabaseError as exc:
            raise store_error(exc, self.path) from exc

    def close(self) -> None:
        with self._lock:
            conns, self._all = self._all, []
        for c in conns:
            c.close()
        self._local = threading.local()

    def __enter__(self) -> StoreReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----- events -------------------------------------------------------------------------------------
    def recent_events(
        self,
        limit: int = 100,
        *,
        site: str | None = None,
        camera_id: str | None = None,
        kinds: Iterable[EventKind] | None = None,
        since: float | None = None,
    ) -> list[EventRow]:
        """Newest first; filters combine with AND."""
        where: list[str] = []
        params: list[Any] = []
        if site is not None:
            where.append("c.site_id = ?")
            params.append(site)
        if camera_id is not None:
            where.append("e.camera_id = ?")
            params.append(camera_id)
        if kinds is not None:
            values = [EventKind(k).value for k in kinds]
            if not values:
                return []
            where.append(f"e.kind IN ({', '.join('?' * len(values))})")
            params.extend(values)
        if since is not None:
            where.append("e.at >= ?")
            params.append(since)
        sql = _EVENT_SELECT + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY e.at DESC, e.id DESC LIMIT ?"
        params.append(int(limit))
        return [_event_row(r) for r in self._query(sql, params)]

    def event(self, event_id: int) -> EventRow | None:
        rows = self._query(_EVENT_SELECT + " WHERE e.id = ?", (event_id,))
        return _event_row(rows[0]) if rows else None

    def event_thumbnail(self, event_id: int) -> bytes | None:
        """The face crop (JPEG) stored with an event; None if it had none or retention removed it."""
        rows = self._query("SELECT jpeg FROM event_thumbnails WHERE event_id = ?", (event_id,))
        return bytes(rows[0][0]) if rows else None

    # ----- tracks and camera status -------------------------------------------------------------------
    def tracks(
        self, camera_id: str | None = None, since: float | None = None, until: float | None = None
    ) -> list[TrackRow]:
        """Tracks overlapping [since, until], oldest first."""
        where: list[str] = []
        params: list[Any] = []
        if camera_id is not None:
            where.append("camera_id = ?")
            params.append(camera_id)
        if since is not None:
            where.append("last_seen >= ?")
            params.append(since)
        if until is not None:
            where.append("first_seen <= ?")
            params.append(until)
        sql = f"SELECT {_TRACK_COLS} FROM tracks" + (" WHERE " + " AND ".join(where) if where else "")
        return [_track_row(r) for r in self._query(sql + " ORDER BY first_seen, id", params)]

    def camera_status_history(self, camera_id: str, since: float | None = None) -> list[StatusRow]:
        """Health changes of one camera, oldest first."""
        sql = "SELECT id, camera_id, at, health, message FROM camera_status WHERE camera_id = ?"
        params: list[Any] = [camera_id]
        if since is not None:
            sql += " AND at >= ?"
            params.append(since)
        rows = self._query(sql + " ORDER BY at, id", params)
        return [StatusRow(r[0], r[1], r[2], Health(r[3]), r[4]) for r in rows]

    # ----- audit and housekeeping ---------------------------------------------------------------------
    def audit_rows(self, since_seq: int = 0, limit: int = 1000) -> list[AuditRow]:
        try:
            return AuditLog.rows(self._conn(), since_seq, limit)
        except sqlite3.DatabaseError as exc:
            raise store_error(exc, self.path) from exc

    def verify_audit(self) -> AuditVerdict:
        try:
            return AuditLog.verify(self._conn())
        except sqlite3.DatabaseError as exc:
            raise store_error(exc, self.path) from exc

    def schema_version(self) -> int:
        return int(self._query("SELECT max(version) FROM schema_version")[0][0] or 0)

    def counts(self) -> dict[str, int]:
        """Row count per table (``event_thumbnails`` = stored face crops)."""
        return {t: int(self._query(f"SELECT count(*) FROM {t}")[0][0]) for t in COUNTED_TABLES}

    def crashes(self) -> tuple[int, int]:
        """(runs that ended by a crash or kill, tracks those runs left open and the next start closed)."""
        if self.schema_version() < 11:
            return 0, 0
        runs = self._query("SELECT count(*) FROM runs WHERE ended = 'crash'")[0][0]
        tracks = self._query("SELECT count(*) FROM tracks WHERE end_reason = 'crash'")[0][0]
        return int(runs), int(tracks)

    def db_size_bytes(self) -> int:
        """Disk use of the database file plus its -wal file."""
        total = 0
        for suffix in ("", "-wal"):
            with contextlib.suppress(OSError):
                total += (self.path.parent / (self.path.name + suffix)).stat().st_size
        return total
