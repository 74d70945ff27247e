"""The roll-up's own SQLite store: the stations' compliance minutes, events and camera health, each row
with its station id. Every sequenced message is stored once: ``received`` keys on (station, seq), so a
message the broker delivers twice (QoS 1 allows it) changes nothing the second time."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any

from app.store.db import BUSY_TIMEOUT_S

SCHEMA = """
CREATE TABLE IF NOT EXISTS rollup_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS stations (
    station_id TEXT PRIMARY KEY,
    online INTEGER NOT NULL DEFAULT 0,
    state_at REAL NOT NULL DEFAULT 0,
    last_heartbeat REAL NOT NULL DEFAULT 0,
    cameras_live INTEGER NOT NULL DEFAULT 0,
    cameras_total INTEGER NOT NULL DEFAULT 0,
    backlog INTEGER NOT NULL DEFAULT 0,
    outbox_full INTEGER NOT NULL DEFAULT 0,
    last_seq INTEGER NOT NULL DEFAULT 0,
    messages INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS received (
    station_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (station_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS compliance_minutes (
    station_id TEXT NOT NULL,
    camera_id TEXT NOT NULL,
    site_id TEXT NOT NULL DEFAULT '',
    minute INTEGER NOT NULL,
    people INTEGER NOT NULL DEFAULT 0,
    masked INTEGER NOT NULL DEFAULT 0,
    unmasked INTEGER NOT NULL DEFAULT 0,
    incorrect INTEGER NOT NULL DEFAULT 0,
    uncertain INTEGER NOT NULL DEFAULT 0,
    unknown INTEGER NOT NULL DEFAULT 0,
    live_s REAL NOT NULL DEFAULT 0,
    seq INTEGER NOT NULL,
    PRIMARY KEY (station_id, camera_id, minute)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS compliance_minutes_minute ON compliance_minutes(minute);
CREATE TABLE IF NOT EXISTS events (
    station_id TEXT NOT NULL,
    id INTEGER NOT NULL,                -- the station's event id
    at REAL NOT NULL,
    camera_id TEXT NOT NULL,
    site_id TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    track_id INTEGER,
    details TEXT NOT NULL DEFAULT '{}',
    acknowledged_at REAL,
    acknowledged_by TEXT,
    thumbnail_jpeg BLOB,
    seq INTEGER NOT NULL,
    received_at REAL NOT NULL,
    PRIMARY KEY (station_id, id)
);
CREATE INDEX IF NOT EXISTS events_at ON events(at);
CREATE TABLE IF NOT EXISTS camera_status (
    station_id TEXT NOT NULL,
    id INTEGER NOT NULL,
    camera_id TEXT NOT NULL,
    at REAL NOT NULL,
    health TEXT NOT NULL,
    message TEXT NOT NULL DEFAULT '',
    seq INTEGER NOT NULL,
    PRIMARY KEY (station_id, id)
);
INSERT OR IGNORE INTO rollup_meta(key, value) VALUES ('kind', 'vigil-rollup'), ('schema', '1');
"""

_COUNTS = ("people", "masked", "unmasked", "incorrect", "uncertain", "unknown", "live_s")


class Malformed(ValueError):
    """A message that is not a Vigil message of this schema (logged and skipped)."""


def open_rollup(path: Path | str) -> sqlite3.Connection:
    p = Path(path).expanduser()
    p.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(p), timeout=BUSY_TIMEOUT_S, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(SCHEMA)
    return conn


def is_rollup_db(path: Path | str) -> bool:
    try:
        conn = sqlite3.connect(f"file:{Path(path).expanduser()}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT value FROM rollup_meta WHERE key = 'kind'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return bool(row and row[0] == "vigil-rollup")


def parse(topic: str, payload: bytes | bytearray) -> tuple[str, str, dict[str, Any]]:
    """(station, topic kind, message) or Malformed with a one-line reason."""
    parts = topic.split("/")
    if len(parts) != 3 or parts[0] != "vigil":
        raise Malformed(f"unexpected topic {topic!r}")
    station, kind = parts[1], parts[2]
    try:
        msg = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise Malformed(f"{topic}: not JSON ({exc})") from None
    if not isinstance(msg, dict):
        raise Malformed(f"{topic}: not a JSON object")
    if msg.get("v") != 1:
        raise Malformed(f"{topic}: unknown schema version {msg.get('v')!r}")
    if msg.get("station") != station:
        raise Malformed(f"{topic}: station {msg.get('station')!r} does not match the topic")
    if kind in ("compliance", "events", "health"):
        seq = msg.get("seq")
        if not isinstance(seq, int) or isinstance(seq, bool) or seq <= 0 or not isinstance(msg.get("data"), dict):
            raise Malformed(f"{topic}: missing or bad 'seq'/'data'")
    elif kind not in ("heartbeat", "state"):
        raise Malformed(f"{topic}: unknown message kind {kind!r}")
    return station, kind, msg


def store(conn: sqlite3.Connection, station: str, kind: str, msg: dict[str, Any]) -> bool:
    """Apply one parsed message inside the caller's transaction; False for a duplicate. Malformed on bad
    fields (the caller rolls back to a savepoint)."""
    now = time.time()
    conn.execute("INSERT OR IGNORE INTO stations(station_id) VALUES (?)", (station,))
    try:
        if kind == "state":
            conn.execute(
                "UPDATE stations SET online = ?, state_at = ? WHERE station_id = ?",
                (1 if msg.get("online") else 0, float(msg.get("at") or now), station),
            )
            return True
        if kind == "heartbeat":
            conn.execute(
                "UPDATE stations SET last_heartbeat = ?, cameras_live = ?, cameras_total = ?, backlog = ?, "
                "outbox_full = ?, online = 1 WHERE station_id = ?",
                (float(msg["at"]), int(msg.get("cameras_live", 0)), int(msg.get("cameras_total", 0)),
                 int(msg.get("backlog", 0)), 1 if msg.get("outbox_full") else 0, station),
            )  # fmt: skip
            return True
        seq, d = int(msg["seq"]), msg["data"]
        cur = conn.execute("INSERT OR IGNORE INTO received(station_id, seq, at) VALUES (?, ?, ?)", (station, seq, now))
        if cur.rowcount == 0:
            return False
        if kind == "compliance":
            counts = [float(d[c]) if c == "live_s" else int(d[c]) for c in _COUNTS]
            conn.execute(
                f"INSERT INTO compliance_minutes(station_id, camera_id, site_id, minute, {', '.join(_COUNTS)}, seq) "
                f"VALUES (?, ?, ?, ?, {', '.join('?' * len(_COUNTS))}, ?) "
                "ON CONFLICT(station_id, camera_id, minute) DO UPDATE SET "
                + ", ".join(f"{c} = excluded.{c}" for c in (*_COUNTS, "site_id", "seq"))
                + " WHERE excluded.seq > compliance_minutes.seq",
                (station, str(d["camera_id"]), str(d.get("site_id") or ""), int(d["minute"]), *counts, seq),
            )
        elif kind == "events":
            thumb = d.get("thumbnail_jpeg_b64")
            conn.execute(
                "INSERT INTO events(station_id, id, at, camera_id, site_id, kind, track_id, details, "
                "acknowledged_at, acknowledged_by, thumbnail_jpeg, seq, received_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(station_id, id) DO UPDATE SET "
                "acknowledged_at = excluded.acknowledged_at, acknowledged_by = excluded.acknowledged_by, "
                "seq = excluded.seq WHERE excluded.seq > events.seq",
                (station, int(d["id"]), float(d["at"]), str(d["camera_id"]), str(d.get("site_id") or ""),
                 str(d["kind"]), d.get("track_id"), json.dumps(d.get("details") or {}, sort_keys=True),
                 d.get("acknowledged_at"), d.get("acknowledged_by"),
                 _b64(thumb) if isinstance(thumb, str) else None, seq, now),
            )  # fmt: skip
        else:  # health
            conn.execute(
                "INSERT OR IGNORE INTO camera_status(station_id, id, camera_id, at, health, message, seq) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (station, int(d["id"]), str(d["camera_id"]), float(d["at"]), str(d["health"]),
                 str(d.get("message") or ""), seq),
            )  # fmt: skip
        conn.execute(
            "UPDATE stations SET last_seq = max(last_seq, ?), messages = messages + 1 WHERE station_id = ?",
            (seq, station),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise Malformed(f"vigil/{station}/{kind}: bad field ({exc!r})") from None
    return True


def _b64(s: str) -> bytes | None:
    import base64
    import binascii

    try:
        return base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError):
        return None
