"""A simulated station for the fault tests and ``vigil bench --rollup``: the real StoreWriter and
Publisher on a real SQLite store, fed with synthetic passers-by, unmasked-person events and camera
health changes at a given rate. ``python -m app.publish.simulate --db D --broker URL --station ID``."""

from __future__ import annotations

import argparse
import random
import sys
import time

from app.domain import CameraStatus, Event, EventKind, Health, MaskState
from app.publish.broker import parse_broker_url
from app.publish.publisher import Publisher
from app.store.records import TrackUpdate
from app.store.writer import StoreWriter

VERDICTS = (MaskState.MASK, MaskState.MASK, MaskState.MASK, MaskState.NO_MASK, MaskState.INCORRECT)


def run(db: str, broker_url: str, station: str, cameras: int, people_per_s: float, duration: float,
        drain_timeout: float, backlog_rate: float, seed: int) -> int:  # fmt: skip
    rng = random.Random(seed)
    writer = StoreWriter(db, flush_interval_s=0.2)
    writer.start()
    cams = [f"{station}-cam{i}" for i in range(cameras)]
    pub = Publisher(
        writer, parse_broker_url(broker_url), station, backlog_rate=backlog_rate, heartbeat_s=2.0,
        on_status=lambda m: print(m, file=sys.stderr, flush=True), cameras_live=lambda: (len(cams), len(cams)),
    )  # fmt: skip
    pub.start()
    for cam in cams:
        writer.submit(CameraStatus(cam, Health.LIVE, time.time(), "simulated"))
    track = 0
    end = time.monotonic() + duration
    next_at = time.monotonic()
    while time.monotonic() < end:
        now = time.time()
        cam = rng.choice(cams)
        track += 1
        verdict = rng.choice(VERDICTS)
        writer.submit(TrackUpdate(cam, track, now, now + 1, 80.0, verdict, 5))
        if verdict is MaskState.NO_MASK:
            writer.submit(Event(now, cam, EventKind.NO_MASK, track, {"simulated": True}))
        next_at += 1.0 / people_per_s
        time.sleep(max(0.0, next_at - time.monotonic()))
    writer.flush(10)
    deadline = time.monotonic() + drain_timeout
    while time.monotonic() < deadline:
        time.sleep(0.2)
        pub._check_cap()  # refresh the backlog figure
        s = pub.status()
        if s.connected and s.backlog == 0 and s.outstanding == 0:
            break
    pub.stop()
    writer.stop()
    left = pub.status().backlog
    print(f"station {station}: {track} people, outbox {left} left", file=sys.stderr, flush=True)
    return 0 if left == 0 else 3


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m app.publish.simulate")
    p.add_argument("--db", required=True)
    p.add_argument("--broker", required=True)
    p.add_argument("--station", required=True)
    p.add_argument("--cameras", type=int, default=3)
    p.add_argument("--rate", type=float, default=20.0, help="people per second (all cameras)")
    p.add_argument("--duration", type=float, default=5.0)
    p.add_argument("--drain-timeout", type=float, default=60.0)
    p.add_argument("--backlog-rate", type=float, default=500.0)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args(argv)
    return run(a.db, a.broker, a.station, a.cameras, a.rate, a.duration, a.drain_timeout, a.backlog_rate, a.seed)


if __name__ == "__main__":
    sys.exit(main())
