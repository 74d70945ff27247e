"""Recording index lookup for playback: which segment holds a moment, what a camera covered, what happened.

Reads the station database with its own read-only connection (WAL: the writer keeps writing)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from app.clips.index import Segment, TimeRange, merge_ranges
from app.domain import BBox
from app.store.bookmarks import Bookmark, list_bookmarks


@dataclass(frozen=True, slots=True)
class EventMark:
    """A stored event as the time bar and the overlays need it."""

    id: int
    at: float
    camera_id: str
    kind: str
    box: BBox | None = None
    frame_size: tuple[int, int] | None = None
    label: str = ""


class RecordingLookup:
    """Queries over the recordings, events and bookmarks tables of one station database."""

    def __init__(self, db_path: Path | str) -> None:
        self.path = Path(db_path)
        self._conn: sqlite3.Connection | None = None

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            uri = f"file:{self.path.as_posix()}?mode=ro"
            self._conn = sqlite3.connect(uri, uri=True, check_same_thread=False, timeout=5.0)
            self._conn.row_factory = sqlite3.Row
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def interrupt(self) -> None:
        """Cancel the query running on this connection (safe from any thread); it raises 'interrupted'."""
        conn = self._conn
        if conn is not None:
            conn.interrupt()

    def _rows(self, sql: str, params: tuple[object, ...]) -> list[sqlite3.Row]:
        try:
            return list(self._db().execute(sql, params).fetchall())
        except sqlite3.OperationalError as exc:  # no such table yet (a new database), or the file is missing
            if _interrupted(exc):
                raise  # a newer query cancelled this one (``Connection.interrupt``): not "nothing there"
            return []

    def segments(self, camera_id: str, start: float, end: float) -> list[Segment]:
        rows = self._rows(
            "SELECT * FROM recordings WHERE camera_id = ? AND end > ? AND start < ? ORDER BY start",
            (camera_id, start, end),
        )
        return [_segment(r) for r in rows]

    def segment_at(self, camera_id: str, at: float) -> Segment | None:
        """The segment that holds ``at`` (the newest one if two overlap), else None (a gap)."""
        rows = self._rows(
            "SELECT * FROM recordings WHERE camera_id = ? AND start <= ? AND end > ? ORDER BY start DESC LIMIT 1",
            (camera_id, at, at),
        )
        return _segment(rows[0]) if rows else None

    def next_segment(self, camera_id: str, after: float) -> Segment | None:
        rows = self._rows(
            "SELECT * FROM recordings WHERE camera_id = ? AND start > ? ORDER BY start LIMIT 1",
            (camera_id, after),
        )
        return _segment(rows[0]) if rows else None

    def previous_segment(self, camera_id: str, before: float) -> Segment | None:
        rows = self._rows(
            "SELECT * FROM recordings WHERE camera_id = ? AND end < ? ORDER BY end DESC LIMIT 1",
            (camera_id, before),
        )
        return _segment(rows[0]) if rows else None

    def coverage(self, camera_id: str, start: float, end: float) -> list[TimeRange]:
        """Continuous recorded ranges of ``camera_id`` within [start, end)."""
        return merge_ranges(self.segments(camera_id, start, end))

    def extent(self, cameras: list[str]) -> TimeRange | None:
        """First start and last end recorded by any of ``cameras``."""
        if not cameras:
            return None
        marks = ", ".join("?" * len(cameras))
        rows = self._rows(f"SELECT min(start), max(end) FROM recordings WHERE camera_id IN ({marks})", tuple(cameras))
        if not rows or rows[0][0] is None:
            return None
        return TimeRange(float(rows[0][0]), float(rows[0][1]))

    def events(self, cameras: list[str], start: float, end: float, limit: int = 5000) -> list[EventMark]:
        """Stored events of ``cameras`` in [start, end), oldest first (at most ``limit``)."""
        if not cameras:
            return []
        marks = ", ".join("?" * len(cameras))
        rows = self._rows(
            f"SELECT id, at, camera_id, kind, details FROM events WHERE camera_id IN ({marks}) "
            "AND at >= ? AND at < ? ORDER BY at LIMIT ?",
            (*cameras, start, end, limit),
        )
        return [_event(r) for r in rows]

    def bookmarks(self, cameras: list[str], start: float, end: float) -> list[Bookmark]:
        from sqlite_utils import Database

        try:
            return list_bookmarks(Database(self._db()), cameras, (start, end))
        except sqlite3.OperationalError as exc:
            if _interrupted(exc):
                raise
            return []


def _interrupted(exc: sqlite3.OperationalError) -> bool:
    return "interrupted" in str(exc)


def _segment(r: sqlite3.Row) -> Segment:
    return Segment(
        camera_id=r["camera_id"], start=r["start"], end=r["end"], path=r["path"], bytes=r["bytes"],
        frames=r["frames"], fps=r["fps"], width=r["width"], height=r["height"], codec=r["codec"], id=r["id"],
    )  # fmt: skip


def _event(r: sqlite3.Row) -> EventMark:
    try:
        info = json.loads(r["details"] or "{}")
    except ValueError:
        info = {}
    if not isinstance(info, dict):
        info = {}
    box = info.get("box")
    frame = info.get("frame")
    bbox = None
    if isinstance(box, list) and len(box) == 4:
        try:
            bbox = BBox(*(float(v) for v in box))
        except (TypeError, ValueError):
            bbox = None
    size = (int(frame[0]), int(frame[1])) if isinstance(frame, list) and len(frame) == 2 else None
    label = str(info.get("label") or info.get("identity") or "")
    return EventMark(int(r["id"]), float(r["at"]), r["camera_id"], r["kind"], bbox, size, label)
