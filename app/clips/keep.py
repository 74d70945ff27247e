"""Which person an export keeps sharp: an event's face box, found again among the export's own tracks.

Per-frame boxes are not stored, so the person is named by an event (an unmasked person's event keeps the face
box, the frame size and the time) and looked up in the export-time analysis of the same footage.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from app.clips.naming import utc_iso
from app.clips.overlay import OverlayFrame
from app.domain import BBox
from app.errors import UserError

WINDOW_S = 0.5  # the event's frame and the recording's frame differ by capture timing, not more
MIN_IOU = 0.3


@dataclass(frozen=True, slots=True)
class KeepTarget:
    """The person to keep: the face box of event ``event_id`` on ``camera_id`` at ``at`` (UTC epoch s)."""

    event_id: int
    camera_id: str
    at: float
    box: BBox
    frame_size: tuple[int, int] | None = None  # (w, h) the box refers to; None: the recording's own size


def keep_target(db: Database, event_id: int, cameras: Sequence[str], start: float, end: float) -> KeepTarget:
    """The stored event ``event_id`` as a target; UserError when it does not exist, has no face box or lies
    outside the export (camera or time)."""
    row = _query(db, "SELECT id, at, camera_id, kind, details FROM events WHERE id = ?", (event_id,))
    if not row:
        raise UserError(f"event #{event_id} does not exist; choose an event id from the events list")
    _, at, camera_id, kind, details = row[0]
    info = json.loads(details) if details else {}
    box = info.get("box")
    if not (isinstance(box, list) and len(box) == 4):
        raise UserError(
            f"event #{event_id} ({kind}) has no face box to find the person by; "
            "choose a no-mask or incorrect-mask event"
        )
    if camera_id not in cameras:
        raise UserError(
            f"event #{event_id} is on camera {camera_id!r}; add --camera {camera_id} to the export"
        )
    if not start <= at < end:
        raise UserError(
            f"event #{event_id} at {utc_iso(at)} is outside the export range; widen --from/--to to include it"
        )
    frame = info.get("frame")
    size = (int(frame[0]), int(frame[1])) if isinstance(frame, list) and len(frame) == 2 else None
    return KeepTarget(int(event_id), str(camera_id), float(at), BBox(*(float(v) for v in box)), size)


def event_of_track(db: Database, track_id: int, cameras: Sequence[str], start: float, end: float) -> int:
    """The id of the face event of stored track ``track_id`` on one of ``cameras`` in [start, end)."""
    marks = ", ".join("?" * len(cameras))
    rows = _query(
        db,
        f"SELECT id, camera_id FROM events WHERE track_id = ? AND camera_id IN ({marks}) AND at >= ? AND at < ?"
        " AND json_extract(details, '$.box') IS NOT NULL ORDER BY at",
        (track_id, *cameras, start, end),
    )
    where = f"{', '.join(cameras)} between {utc_iso(start)} and {utc_iso(end)}"
    if not rows:
        raise UserError(
            f"no event of track #{track_id} on {where}, so that person cannot be found; "
            "use --keep-event ID with the id of an unmasked person's event in the range"
        )
    if len(rows) > 1:  # track ids start again with every run of the station
        ids = ", ".join(f"#{r[0]} ({r[1]})" for r in rows)
        raise UserError(
            f"track #{track_id} has several events on {where}: {ids}; choose one with --keep-event ID"
        )
    return int(rows[0][0])


def find_person(frames: Sequence[OverlayFrame], target: KeepTarget) -> int | None:
    """The export-local track whose box best matches the event's box (IoU >= 0.3, box scaled to the frame)
    in the frame nearest the event time that has such a face, within 0.5 s; None when nobody matches."""
    near = sorted(
        (f for f in frames if abs(f.at - target.at) <= WINDOW_S), key=lambda f: abs(f.at - target.at)
    )
    for frame in near:
        box = _scaled(target.box, target.frame_size or frame.frame_size, frame.frame_size)
        scored = [(f.bbox.iou(box), f.track_id) for f in frame.faces if f.track_id is not None]
        best = max(scored, default=(0.0, None), key=lambda s: s[0])
        if best[0] >= MIN_IOU:
            return best[1]
    return None


def _scaled(box: BBox, src: tuple[int, int], dst: tuple[int, int]) -> BBox:
    if src == dst or src[0] <= 0 or src[1] <= 0:
        return box
    sx, sy = dst[0] / src[0], dst[1] / src[1]
    return BBox(box.x1 * sx, box.y1 * sy, box.x2 * sx, box.y2 * sy)


def _query(db: Database, sql: str, params: tuple[object, ...]) -> list[Any]:
    try:
        return list(db.conn.execute(sql, params).fetchall())
    except sqlite3.OperationalError as exc:  # a recordings-only database without the events table
        raise UserError(
            f"the station database has no events ({exc}); export without keeping a person"
        ) from exc
