"""The roll-up's own SQLite store: the stations' compliance minutes, events and camera health, each row
with its station id. Every sequenced message is stored once: ``received`` keys on (station, seq), so a
message the broker delivers twice (QoS 1 allows it) changes nothing the second time.

``received`` is pruned after the retention horizon (``prune_received``); each station keeps the highest
seq pruned (``stations.pruned_seq``), and a message at or below it is a re-delivery of an old one: a
station's seq only grows (its outbox's AUTOINCREMENT), so nothing new can carry it."""

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
    messages INTEGER NOT NULL DEFAULT 0,
    pruned_seq INTEGER NOT NULL DEFAULT 0   -- the highest seq whose `received` row was pruned
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
CREATE INDEX IF NOT EXISTS received_at ON received(at);
CREATE TABLE IF NOT EXISTS cameras (        -- every (station, camera) seen: the city window's mall list
    station_id TEXT NOT NULL,
    camera_id TEXT NOT NULL,
    site_id TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (station_id, camera_id)
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
INSERT OR IGNORE INTO rollup_meta(key, value) VALUES ('kind', 'vigil-rollup'), ('schema', '2');
"""
SCHEMA_VERSION = 2
KEEP_DAYS = 35  # default retention of `received` (the station's compliance retention is 30 days)
PRUNE_CHUNK = 20_000  # `received` rows deleted per transaction (the writer serves messages in between)

_COUNTS = ("people", "masked", "unmasked", "incorrect", "uncertain", "unknown", "live_s")


class Malformed(ValueError):
    """A message that is not a Vigil message of this schema (logged and skipped)."""


def open_rollup(path: Path | str) -> sqlite3.Connection:
    p = Path(path).expanduser()
    p.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(p), timeout=BUSY_TIMEOUT_S, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    _migrate(conn)
    conn.executescript(SCHEMA)
    conn.execute("UPDATE rollup_meta SET value = ? WHERE key = 'schema'", (str(SCHEMA_VERSION),))
    return conn


def _migrate(conn: sqlite3.Connection) -> None:
    """Schema 1 -> 2: ``stations.pruned_seq`` and ``cameras`` filled from the stored rows (the index on
    ``received.at`` comes with SCHEMA)."""
    cols = {r[1] for r in conn.execute("PRAGMA table_info(stations)")}
    if not cols or "pruned_seq" in cols:
        return
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("ALTER TABLE stations ADD COLUMN pruned_seq INTEGER NOT NULL DEFAULT 0")
    conn.execute(
        "CREATE TABLE cameras (station_id TEXT NOT NULL, camera_id TEXT NOT NULL, site_id TEXT NOT NULL "
        "DEFAULT '', PRIMARY KEY (station_id, camera_id)) WITHOUT ROWID"
    )
    for table in ("compliance_minutes", "events", "camera_status"):
        site = "''" if table == "camera_status" else "site_id"
        conn.execute(
            f"INSERT OR IGNORE INTO cameras(station_id, camera_id, site_id) "
            f"SELECT DISTINCT station_id, camera_id, {site} FROM {table}"
        )
    conn.execute("COMMIT")


def prune_received(conn: sqlite3.Connection, cutoff: float, chunk: int = PRUNE_CHUNK) -> int:
    """Delete up to ``chunk`` of the oldest ``received`` rows stored before ``cutoff`` (epoch s) in one
    transaction, raising each station's ``pruned_seq`` to the highest seq deleted. Returns the rows
    deleted (``chunk``: call again)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        rows = conn.execute(
            "SELECT station_id, seq FROM received WHERE at < ? ORDER BY at LIMIT ?", (cutoff, int(chunk))
        ).fetchall()
        top: dict[str, int] = {}
        for station, seq in rows:
            top[station] = max(seq, top.get(station, 0))
        conn.executemany(
            "UPDATE stations SET pruned_seq = max(pruned_seq, ?) WHERE station_id = ?",
            [(seq, station) for station, seq in top.items()],
        )
        conn.executemany("DELETE FROM received WHERE station_id = ? AND seq = ?", rows)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(rows)


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


def ingest(conn: sqlite3.Connection, topic: str, payload: bytes | bytearray) -> tuple[str, dict[str, Any], bool]:
    """Parse and store one message inside the caller's transaction, in a savepoint (a bad message changes
    nothing): (topic kind, message, False for a duplicate), or Malformed."""
    station, kind, msg = parse(topic, payload)
    conn.execute("SAVEPOINT m")
    try:
        fresh = store(conn, station, kind, msg)
    except Malformed:
        conn.execute("ROLLBACK TO m")
        conn.execute("RELEASE m")
        raise
    conn.execute("RELEASE m")
    return kind, msg, fresh


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
        pruned = conn.execute("SELECT pruned_seq FROM stations WHERE station_id = ?", (station,)).fetchone()
        if pruned is not None and seq <= pruned[0]:
            return False  # its `received` row was pruned: an old message delivered again
        cur = conn.execute("INSERT OR IGNORE INTO received(station_id, seq, at) VALUES (?, ?, ?)", (station, seq, now))
        if cur.rowcount == 0:
            return False
        conn.execute(
            "INSERT OR IGNORE INTO cameras(station_id, camera_id, site_id) VALUES (?, ?, ?)",
            (station, str(d["camera_id"]), str(d.get("site_id") or "")),
        )
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
