"""Per-camera, per-minute compliance counts, kept up to date inside the writer's transaction.

``compliance_minutes`` holds one row per camera and UTC minute (epoch // 60) in which the camera was live
or a person was first seen: people (tracks, counted once, in the minute of their ``first_seen``), their
settled verdicts (masked / unmasked / incorrect / uncertain / unknown) and ``live_s``, the seconds of that
minute the camera was live. Sites are joined through ``cameras``; roll-ups per site, hour and day are
indexed range scans of this one table (primary key camera_id, minute).

Live seconds come from camera health changes: ``compliance_live`` remembers, per camera, since when it is
live and up to when its live time is already credited. A new status closes the open interval; a
``LiveTick`` (every ~10 s per live camera, see ``LiveTicker``) credits the time so far, so the current
minute fills in and a crash loses at most one tick interval. An interval left open by an earlier run (a
crash, or a station stop, whose STOPPED status is not stored) is credited only up to its last tick.
"""

from __future__ import annotations

import logging
import math
import sqlite3
from collections.abc import Iterator

from sqlite_utils import Database

from app.domain import CameraStatus, Health, MaskState
from app.store.records import LiveTick, TrackUpdate

log = logging.getLogger("vigil.store")

VERDICT_COLUMNS: dict[MaskState, str] = {
    MaskState.MASK: "masked",
    MaskState.NO_MASK: "unmasked",
    MaskState.INCORRECT: "incorrect",
    MaskState.UNCERTAIN: "uncertain",
    MaskState.UNKNOWN: "unknown",
}
COUNT_COLUMNS = ("people", "masked", "unmasked", "incorrect", "uncertain", "unknown", "live_s")

SCHEMA_SQL = """
CREATE TABLE compliance_minutes (
    camera_id TEXT NOT NULL,
    minute INTEGER NOT NULL,            -- UTC epoch seconds // 60
    people INTEGER NOT NULL DEFAULT 0,  -- persons first seen in this minute
    masked INTEGER NOT NULL DEFAULT 0,
    unmasked INTEGER NOT NULL DEFAULT 0,
    incorrect INTEGER NOT NULL DEFAULT 0,
    uncertain INTEGER NOT NULL DEFAULT 0,
    unknown INTEGER NOT NULL DEFAULT 0, -- no verdict: the mask model was unavailable
    live_s REAL NOT NULL DEFAULT 0,     -- seconds of this minute the camera was live (0-60)
    PRIMARY KEY (camera_id, minute)
) WITHOUT ROWID;
-- the same counts per UTC hour (epoch // 3600), kept in the same transaction: long ranges read
-- 60 times fewer rows (a year of 16 cameras: 140 k rows instead of 8.4 M)
CREATE TABLE compliance_hours (
    camera_id TEXT NOT NULL,
    hour INTEGER NOT NULL,
    people INTEGER NOT NULL DEFAULT 0,
    masked INTEGER NOT NULL DEFAULT 0,
    unmasked INTEGER NOT NULL DEFAULT 0,
    incorrect INTEGER NOT NULL DEFAULT 0,
    uncertain INTEGER NOT NULL DEFAULT 0,
    unknown INTEGER NOT NULL DEFAULT 0,
    live_s REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (camera_id, hour)
) WITHOUT ROWID;
CREATE TABLE compliance_live (
    camera_id TEXT PRIMARY KEY,
    run_id INTEGER NOT NULL,
    live_since REAL,                    -- NULL: not live
    accounted_to REAL NOT NULL          -- live time before this is already in compliance_minutes
);
"""

_COUNT_UPSERT = """
INSERT INTO compliance_{table}s(camera_id, {table}, people, {col}) VALUES (?, ?, ?, ?)
ON CONFLICT(camera_id, {table}) DO UPDATE SET
    people = people + excluded.people, {col} = {col} + excluded.{col}
"""
_LIVE_UPSERT = """
INSERT INTO compliance_minutes(camera_id, minute, live_s) VALUES (?, ?, ?)
ON CONFLICT(camera_id, minute) DO UPDATE SET live_s = min(60.0, live_s + excluded.live_s)
"""
_LIVE_HOUR_UPSERT = """
INSERT INTO compliance_hours(camera_id, hour, live_s) VALUES (?, ?, ?)
ON CONFLICT(camera_id, hour) DO UPDATE SET live_s = min(3600.0, live_s + excluded.live_s)
"""
_STATE_UPSERT = """
INSERT INTO compliance_live(camera_id, run_id, live_since, accounted_to) VALUES (?, ?, ?, ?)
ON CONFLICT(camera_id) DO UPDATE SET run_id = excluded.run_id, live_since = excluded.live_since,
    accounted_to = excluded.accounted_to
"""


def minute_of(ts: float) -> int:
    return int(math.floor(ts / 60.0))


# ----- people ---------------------------------------------------------------------------------------------


def track_contribution(conn: sqlite3.Connection, t: TrackUpdate, run_id: int) -> tuple[int, MaskState] | None:
    """The (minute, verdict) a stored track counts for, or None if the track is not stored yet."""
    row = conn.execute(
        "SELECT first_seen, verdict FROM tracks WHERE camera_id = ? AND run_id = ? AND track_id = ?",
        (t.camera_id, run_id, int(t.track_id)),
    ).fetchone()
    if row is None:
        return None
    return minute_of(row[0]), MaskState(row[1])


def count_track(
    conn: sqlite3.Connection,
    camera_id: str,
    before: tuple[int, MaskState] | None,
    after: tuple[int, MaskState] | None,
) -> None:
    """Move one person's count from ``before`` to ``after``: a new track adds one, a repeated update of the
    same track only moves it (verdict or first minute changed) and never counts it twice."""
    if before == after:
        return
    if before is not None:
        _add_person(conn, camera_id, before[0], before[1], -1)
    if after is not None:
        _add_person(conn, camera_id, after[0], after[1], +1)


def _add_person(conn: sqlite3.Connection, camera_id: str, minute: int, verdict: MaskState, n: int) -> None:
    col = VERDICT_COLUMNS[verdict]
    conn.execute(_COUNT_UPSERT.format(table="minute", col=col), (camera_id, minute, n, n))
    conn.execute(_COUNT_UPSERT.format(table="hour", col=col), (camera_id, minute // 60, n, n))


# ----- live seconds ---------------------------------------------------------------------------------------


def minute_spans(start: float, end: float) -> Iterator[tuple[int, float]]:
    """(minute, seconds) pieces of the interval [start, end)."""
    t = start
    while t < end:
        m = minute_of(t)
        stop = min(end, (m + 1) * 60.0)
        if stop > t:
            yield m, stop - t
        t = stop if stop > t else (m + 1) * 60.0


def credit_live(conn: sqlite3.Connection, camera_id: str, start: float, end: float) -> None:
    if end <= start:
        return
    spans = list(minute_spans(start, end))
    conn.executemany(_LIVE_UPSERT, ((camera_id, m, s) for m, s in spans))
    hours: dict[int, float] = {}
    for m, s in spans:
        hours[m // 60] = hours.get(m // 60, 0.0) + s
    conn.executemany(_LIVE_HOUR_UPSERT, ((camera_id, h, s) for h, s in hours.items()))


def _state(conn: sqlite3.Connection, camera_id: str) -> tuple[int, float | None, float] | None:
    row = conn.execute(
        "SELECT run_id, live_since, accounted_to FROM compliance_live WHERE camera_id = ?", (camera_id,)
    ).fetchone()
    return None if row is None else (int(row[0]), row[1], float(row[2]))


def on_status(conn: sqlite3.Connection, status: CameraStatus, run_id: int) -> None:
    """Close the camera's open live interval at this change; open a new one if it is now live."""
    at = float(status.at)
    state = _state(conn, status.camera_id)
    accounted = -math.inf
    if state is not None:
        s_run, live_since, accounted = state
        if live_since is not None:
            # an interval left open by an earlier run ends at its last tick: the gap may be downtime
            end = at if s_run == run_id else accounted
            credit_live(conn, status.camera_id, accounted, end)
            accounted = max(accounted, end)
    live = status.health is Health.LIVE
    mark = max(at, accounted) if math.isfinite(accounted) else at
    conn.execute(_STATE_UPSERT, (status.camera_id, run_id, at if live else None, mark))


def on_tick(conn: sqlite3.Connection, tick: LiveTick, run_id: int) -> None:
    """Credit a live camera's time up to ``tick.at`` (ignored unless it is live in this run)."""
    state = _state(conn, tick.camera_id)
    if state is None:
        return
    s_run, live_since, accounted = state
    at = float(tick.at)
    if live_since is None or s_run != run_id or at <= accounted:
        return
    credit_live(conn, tick.camera_id, accounted, at)
    conn.execute("UPDATE compliance_live SET accounted_to = ? WHERE camera_id = ?", (at, tick.camera_id))


# ----- migration ------------------------------------------------------------------------------------------

_BACKFILL_PEOPLE = """
INSERT INTO compliance_minutes(camera_id, minute, people, masked, unmasked, incorrect, uncertain, unknown)
SELECT camera_id, CAST(first_seen / 60 AS INTEGER) AS m, count(*),
       sum(verdict = 'mask'), sum(verdict = 'no_mask'), sum(verdict = 'incorrect'),
       sum(verdict = 'uncertain'), sum(verdict NOT IN ('mask', 'no_mask', 'incorrect', 'uncertain'))
FROM tracks GROUP BY camera_id, m
"""


ROLLUP_HOURS_SQL = """
INSERT INTO compliance_hours(camera_id, hour, people, masked, unmasked, incorrect, uncertain, unknown, live_s)
SELECT camera_id, minute / 60 AS h, sum(people), sum(masked), sum(unmasked), sum(incorrect), sum(uncertain),
       sum(unknown), sum(live_s)
FROM compliance_minutes GROUP BY camera_id, h
"""


def backfill(db: Database) -> None:
    """Fill the new table from what an older database still holds: tracks, and live intervals from
    camera status changes (each cut at the next start of the station, as a crash leaves no closing row)."""
    conn = db.conn
    conn.execute(_BACKFILL_PEOPLE)
    starts = [float(r[0]) for r in conn.execute("SELECT started_at FROM runs ORDER BY started_at")]
    rows = conn.execute(
        "SELECT camera_id, at, health FROM camera_status ORDER BY camera_id, at, id"
    ).fetchall()
    prev: tuple[str, float, str] | None = None
    for cam, at, health in rows:
        if prev is not None and prev[0] == cam and prev[2] == Health.LIVE.value:
            end = min([float(at), *(s for s in starts if s > prev[1])])
            credit_live(conn, cam, prev[1], end)
        prev = (cam, float(at), health)
    conn.execute("DELETE FROM compliance_hours")  # rebuilt whole from the minutes
    conn.execute(ROLLUP_HOURS_SQL)
    n = conn.execute("SELECT count(*) FROM compliance_minutes").fetchone()[0]
    log.info("compliance: %d minute rows rebuilt from stored tracks and camera status", n)
