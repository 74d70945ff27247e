"""The recording index: finished segments per camera (UTC start/end, file, size, frames) in SQLite.

Paths are stored relative to the recordings folder (POSIX separators) so the folder can move.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
from sqlite_utils import Database

from app.clips.schema import migrate_recordings

GAP_TOLERANCE_S = 1.5  # segments closer than this count as continuous


@dataclass(frozen=True, slots=True)
class VideoInfo:
    frames: int
    fps: float
    width: int
    height: int
    codec: str

    @property
    def duration(self) -> float:
        return self.frames / self.fps if self.fps > 0 else 0.0


@dataclass(frozen=True, slots=True)
class Segment:
    """One finished recording file of one camera."""

    camera_id: str
    start: float  # UTC epoch seconds
    end: float
    path: str  # relative to the recordings folder
    bytes: int
    frames: int
    fps: float = 0.0
    width: int = 0
    height: int = 0
    codec: str = ""
    id: int | None = None

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class TimeRange:
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def probe_video(path: Path) -> VideoInfo:
    """Frame count, rate, size and codec from the container (no full decode)."""
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    try:
        if not cap.isOpened():
            return VideoInfo(0, 0.0, 0, 0, "")
        fourcc = int(cap.get(cv2.CAP_PROP_FOURCC))
        codec = "".join(chr((fourcc >> (8 * i)) & 0xFF) for i in range(4)).strip("\x00 ")
        return VideoInfo(
            frames=max(0, int(cap.get(cv2.CAP_PROP_FRAME_COUNT))),
            fps=float(cap.get(cv2.CAP_PROP_FPS) or 0.0),
            width=int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            height=int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            codec=codec,
        )
    finally:
        cap.release()


def _ensure(db: Database) -> None:
    if not db["recordings"].exists():
        migrate_recordings(db)


def _row_to_segment(row: dict) -> Segment:
    return Segment(
        camera_id=row["camera_id"],
        start=row["start"],
        end=row["end"],
        path=row["path"],
        bytes=row["bytes"],
        frames=row["frames"],
        fps=row["fps"],
        width=row["width"],
        height=row["height"],
        codec=row["codec"],
        id=row["id"],
    )


def add_segment(db: Database, seg: Segment) -> int:
    """Index one finished segment; returns its row id."""
    _ensure(db)
    cur = db.execute(
        "INSERT INTO recordings(camera_id, start, end, path, bytes, frames, fps, width, height, codec) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            seg.camera_id,
            seg.start,
            seg.end,
            seg.path,
            seg.bytes,
            seg.frames,
            seg.fps,
            seg.width,
            seg.height,
            seg.codec,
        ],
    )
    db.conn.commit()
    return int(cur.lastrowid or 0)


def remove_segment(db: Database, segment_id: int) -> None:
    db.execute("DELETE FROM recordings WHERE id = ?", [segment_id])
    db.conn.commit()


def segments_between(db: Database, camera_id: str, start: float, end: float) -> list[Segment]:
    """Segments of ``camera_id`` overlapping [start, end), oldest first."""
    _ensure(db)
    rows = db.query(
        "SELECT * FROM recordings WHERE camera_id = ? AND end > ? AND start < ? ORDER BY start",
        [camera_id, start, end],
    )
    return [_row_to_segment(r) for r in rows]


def all_segments(db: Database, camera_id: str | None = None) -> list[Segment]:
    """Every indexed segment (of one camera, if given), oldest first."""
    _ensure(db)
    if camera_id is None:
        rows = db.query("SELECT * FROM recordings ORDER BY start")
    else:
        rows = db.query("SELECT * FROM recordings WHERE camera_id = ? ORDER BY start", [camera_id])
    return [_row_to_segment(r) for r in rows]


def recorded_cameras(db: Database) -> list[str]:
    _ensure(db)
    return [r["camera_id"] for r in db.query("SELECT DISTINCT camera_id FROM recordings ORDER BY camera_id")]


def merge_ranges(segments: list[Segment], tolerance: float = GAP_TOLERANCE_S) -> list[TimeRange]:
    """Continuous recorded ranges made of ``segments`` (sorted by start)."""
    out: list[TimeRange] = []
    for s in sorted(segments, key=lambda s: s.start):
        if out and s.start <= out[-1].end + tolerance:
            out[-1] = TimeRange(out[-1].start, max(out[-1].end, s.end))
        else:
            out.append(TimeRange(s.start, s.end))
    return out


def gaps_in(
    covered: list[TimeRange], start: float, end: float, tolerance: float = GAP_TOLERANCE_S
) -> list[TimeRange]:
    """Parts of [start, end) that ``covered`` does not cover (ignoring gaps shorter than ``tolerance``)."""
    gaps: list[TimeRange] = []
    t = start
    for r in covered:
        if r.end <= t:
            continue
        if r.start > t + tolerance and r.start < end:
            gaps.append(TimeRange(t, min(r.start, end)))
        t = max(t, r.end)
        if t >= end:
            break
    if t < end - tolerance:
        gaps.append(TimeRange(t, end))
    return gaps


def nearest_ranges(db: Database, camera_id: str, start: float, end: float, limit: int = 3) -> list[TimeRange]:
    """Recorded ranges of ``camera_id`` nearest to [start, end) (for 'no recording there' messages)."""
    ranges = merge_ranges(all_segments(db, camera_id))

    def distance(r: TimeRange) -> float:
        return max(0.0, r.start - end, start - r.end)

    return sorted(sorted(ranges, key=distance)[:limit], key=lambda r: r.start)
