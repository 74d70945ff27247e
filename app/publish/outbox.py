"""The outbox: every message a station publishes is first a row here, written by SQLite triggers in the
same transaction as the compliance minute, event or camera status it describes, and deleted only after the
broker acknowledged it (QoS 1 PUBACK). A broker or WAN outage therefore loses nothing: the rows wait.

A compliance minute changes many times while people pass; its outbox row is keyed by (camera, minute) and
replaced on every change (the trigger deletes the pending row and inserts a new one with a new, higher
sequence number), so a backlog holds
one message per minute and camera, not one per track update. ``seq`` (AUTOINCREMENT: never reused, even
after a crash) is the station's message sequence number; the roll-up stores (station id, seq) once.

``outbox_state.enabled`` switches the triggers on (a station that does not publish keeps no outbox);
the publisher switches it off while the outbox holds ``max_rows`` and counts what it could not keep.
"""

from __future__ import annotations

import sqlite3

_NOW = "((julianday('now') - 2440587.5) * 86400.0)"
_ON = "WHEN (SELECT enabled FROM outbox_state WHERE id = 1) = 1"
_SITE = "(SELECT site_id FROM cameras WHERE id = NEW.camera_id)"

_COMPLIANCE = f"""
BEGIN
    INSERT OR REPLACE INTO outbox(kind, key, payload, created_at) VALUES (
        'compliance', 'c/' || NEW.camera_id || '/' || NEW.minute,
        json_object('camera_id', NEW.camera_id, 'site_id', {_SITE}, 'minute', NEW.minute,
            'people', NEW.people, 'masked', NEW.masked, 'unmasked', NEW.unmasked,
            'incorrect', NEW.incorrect, 'uncertain', NEW.uncertain, 'unknown', NEW.unknown,
            'live_s', NEW.live_s),
        {_NOW});
END;
"""
_EVENT = f"""
BEGIN
    INSERT OR REPLACE INTO outbox(kind, key, payload, created_at) VALUES (
        'event', 'e/' || NEW.id,
        json_object('id', NEW.id, 'at', NEW.at, 'camera_id', NEW.camera_id, 'site_id', {_SITE},
            'kind', NEW.kind, 'track_id', NEW.track_id, 'details', json(NEW.details),
            'acknowledged_at', NEW.acknowledged_at, 'acknowledged_by', NEW.acknowledged_by),
        {_NOW});
END;
"""

SCHEMA_SQL = f"""
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,  -- the station's message sequence number
    kind TEXT NOT NULL,                     -- compliance | event | health
    key TEXT UNIQUE,                        -- one pending message per compliance minute / event
    payload TEXT NOT NULL,                  -- JSON
    created_at REAL NOT NULL
);
CREATE TABLE outbox_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    enabled INTEGER NOT NULL DEFAULT 0,
    dropped INTEGER NOT NULL DEFAULT 0      -- changes not queued while the outbox was full
);
INSERT INTO outbox_state(id, enabled, dropped) VALUES (1, 0, 0);
CREATE TRIGGER outbox_compliance_insert AFTER INSERT ON compliance_minutes {_ON} {_COMPLIANCE}
CREATE TRIGGER outbox_compliance_update AFTER UPDATE ON compliance_minutes {_ON} {_COMPLIANCE}
CREATE TRIGGER outbox_event_insert AFTER INSERT ON events {_ON} {_EVENT}
CREATE TRIGGER outbox_event_ack AFTER UPDATE OF acknowledged_at ON events {_ON} {_EVENT}
CREATE TRIGGER outbox_health_insert AFTER INSERT ON camera_status {_ON}
BEGIN
    INSERT INTO outbox(kind, key, payload, created_at) VALUES (
        'health', NULL,
        json_object('id', NEW.id, 'camera_id', NEW.camera_id, 'site_id', {_SITE}, 'at', NEW.at,
            'health', NEW.health, 'message', NEW.message),
        {_NOW});
END;
-- while disabled (outbox full, or not publishing) count what was not queued
CREATE TRIGGER outbox_full_compliance AFTER UPDATE ON compliance_minutes
    WHEN (SELECT enabled FROM outbox_state WHERE id = 1) = 2
BEGIN
    UPDATE outbox_state SET dropped = dropped + 1 WHERE id = 1;
END;
CREATE TRIGGER outbox_full_event AFTER INSERT ON events
    WHEN (SELECT enabled FROM outbox_state WHERE id = 1) = 2
BEGIN
    UPDATE outbox_state SET dropped = dropped + 1 WHERE id = 1;
END;
"""

# Migration 12. The triggers above used INSERT OR REPLACE, but a trigger's OR REPLACE is overridden by the
# firing statement's conflict policy, and the compliance counts are written by an UPSERT (ON CONFLICT DO
# UPDATE): while a minute's message was still pending, its next change failed with "UNIQUE constraint
# failed: outbox.key" and the writer dropped the TrackUpdate - the station's own counts lost people during
# every broker outage. Deleting the pending row first, then a plain INSERT, never conflicts.
def _replacing(body: str, key: str) -> str:
    return body.replace("BEGIN\n    INSERT OR REPLACE INTO outbox", f"BEGIN\n    DELETE FROM outbox WHERE key = {key};\n    INSERT INTO outbox")


_C_KEY = "'c/' || NEW.camera_id || '/' || NEW.minute"
_E_KEY = "'e/' || NEW.id"
REPLACE_FIX_SQL = f"""
DROP TRIGGER outbox_compliance_insert;
DROP TRIGGER outbox_compliance_update;
DROP TRIGGER outbox_event_insert;
DROP TRIGGER outbox_event_ack;
CREATE TRIGGER outbox_compliance_insert AFTER INSERT ON compliance_minutes {_ON} {_replacing(_COMPLIANCE, _C_KEY)}
CREATE TRIGGER outbox_compliance_update AFTER UPDATE ON compliance_minutes {_ON} {_replacing(_COMPLIANCE, _C_KEY)}
CREATE TRIGGER outbox_event_insert AFTER INSERT ON events {_ON} {_replacing(_EVENT, _E_KEY)}
CREATE TRIGGER outbox_event_ack AFTER UPDATE OF acknowledged_at ON events {_ON} {_replacing(_EVENT, _E_KEY)}
"""
assert "OR REPLACE" not in REPLACE_FIX_SQL

# enabled: 0 = not publishing, 1 = queueing, 2 = publishing but the outbox is full (changes counted)
OFF, ON, FULL = 0, 1, 2


def set_state(conn: sqlite3.Connection, state: int) -> None:
    conn.execute("UPDATE outbox_state SET enabled = ? WHERE id = 1", (int(state),))


def backlog(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM outbox").fetchone()[0])


def dropped(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT dropped FROM outbox_state WHERE id = 1").fetchone()
    return int(row[0]) if row else 0
