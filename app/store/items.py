"""How each writer item becomes rows: inserts and upserts run inside the writer's open transaction."""

from __future__ import annotations

import json
import math
import sqlite3
import time

from sqlite_utils import Database

from app.domain import CameraStatus, Event
from app.store import compliance, track_store
from app.store.audit import AuditLog
from app.store.records import CameraRecord, EventAck, LiveTick, SiteRecord, TrackUpdate

Item = Event | CameraStatus | TrackUpdate | SiteRecord | CameraRecord | EventAck | LiveTick
ITEM_TYPES = (Event, CameraStatus, TrackUpdate, SiteRecord, CameraRecord, EventAck, LiveTick)


def write_item(db: Database, item: Item, run_id: int, relink_s: float = 0.0) -> None:
    """Write one item inside the caller's open transaction. ``relink_s``: a new track first seen this soon
    after a crash-closed track's last sighting continues it (``track_store``)."""
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
        track_store.write_track(conn, item, run_id, relink_s)
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


_SITE_UPSERT = """
INSERT INTO sites(id, name, timezone, updated_at) VALUES (?, ?, ?, ?)
ON CONFLICT(id) DO UPDATE SET name = excluded.name, timezone = excluded.timezone, updated_at = excluded.updated_at
"""
_CAMERA_UPSERT = """
INSERT INTO cameras(id, name, site_id, enabled, updated_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT(id) DO UPDATE SET name = excluded.name, site_id = excluded.site_id, enabled = excluded.enabled,
    updated_at = excluded.updated_at
"""
