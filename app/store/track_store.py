"""Tracks that survive a crash: checkpoints of open tracks, closing a dead run's tracks, relinking.

The analysis engine checkpoints every open track every few seconds (``TrackUpdate(open=True)``); the row is
counted in ``compliance_minutes`` at once, so a kill loses at most the people first seen in the last
checkpoint interval. Later updates of the same track (a newer checkpoint, the final close) update the same
row and only move its count (verdict or first minute changed).

At the next start, ``close_dead_runs`` marks the runs that ended without a clean stop and their ``open``
tracks as ``crash`` (their ``last_seen`` is the last checkpointed sighting). A person still in view when the
station comes back within the lost-track time is not a new visitor: the first new track of that camera
whose first sighting follows a crash-closed track's last sighting by at most ``relink_s`` continues that row
(one new track per crashed track, the most recent first), so the restart does not count them twice; a
continued row that is cut by a second crash can be continued again by the run after that.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from typing import Any

from app.domain import MaskState
from app.store import compliance
from app.store.records import CrashRecovery, TrackUpdate

log = logging.getLogger("vigil.store")

OPEN, ENDED, CRASH = "open", "ended", "crash"

SCHEMA_SQL = """
-- 'open': checkpoint of a track still in view; 'ended': closed normally; 'crash': its run was killed
ALTER TABLE tracks ADD COLUMN end_reason TEXT NOT NULL DEFAULT 'ended';
-- the (run, track) of the next run that continues a crash-closed track (a restart within the lost time)
ALTER TABLE tracks ADD COLUMN cont_run INTEGER;
ALTER TABLE tracks ADD COLUMN cont_track INTEGER;
CREATE INDEX tracks_continued ON tracks(camera_id, cont_run, cont_track) WHERE cont_run IS NOT NULL;
CREATE INDEX tracks_open ON tracks(end_reason) WHERE end_reason = 'open';
CREATE INDEX tracks_crashed ON tracks(camera_id, last_seen) WHERE end_reason = 'crash';
-- NULL while running (or killed: found by the next start), 'stopped' or 'crash'
ALTER TABLE runs ADD COLUMN ended TEXT;
ALTER TABLE runs ADD COLUMN ended_at REAL;
UPDATE runs SET ended = 'stopped';
"""

_FIND = "SELECT id, first_seen, verdict, end_reason FROM tracks WHERE camera_id = ? AND run_id = ? AND track_id = ?"
_FIND_CONTINUED = """
SELECT id, first_seen, verdict, end_reason FROM tracks
WHERE camera_id = ? AND cont_run = ? AND cont_track = ? AND cont_run IS NOT NULL
"""
_CANDIDATE = """
SELECT id, first_seen, verdict, end_reason FROM tracks
WHERE camera_id = ? AND end_reason = 'crash' AND last_seen BETWEEN ? - ? AND ? + 0.5
  AND run_id < ? AND (cont_run IS NULL OR cont_run < ?)
ORDER BY last_seen DESC LIMIT 1
"""
_INSERT = """
INSERT INTO tracks(camera_id, run_id, track_id, first_seen, last_seen, best_face_px, verdict, frames,
                   end_reason)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
_MERGE = """
UPDATE tracks SET
    first_seen = min(first_seen, ?),
    last_seen = max(last_seen, ?),
    best_face_px = max(best_face_px, ?),
    verdict = CASE WHEN ? = 'unknown' THEN verdict ELSE ? END,
    frames = max(frames, ?),
    end_reason = CASE WHEN ? = 'open' AND end_reason = 'ended' THEN end_reason ELSE ? END
WHERE id = ?
"""


def write_track(conn: sqlite3.Connection, t: TrackUpdate, run_id: int, relink_s: float) -> None:
    """Insert or merge one track update inside the writer's transaction and keep the counts right."""
    first, last = _finite(t.first_seen), _finite(t.last_seen)
    reason = OPEN if t.open else ENDED
    tid = int(t.track_id)
    row = conn.execute(_FIND, (t.camera_id, run_id, tid)).fetchone()
    if row is None:
        row = conn.execute(_FIND_CONTINUED, (t.camera_id, run_id, tid)).fetchone()
    if row is None and relink_s > 0:
        row = conn.execute(_CANDIDATE, (t.camera_id, first, relink_s, first, run_id, run_id)).fetchone()
        if row is not None:
            conn.execute("UPDATE tracks SET cont_run = ?, cont_track = ? WHERE id = ?", (run_id, tid, row[0]))
            log.info(
                "track %d of camera %s continues a track cut by the crash (not counted twice)",
                tid,
                t.camera_id,
            )
    if row is None:
        conn.execute(
            _INSERT,
            (
                t.camera_id,
                run_id,
                tid,
                first,
                last,
                float(t.best_face_px),
                t.verdict.value,
                int(t.frames),
                reason,
            ),
        )
        compliance.count_track(conn, t.camera_id, None, (compliance.minute_of(first), t.verdict))
        return
    key, old_first, old_verdict, _ = row
    v = t.verdict.value
    conn.execute(_MERGE, (first, last, float(t.best_face_px), v, v, int(t.frames), reason, reason, key))
    new_first, new_verdict = conn.execute(
        "SELECT first_seen, verdict FROM tracks WHERE id = ?", (key,)
    ).fetchone()
    compliance.count_track(
        conn,
        t.camera_id,
        (compliance.minute_of(old_first), MaskState(old_verdict)),
        (compliance.minute_of(new_first), MaskState(new_verdict)),
    )


def close_dead_runs(conn: sqlite3.Connection, run_id: int) -> CrashRecovery:
    """Mark earlier runs without a clean stop as crashed and close their open tracks (in a transaction).
    A run whose process is still alive (another station on the same file) is left alone."""
    rows = conn.execute("SELECT id, pid FROM runs WHERE ended IS NULL AND id <> ?", (run_id,)).fetchall()
    dead = [int(r[0]) for r in rows if not _alive(int(r[1] or 0))]
    if not dead:
        return CrashRecovery()
    marks = ",".join("?" * len(dead))
    where = f"(run_id IN ({marks}) OR cont_run IN ({marks}))"  # a continued track belongs to its newest run
    if conn.in_transaction:
        conn.execute("COMMIT")
    conn.execute("BEGIN IMMEDIATE")
    try:
        ended_at: dict[int, Any] = {}  # a dead run's last stored sighting (None: it had no one in view)
        for rid in dead:
            ended_at[rid] = conn.execute(
                "SELECT max(last_seen) FROM tracks WHERE end_reason = 'open' AND (run_id = ? OR cont_run = ?)",
                (rid, rid),
            ).fetchone()[0]
        n = conn.execute(
            f"UPDATE tracks SET end_reason = 'crash' WHERE end_reason = 'open' AND {where}", dead + dead
        ).rowcount
        known = [t for t in ended_at.values() if t is not None]
        newest = max(known) if known else None
        conn.executemany(
            "UPDATE runs SET ended = 'crash', ended_at = ? WHERE id = ?", [(ended_at[r], r) for r in dead]
        )
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    rec = CrashRecovery(tuple(dead), int(n or 0), newest)
    log.warning("%s", rec.message())
    return rec


def mark_stopped(conn: sqlite3.Connection, run_id: int) -> None:
    """A clean stop: the next start will not treat this run as crashed."""
    conn.execute("UPDATE runs SET ended = 'stopped', ended_at = ? WHERE id = ?", (time.time(), run_id))
    if conn.in_transaction:
        conn.execute("COMMIT")


def _alive(pid: int) -> bool:
    if pid <= 0 or pid == os.getpid():
        return False  # our own pid: an earlier writer of this process that was never stopped
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return _is_vigil(pid)


def _is_vigil(pid: int) -> bool:
    """A reused pid of an unrelated program does not keep a dead run open (Linux: its command line)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read()
    except OSError:
        return True  # no /proc (Windows, macOS): assume it is ours, the next start closes it
    return b"app" in cmd or b"vigil" in cmd


def _finite(x: float) -> float:
    v = float(x)
    if v != v or v in (float("inf"), float("-inf")):
        raise ValueError(f"time {x!r} is not finite")
    return v
