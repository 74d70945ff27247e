"""Retention: delete events (with their face crops), tracks and camera status rows older than N days.

The audit log is never purged: it is the accountability record (who viewed, exported, acknowledged,
changed settings), removing its oldest rows would break the hash chain that proves nothing was altered,
and it holds no face images. Each purge is itself written to the audit log.
"""

from __future__ import annotations

import time

from sqlite_utils import Database

from app.store.audit import AuditLog
from app.store.records import PurgeReport

DAY_S = 86400.0


def purge_older_than(db: Database, days: int, now: float | None = None, *, audit: bool = True) -> PurgeReport:
    """Delete rows older than ``days`` (by event time, track last_seen, status time) in one transaction.

    Run it on the writer thread (``StoreWriter.call``). ``days <= 0`` keeps everything.
    """
    at = time.time() if now is None else now
    cutoff = at - days * DAY_S
    if days <= 0:
        return PurgeReport(cutoff=float("-inf"))
    conn = db.conn
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN IMMEDIATE")
    try:
        # thumbnails explicitly, not only through ON DELETE CASCADE: face crops must go even on a
        # connection where foreign keys are off
        thumbs = conn.execute(
            "DELETE FROM event_thumbnails WHERE event_id IN (SELECT id FROM events WHERE at < ?)", (cutoff,)
        ).rowcount
        events = conn.execute("DELETE FROM events WHERE at < ?", (cutoff,)).rowcount
        tracks = conn.execute("DELETE FROM tracks WHERE last_seen < ?", (cutoff,)).rowcount
        status = conn.execute("DELETE FROM camera_status WHERE at < ?", (cutoff,)).rowcount
        report = PurgeReport(cutoff, events, thumbs, tracks, status)
        if audit and report.total:
            details = {
                "days": days,
                "cutoff": cutoff,
                "events": events,
                "thumbnails": thumbs,
                "tracks": tracks,
                "status_changes": status,
            }
            AuditLog.append(db, "system", "retention.purge", "events", details)
        if own:
            conn.execute("COMMIT")
    except BaseException:
        if own and conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return report
