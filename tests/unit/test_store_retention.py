"""Retention purges old events, face crops, tracks and status rows; keeps recent rows and the audit log."""

from __future__ import annotations

from pathlib import Path

from app.domain import CameraStatus, Event, EventKind, Health, MaskState
from app.store import AuditLog, StoreReader, StoreWriter, TrackUpdate, purge_older_than

DAY = 86400.0
NOW = 1_750_000_000.0


def _crop(n: int) -> bytes:
    return (b"FACECROP-%03d-" % n) * 50


def test_purge_removes_only_rows_older_than_the_retention(tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    w = StoreWriter(path)
    w.start()
    try:
        for age_days in (40, 31, 29, 1):
            at = NOW - age_days * DAY
            w.submit(Event(at, "cam1", EventKind.NO_MASK, track_id=age_days, thumbnail_jpeg=_crop(age_days)))
            w.submit(TrackUpdate("cam1", age_days, at - 5, at, 80.0, MaskState.NO_MASK, 10))
            w.submit(CameraStatus("cam1", Health.OFFLINE, at, "gone"))
        w.call(lambda db: AuditLog.append(db, "admin", "login", "station")).result(timeout=5)
        assert w.flush()
        report = w.call(lambda db: purge_older_than(db, 30, now=NOW)).result(timeout=5)
        again = w.call(lambda db: purge_older_than(db, 30, now=NOW)).result(timeout=5)
        keep_all = w.call(lambda db: purge_older_than(db, 0, now=NOW)).result(timeout=5)
    finally:
        w.stop()

    assert (report.events, report.thumbnails, report.tracks, report.status_changes) == (2, 2, 2, 2)
    assert report.cutoff == NOW - 30 * DAY
    assert again.total == 0 and keep_all.total == 0
    with StoreReader(path) as reader:
        events = reader.recent_events()
        assert sorted(e.track_id for e in events) == [1, 29]
        assert all(reader.event_thumbnail(e.id) == _crop(e.track_id) for e in events)
        counts = reader.counts()
        assert counts["event_thumbnails"] == 2
        assert sorted(t.track_id for t in reader.tracks()) == [1, 29]
        assert len(reader.camera_status_history("cam1")) == 2
        # the audit log keeps the old login and records the purge itself; the chain still verifies
        audit = reader.audit_rows()
        assert [a.action for a in audit] == ["login", "retention.purge"]
        assert audit[1].details["events"] == 2
        assert reader.verify_audit().ok

    # privacy: purged face crops are overwritten on disk (secure_delete), not left in free pages
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("v.db*"))
    assert _crop(1) in raw
    assert b"FACECROP-040-" not in raw and b"FACECROP-031-" not in raw
