"""Roll-up data made the real way: a station store written by the real StoreWriter with its outbox on,
each outbox row turned into the MQTT message the Publisher sends (``outbox_message``) and fed to the
roll-up's own ingest (``app.rollup.store.ingest``) - no broker in between, nothing hand-written."""

from __future__ import annotations

import json
import math
import random
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from app.domain import CameraStatus, Event, EventKind, Health, MaskState
from app.publish import outbox
from app.publish.publisher import outbox_message
from app.rollup import store as rollup_store
from app.store import CameraRecord, SiteRecord, StoreWriter, TrackUpdate
from app.store.records import LiveTick


@dataclass(frozen=True, slots=True)
class StationData:
    """What one simulated mall's station stored, and the messages its publisher would send."""

    station: str
    db: Path
    messages: tuple[tuple[str, bytes], ...]
    minutes: dict[tuple[str, int], tuple[int, int, int, int]]  # (camera, minute) -> people, masked, unmasked, incorrect
    events: int


def station_data(
    tmp: Path, station: str, start: float, minutes: int, *, cameras: int = 3, per_min: int = 4,
    mask_share: float = 0.9, seed: int = 1, wave: float = 0.0,
) -> StationData:  # fmt: skip
    """``minutes`` minutes of a mall from ``start``: ``per_min`` people a minute over ``cameras`` cameras
    ``cam0``.. (the same ids in every mall), unmasked people as events; ``wave`` swings the mask share
    up and down over 90 minutes."""
    rng = random.Random(seed)
    db = tmp / f"{station}.db"
    w = StoreWriter(db, flush_interval_s=0.05, max_batch=2000)
    w.start()
    try:
        w.call(lambda d: outbox.set_state(d.conn, outbox.ON)).result(10)
        w.submit(SiteRecord(station, station.title()))
        cams = [f"cam{i}" for i in range(cameras)]
        for i, cam in enumerate(cams):
            w.submit(CameraRecord(cam, f"Entrance {i + 1}", station))
            w.submit(CameraStatus(cam, Health.LIVE, start, "opened"))
        track = 0
        for m in range(minutes):
            t0 = start + 60.0 * m
            share = mask_share + wave * math.sin(2 * math.pi * m / 90.0)
            for cam in cams:
                w.submit(LiveTick(cam, t0 + 59.0))
            busy = 1.0 + 0.5 * math.sin(2 * math.pi * m / 150.0 + seed)  # visitors swell and ebb
            for _ in range(max(0, round(per_min * busy * rng.uniform(0.6, 1.4)) if wave else per_min)):
                track += 1
                cam = rng.choice(cams)
                at = t0 + rng.uniform(1.0, 50.0)
                r = rng.random()
                verdict = MaskState.MASK if r < share else rng.choice((MaskState.NO_MASK, MaskState.INCORRECT))
                w.submit(TrackUpdate(cam, track, at, at + 2.0, 90.0, verdict, 6))
                if verdict is MaskState.NO_MASK:
                    w.submit(Event(at + 2.0, cam, EventKind.NO_MASK, track, {"message": "no mask"}))
        assert w.flush(60)
        rows = w.call(
            lambda d: d.conn.execute("SELECT seq, kind, payload, created_at FROM outbox ORDER BY seq").fetchall()
        ).result(30)
    finally:
        w.stop()
    conn = sqlite3.connect(db)
    try:
        mins = {
            (r[0], r[1]): tuple(r[2:])
            for r in conn.execute(
                "SELECT camera_id, minute, people, masked, unmasked, incorrect FROM compliance_minutes"
            )
        }
        events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    finally:
        conn.close()
    messages = []
    for seq, kind, payload, created_at in rows:
        topic, body = outbox_message(station, (seq, kind, json.loads(payload), created_at))
        messages.append((topic, body.encode()))
    return StationData(station, db, tuple(messages), mins, int(events))  # type: ignore[arg-type]


def ingest_all(conn: sqlite3.Connection, messages: list[tuple[str, bytes]] | tuple[tuple[str, bytes], ...]) -> int:
    """Store the messages in one transaction, as the roll-up's writer does; returns how many were new."""
    fresh = 0
    conn.execute("BEGIN IMMEDIATE")
    for topic, payload in messages:
        fresh += rollup_store.ingest(conn, topic, payload)[2]
    conn.execute("COMMIT")
    return fresh
