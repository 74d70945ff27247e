"""The outbox is written by triggers in the writer's own transaction, one pending row per minute."""

from __future__ import annotations

from pathlib import Path

from app.domain import CameraStatus, Event, EventKind, Health, MaskState
from app.logs import redact
from app.publish import outbox
from app.publish.broker import parse_broker_url
from app.store.records import TrackUpdate
from app.store.writer import StoreWriter


def _rows(w: StoreWriter) -> list[tuple[str, str | None]]:
    return w.call(lambda db: db.conn.execute("SELECT kind, key FROM outbox ORDER BY seq").fetchall()).result(5)


def test_outbox_rows_come_with_the_rows_they_describe(tmp_path: Path) -> None:
    w = StoreWriter(tmp_path / "s.db", flush_interval_s=0.05)
    w.start()
    try:
        w.submit(Event(1000.0, "cam1", EventKind.NO_MASK, 1))
        assert w.flush(5)
        assert _rows(w) == []  # not publishing: no outbox
        w.call(lambda db: outbox.set_state(db.conn, outbox.ON)).result(5)
        w.submit(CameraStatus("cam1", Health.LIVE, 1001.0, "up"))
        for i in range(5):  # five people in one minute: one pending compliance message
            w.submit(TrackUpdate("cam1", 10 + i, 1002.0 + i, 1003.0 + i, 80.0, MaskState.MASK, 5))
        w.submit(Event(1005.0, "cam1", EventKind.NO_MASK, 2))
        assert w.flush(5)
        kinds = [k for k, _ in _rows(w)]
        assert kinds.count("health") == 1 and kinds.count("event") == 1
        assert kinds.count("compliance") == 1  # one row per camera-minute, replaced on change
        # ... and every change counted: replacing the pending row must not fail the writer's UPSERT
        minute = w.call(lambda db: db.conn.execute("SELECT people, masked FROM compliance_minutes").fetchall())
        assert minute.result(5) == [(5, 5)]
        pending = w.call(lambda db: db.conn.execute("SELECT payload FROM outbox WHERE kind = 'compliance'").fetchone())
        assert '"people":5' in pending.result(5)[0]
        w.call(lambda db: outbox.set_state(db.conn, outbox.FULL)).result(5)
        w.submit(Event(1006.0, "cam1", EventKind.NO_MASK, 3))
        assert w.flush(5)
        assert [k for k, _ in _rows(w)].count("event") == 1
        assert w.call(lambda db: outbox.dropped(db.conn)).result(5) == 1
    finally:
        w.stop()


def test_broker_password_is_redacted() -> None:
    b = parse_broker_url("mqtts://mall-1:s3cret@broker:8883")
    assert (b.host, b.port, b.tls, b.username, b.password) == ("broker", 8883, True, "mall-1", "s3cret")
    assert "s3cret" not in b.display()
    assert "s3cret" not in redact("publishing to mqtts://mall-1:s3cret@broker:8883")
