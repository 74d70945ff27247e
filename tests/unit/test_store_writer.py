"""StoreWriter on a real SQLite file: threads, batching, flush, stop, merges, acknowledgements."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from app.domain import CameraStatus, Event, EventKind, Health, MaskState
from app.errors import UserError
from app.store import (
    AuditLog,
    CameraRecord,
    SiteRecord,
    StoreReader,
    StoreWriter,
    TrackUpdate,
    integrity_check,
)

T0 = 1_700_000_000.0


def _event(i: int, camera: str = "cam1", **kw: object) -> Event:
    kw.setdefault("details", {"i": i})
    return Event(at=T0 + i, camera_id=camera, kind=EventKind.NO_MASK, track_id=i, **kw)  # type: ignore[arg-type]


@pytest.fixture
def writer(tmp_path: Path):
    errors: list[str] = []
    w = StoreWriter(tmp_path / "vigil.sqlite3", flush_interval_s=0.05, on_error=errors.append)
    w.errors = errors  # type: ignore[attr-defined]
    w.start()
    yield w
    w.stop()


def test_events_from_several_threads_are_all_stored_and_readable(writer: StoreWriter) -> None:
    per_thread, n_threads = 300, 4

    def produce(t: int) -> None:
        for i in range(per_thread):
            writer.submit(_event(t * per_thread + i, camera=f"cam{t}"))

    threads = [threading.Thread(target=produce, args=(t,)) for t in range(n_threads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert writer.flush(timeout=10)
    with StoreReader(writer.path) as reader:
        assert reader.counts()["events"] == per_thread * n_threads
        for t in range(n_threads):
            rows = reader.recent_events(1000, camera_id=f"cam{t}")
            assert sorted(r.details["i"] for r in rows) == list(range(t * per_thread, (t + 1) * per_thread))
    stats = writer.stats()
    assert stats.written == per_thread * n_threads and stats.pending == 0 and stats.dropped == 0
    assert writer.errors == []  # type: ignore[attr-defined]


def test_items_are_committed_in_batches_not_one_by_one(tmp_path: Path) -> None:
    w = StoreWriter(tmp_path / "v.db", flush_interval_s=60.0, max_batch=100)
    w.start()
    try:
        for i in range(1000):
            w.submit(_event(i))
        assert w.flush(timeout=10)
        stats = w.stats()
        assert stats.written == 1000
        # max_batch caps a transaction; a long interval means batches are full ones
        assert 10 <= stats.batches <= 20
    finally:
        w.stop()


def test_the_interval_commits_without_any_flush_call(tmp_path: Path) -> None:
    w = StoreWriter(tmp_path / "v.db", flush_interval_s=0.05)
    w.start()
    try:
        w.submit(_event(1))
        with StoreReader(w.path) as reader:
            done = threading.Event()
            for _ in range(200):  # wait for the background commit (bounded, not a timing assert)
                if reader.counts()["events"] == 1:
                    done.set()
                    break
                threading.Event().wait(0.02)
            assert done.is_set()
    finally:
        w.stop()


def test_stop_flushes_what_is_pending(tmp_path: Path) -> None:
    w = StoreWriter(tmp_path / "v.db", flush_interval_s=3600.0, max_batch=10_000)
    w.start()
    for i in range(250):
        w.submit(_event(i))
    w.stop(timeout=10)
    assert not w.running
    with StoreReader(tmp_path / "v.db") as reader:
        assert reader.counts()["events"] == 250
    w.submit(_event(999))  # after stop: refused, counted, never raises
    assert w.stats().dropped == 1
    assert integrity_check(tmp_path / "v.db") == ["ok"]


def test_sites_cameras_status_and_thumbnails_round_trip(writer: StoreWriter) -> None:
    writer.submit(SiteRecord("m1", "North Mall"))
    writer.submit(CameraRecord("cam1", "Entrance", "m1"))
    writer.submit(CameraRecord("cam2", "Food court", "m2"))
    writer.submit(_event(1, thumbnail_jpeg=b"\xff\xd8jpeg\xff\xd9"))
    writer.submit(_event(2, camera="cam2"))
    writer.submit(CameraStatus("cam1", Health.OFFLINE, T0 + 5, "read timeout"))
    writer.submit(CameraStatus("cam1", Health.LIVE, T0 + 9, "reconnected"))
    assert writer.flush()
    with StoreReader(writer.path) as reader:
        rows = reader.recent_events(site="m1")
        assert [(r.camera_id, r.camera_name, r.site_id) for r in rows] == [("cam1", "Entrance", "m1")]
        assert rows[0].has_thumbnail
        assert reader.event_thumbnail(rows[0].id) == b"\xff\xd8jpeg\xff\xd9"
        other = reader.recent_events(camera_id="cam2")[0]
        assert not other.has_thumbnail and reader.event_thumbnail(other.id) is None
        assert reader.recent_events(kinds=[EventKind.CAMERA_OFFLINE]) == []
        assert len(reader.recent_events(since=T0 + 2)) == 1
        history = reader.camera_status_history("cam1")
        assert [(s.health, s.message) for s in history] == [
            (Health.OFFLINE, "read timeout"),
            (Health.LIVE, "reconnected"),
        ]


def test_track_updates_merge_into_one_row_per_person(writer: StoreWriter) -> None:
    writer.submit(TrackUpdate("cam1", 7, T0, T0 + 1, 40.0, MaskState.UNKNOWN, 3))
    writer.submit(TrackUpdate("cam1", 7, T0, T0 + 4, 90.0, MaskState.NO_MASK, 12))
    writer.submit(TrackUpdate("cam1", 7, T0, T0 + 5, 60.0, MaskState.UNKNOWN, 15))
    writer.submit(TrackUpdate("cam2", 7, T0, T0 + 2, 30.0, MaskState.MASK, 4))  # same id, other camera
    writer.submit(_event(7))
    assert writer.flush()
    with StoreReader(writer.path) as reader:
        tracks = reader.tracks(camera_id="cam1")
        assert len(tracks) == 1
        t = tracks[0]
        assert (t.first_seen, t.last_seen, t.best_face_px, t.verdict, t.frames) == (
            T0,
            T0 + 5,
            90.0,
            MaskState.NO_MASK,
            15,
        )
        assert t.run_id == writer.run_id
        assert len(reader.tracks()) == 2
        assert reader.tracks(since=T0 + 3, until=T0 + 10) == tracks
        assert reader.recent_events(camera_id="cam1")[0].track_key == t.id


def test_track_ids_restart_per_run_without_merging_people(tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    for run in range(2):
        w = StoreWriter(path)
        w.start()
        w.submit(TrackUpdate("cam1", 1, T0 + run * 100, T0 + run * 100 + 1, 50.0, MaskState.MASK, 2))
        w.stop()
    with StoreReader(path) as reader:
        assert len({t.run_id for t in reader.tracks("cam1")}) == 2


def test_acknowledgement_is_stored_once_and_audited(writer: StoreWriter) -> None:
    writer.submit(_event(1))
    assert writer.flush()
    with StoreReader(writer.path) as reader:
        ev = reader.recent_events()[0]
        assert ev.acknowledged_at is None
        writer.acknowledge(ev.id, "alice", at=T0 + 10)
        writer.acknowledge(ev.id, "bob", at=T0 + 20)  # too late: first acknowledgement wins
        assert writer.flush()
        ev = reader.event(ev.id)
        assert ev is not None and (ev.acknowledged_by, ev.acknowledged_at) == ("alice", T0 + 10)
        audit = reader.audit_rows()
        assert [(a.actor, a.action, a.target) for a in audit] == [
            ("alice", "event.acknowledge", f"event:{ev.id}")
        ]
        assert reader.verify_audit().ok


def test_a_bad_item_is_dropped_alone_and_reported(writer: StoreWriter) -> None:
    loop: dict[str, object] = {}
    loop["self"] = loop  # not JSON-serialisable: this one event can never be stored
    writer.submit(_event(1))
    writer.submit(_event(2, details=loop))
    writer.submit(_event(3))
    assert writer.flush()
    with StoreReader(writer.path) as reader:
        assert sorted(r.details["i"] for r in reader.recent_events()) == [1, 3]
    assert any("dropped one Event" in e for e in writer.errors)  # type: ignore[attr-defined]


def test_call_runs_on_the_writer_thread_after_earlier_items(writer: StoreWriter) -> None:
    writer.submit(_event(1))
    fut = writer.call(
        lambda db: (threading.current_thread().name, db.execute("SELECT count(*) FROM events").fetchone()[0])
    )
    assert fut.result(timeout=5) == ("store-writer", 1)
    row = writer.call(lambda db: AuditLog.append(db, "admin", "settings.change", "retention", {"days": 30}))
    assert row.result(timeout=5).seq == 1
    failing = writer.call(lambda db: db.execute("SELECT * FROM no_such_table"))
    with pytest.raises(Exception, match="no_such_table"):
        failing.result(timeout=5)
    writer.submit(_event(2))  # the writer survives a failing call
    assert writer.flush()


def test_submit_refuses_things_the_store_cannot_hold(writer: StoreWriter) -> None:
    with pytest.raises(TypeError):
        writer.submit({"at": 1})  # type: ignore[arg-type]


def test_start_on_a_bad_path_raises_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="folder"):
        StoreWriter(tmp_path).start()
