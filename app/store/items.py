"""How each writer item becomes rows: inserts and upserts run inside the writer's open transaction."""

from __future__ import annotations

import json
import math
import sqlite3
import time
from typing import Any

from sqlite_utils import Database

from app.domain import CameraStatus, Event
from app.store import compliance
from app.store.audit import AuditLog
from app.store.records import CameraRecord, EventAck, LiveTick, SiteRecord, TrackUpdate

Item = Event | CameraStatus | TrackUpdate | SiteRecord | CameraRecord | EventAck | LiveTick
ITEM_TYPES = (Event, CameraStatus, TrackUpdate, SiteRecord, CameraRecord, EventAck, LiveTick)


def write_item(db: Database, item: Item, run_id: int) -> None:
    """Write one item inside the caller's open transaction."""
    conn = db.conn
    now = time.time()
    if isinstance(item, Event):
        _ensure_camera(conn, item.camera_id, now)
        details = json.dumps(item.details, sort_keys=True, default=str, allow_nan=False)
        cur = conn.execute(
            "INSERT INTO events(at, camera_id, kind, run_id, track_id, details) VALUES (?, ?, ?, ?, ?, ?)",
            (_finite(item.at), item.camera_id, item.kind.value, run_id, item.track_id, details),
        )
        if item.thumbnail_jpeg:
            conn.execute(
                "INSERT INTO event_thumbnails(event_id, jpeg) VALUES (?, ?)",
                (cur.lastrowid, sqlite3.Binary(item.thumbnail_jpeg)),
            )
    elif isinstance(item, TrackUpdate):
        _ensure_camera(conn, item.camera_id, now)
        params = _track_params(item, run_id)
        before = compliance.track_contribution(conn, item, run_id)
        conn.execute(_TRACK_UPSERT, params)
        compliance.count_track(
            conn, item.camera_id, before, compliance.track_contribution(conn, item, run_id)
        )
    elif isinstance(item, CameraStatus):
        _ensure_camera(conn, item.camera_id, now)
        conn.execute(
            "INSERT INTO camera_status(camera_id, at, health, message) VALUES (?, ?, ?, ?)",
            (item.camera_id, _finite(item.at), item.health.value, item.message),
        )
        compliance.on_status(conn, item, run_id)
    elif isinstance(item, LiveTick):
        _finite(item.at)
        compliance.on_tick(conn, item, run_id)
    elif isinstance(item, SiteRecord):
        conn.execute(_SITE_UPSERT, (item.id, item.name, item.timezone, now))
    elif isinstance(item, CameraRecord):
        conn.execute(_CAMERA_UPSERT, (item.id, item.name, item.site_id, int(item.enabled), now))
    elif isinstance(item, EventAck):
        cur = conn.execute(
            "UPDATE events SET acknowledged_at = ?, acknowledged_by = ? "
            "WHERE id = ? AND acknowledged_at IS NULL",
            (_finite(item.at), item.by, item.event_id),
        )
        if cur.rowcount:
            AuditLog.append(db, item.by, "event.acknowledge", f"event:{item.event_id}")


def _ensure_camera(conn: sqlite3.Connection, camera_id: str, now: float) -> None:
    # events may arrive before the camera is registered; a placeholder keeps site joins meaningful
    conn.execute(
        "INSERT OR IGNORE INTO cameras(id, name, site_id, enabled, updated_at) VALUES (?, ?, '', 1, ?)",
        (camera_id, camera_id, now),
    )


def _finite(x: float) -> float:
    v = float(x)
    if not math.isfinite(v):
        raise ValueError(f"time {x!r} is not finite")
    return v


def _track_params(t: TrackUpdate, run_id: int) -> tuple[Any, ...]:
    return (
        t.camera_id,
        run_id,
        int(t.track_id),
        _finite(t.first_seen),
        _finite(t.last_seen),
        float(t.best_face_px),
        t.verdict.value,
        int(t.frames),
    )


_TRACK_UPSERT = """
INSERT INTO tracks(camera_id, run_id, track_id, first_seen, last_seen, best_face_px, verdict, frames)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(camera_id, run_id, track_id) DO UPDATE SET
    first_seen = min(first_seen, excluded.first_seen),
    last_seen = max(last_seen, excluded.last_seen),
    best_face_px = max(best_face_px, excluded.best_face_px),
    verdict = CASE WHEN excluded.verdict = 'unknown' THEN verdict ELSE excluded.verdict END,
    frames = max(frames, excluded.frames)
"""
_SITE_UPSERT = """
INSERT INTO sites(id, name, timezone, updated_at) VALUES (?, ?, ?, ?)
ON CONFLICT(id) DO UPDATE SET name = excluded.name, timezone = excluded.timezone, updated_at = excluded.updated_at
"""
_CAMERA_UPSERT = """
INSERT INTO cameras(id, name, site_id, enabled, updated_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT(id) DO UPDATE SET name = excluded.name, site_id = excluded.site_id, enabled = excluded.enabled,
    updated_at = excluded.updated_at
"""
