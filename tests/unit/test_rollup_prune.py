"""The roll-up prunes its idempotency table ``received`` and still stores a re-delivered old message once."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

from app.rollup import store
from app.rollup.reader import RollupReader
from tests.rollup_data import ingest_all, station_data


def _count(conn: sqlite3.Connection, sql: str) -> int:
    return int(conn.execute(sql).fetchone()[0])


def test_prune_then_redeliver_an_old_message_is_stored_once(tmp_path: Path) -> None:
    start = time.time() - 3 * 3600
    mall = station_data(tmp_path, "mall-a", start, 10, per_min=5, mask_share=0.6, seed=3)
    conn = store.open_rollup(tmp_path / "city.db")
    assert ingest_all(conn, mall.messages) == len(mall.messages)
    minutes = _count(conn, "SELECT count(*) FROM compliance_minutes")
    events = _count(conn, "SELECT count(*) FROM events")
    assert minutes == len(mall.minutes) and events == mall.events > 0
    snapshot = conn.execute("SELECT * FROM compliance_minutes ORDER BY camera_id, minute").fetchall()

    # everything was received "40 days ago": all of it is past a 35-day horizon
    conn.execute("UPDATE received SET at = ?", (time.time() - 40 * 86400,))
    cutoff = time.time() - store.KEEP_DAYS * 86400
    pruned = 0
    while (n := store.prune_received(conn, cutoff, chunk=7)) > 0:  # several chunks
        pruned += n
    assert pruned == len(mall.messages)
    assert _count(conn, "SELECT count(*) FROM received") == 0
    top = max(json.loads(p)["seq"] for _, p in mall.messages)
    assert conn.execute("SELECT pruned_seq FROM stations WHERE station_id = 'mall-a'").fetchone() == (top,)

    # the broker delivers the whole old backlog again (QoS 1 allows it): nothing is stored twice
    assert ingest_all(conn, mall.messages) == 0
    assert _count(conn, "SELECT count(*) FROM events") == events
    assert conn.execute("SELECT * FROM compliance_minutes ORDER BY camera_id, minute").fetchall() == snapshot
    assert _count(conn, "SELECT count(*) FROM received") == 0

    # the station's next message (a higher seq: its minute changed again) is stored
    topic, payload = next(m for m in mall.messages if m[0].endswith("/compliance"))
    msg = json.loads(payload)
    msg["seq"], msg["data"]["people"] = top + 1, msg["data"]["people"] + 1
    assert ingest_all(conn, [(topic, json.dumps(msg).encode())]) == 1
    d = msg["data"]
    row = conn.execute(
        "SELECT people, seq FROM compliance_minutes WHERE station_id = 'mall-a' AND camera_id = ? AND minute = ?",
        (d["camera_id"], d["minute"]),
    ).fetchone()
    assert row == (d["people"], top + 1)
    assert _count(conn, "SELECT count(*) FROM received") == 1
    conn.close()


def test_prune_keeps_rows_inside_the_horizon(tmp_path: Path) -> None:
    mall = station_data(tmp_path, "mall-b", time.time() - 600, 3, seed=5)
    conn = store.open_rollup(tmp_path / "city.db")
    ingest_all(conn, mall.messages)
    assert store.prune_received(conn, time.time() - store.KEEP_DAYS * 86400) == 0
    assert _count(conn, "SELECT count(*) FROM received") == len(mall.messages)
    # inside the horizon a duplicate is still caught by `received` itself
    assert ingest_all(conn, mall.messages[:5]) == 0
    conn.close()


def test_schema_1_database_is_migrated(tmp_path: Path) -> None:
    """A roll-up database of schema 1 (no pruned_seq, no cameras table) opens and lists its malls."""
    db = tmp_path / "old.db"
    conn = store.open_rollup(db)
    mall = station_data(tmp_path, "mall-c", time.time() - 600, 2, seed=6)
    ingest_all(conn, mall.messages)
    conn.executescript(
        "DROP TABLE cameras; ALTER TABLE stations DROP COLUMN pruned_seq; "
        "UPDATE rollup_meta SET value = '1' WHERE key = 'schema';"
    )
    conn.close()
    store.open_rollup(db).close()
    with RollupReader(db) as reader:
        sites = reader.sites()
    assert [s.id for s in sites] == ["mall-c"]
    assert [c.id for c in sites[0].cameras] == ["mall-c/cam0", "mall-c/cam1", "mall-c/cam2"]
