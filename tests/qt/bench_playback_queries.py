"""Measure the time bar's queries on a big store (the store of ``tests/qt/test_playback_queries.py``):

``python -m tests.qt.bench_playback_queries [--runs 5] [--segments 20000] [--events 100000]``

80 000 recordings rows (four cameras, 10 s segments, a 30 s gap after every 100) and 100 000 events, made once
in /tmp. For views of 3 days, 1 day and 1 hour it sends ``--runs`` requests to the worker
(``TimelineQueries``) for twice the visible range, as the bar does, and times request -> answer. Then it zooms
the real ``PlaybackView`` out to 3 days and records the GUI thread's longest gap between 5 ms timer ticks while
that answer is read. Prints JSON."""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path

from PySide6.QtCore import QElapsedTimer, QTimer
from PySide6.QtWidgets import QApplication

from app.playback.query import TimelineData, TimelineQueries
from app.store.db import open_db
from widgets.playback.view import PlaybackView

T0 = 1772370000.0  # 2026-03-01 13:00:00 UTC
CAMERAS = ["cam0", "cam1", "cam2", "cam3"]
VIEWS = {"3 days": 3 * 86400.0, "1 day": 86400.0, "1 hour": 3600.0}


def make_store(root: Path, segments: int, events: int) -> Path:
    """The big store (made once per size): ``segments`` rows per camera and ``events`` events."""
    path = root / "vigil.sqlite3"
    if path.exists():
        return path
    root.mkdir(parents=True, exist_ok=True)
    db = open_db(path)
    rows = []
    for cam in CAMERAS:
        t = T0
        for i in range(segments):
            rows.append((cam, t, t + 10.0, f"{cam}/{i}.mp4", 1000, 150, 15.0, 352, 288, "h264"))
            t += 10.0 + (30.0 if i % 100 == 99 else 0.0)
    db.conn.executemany(
        "INSERT INTO recordings(camera_id, start, end, path, bytes, frames, fps, width, height, codec) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    details = json.dumps({"box": [10, 10, 60, 70], "frame": [352, 288]})
    db.conn.executemany(
        "INSERT INTO events(at, camera_id, kind, details) VALUES (?, ?, ?, ?)",
        [
            (T0 + i * 2.0, CAMERAS[i % 4], ("no_mask", "incorrect_mask")[i % 2], details)
            for i in range(events)
        ],
    )
    db.conn.commit()
    db.conn.close()
    return path


def time_worker(db: Path, runs: int) -> dict[str, dict[str, float]]:
    """Request -> answer of the worker for each view (asking for twice the visible range, centred)."""
    answered = threading.Event()
    got: list[TimelineData] = []

    def on_result(data: TimelineData) -> None:
        got.append(data)
        answered.set()

    queries = TimelineQueries(db, on_result)
    out: dict[str, dict[str, float]] = {}
    try:
        for name, span in VIEWS.items():
            ms = []
            for i in range(runs):
                # the visible range starts at the first recording (hours later for the 1-hour view); the bar
                # asks for it with half of it either side
                start = T0 + (86400.0 + i * 3600.0 if span < 86400.0 else i * 60.0)
                answered.clear()
                a = time.perf_counter()
                queries.request(CAMERAS, start - span / 2, start + span * 1.5)
                if not answered.wait(60):
                    raise SystemExit(f"no answer within 60 s for {name}")
                ms.append((time.perf_counter() - a) * 1000)
            last = got[-1]
            out[name] = {
                "median_ms": round(statistics.median(ms), 1),
                "max_ms": round(max(ms), 1),
                "segments_merged": sum(len(v) for v in last.coverage.values()),
                "events": len(last.events),
            }
    finally:
        queries.close()
    return out


def gui_stall_while_loading(db: Path, root: Path) -> dict[str, float]:
    """Zoom the real view out to 3 days; the GUI thread's longest tick gap until the answer arrives."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    view = PlaybackView(db, root / "recordings")
    view.resize(1600, 900)
    view.show()
    arrived: list[TimelineData] = []
    view.data_loaded.connect(arrived.append)
    view.open(CAMERAS, T0 + 3600.0)
    deadline = time.perf_counter() + 60
    while not arrived and time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.002)
    arrived.clear()
    gaps: list[float] = []
    tick = QElapsedTimer()
    tick.start()
    probe = QTimer()
    probe.setInterval(5)
    probe.timeout.connect(lambda: gaps.append(tick.restart()))
    probe.start()
    a = time.perf_counter()
    view.timebar.set_view(T0, VIEWS["3 days"])
    while not arrived and time.perf_counter() - a < 60:
        app.processEvents()
        time.sleep(0.001)
    took = (time.perf_counter() - a) * 1000
    loading = list(gaps)
    gaps.clear()  # the same view, idle for 1 s at 3 days: what painting alone costs the GUI thread
    a = time.perf_counter()
    while time.perf_counter() - a < 1.0:
        app.processEvents()
        time.sleep(0.001)
    probe.stop()
    view.shut_down()
    return {
        "answer_ms": round(took, 1),
        "gui_ticks_while_loading": len(loading),
        "gui_longest_gap_ms_while_loading": round(max(loading or [0.0]), 1),
        "gui_median_gap_ms_while_loading": round(statistics.median(loading or [0.0]), 1),
        "gui_median_gap_ms_idle_after": round(statistics.median(gaps or [0.0]), 1),
        "gui_longest_gap_ms_idle_after": round(max(gaps or [0.0]), 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--segments", type=int, default=20_000, help="per camera (four cameras)")
    ap.add_argument("--events", type=int, default=100_000)
    args = ap.parse_args()
    root = Path(f"/tmp/vigil-bench-queries-{args.segments}-{args.events}")
    made = time.perf_counter()
    db = make_store(root, args.segments, args.events)
    report = {
        "store": f"{len(CAMERAS) * args.segments} recordings rows, {args.events} events",
        "made_in_s": round(time.perf_counter() - made, 1),
        "worker_twice_visible_range": time_worker(db, args.runs),
        "window_zoom_out_to_3_days": gui_stall_while_loading(db, root),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
