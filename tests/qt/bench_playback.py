"""Measure playback over a 1-hour recording (60 one-minute H.264 segments, made once with ffmpeg):

``python -m tests.qt.bench_playback [--size 1280x720] [--gop 15] [--minutes 60] [--runs 25]``

Prints JSON: first-frame latency of opening a moment (decoder alone and through the window, median/p95),
and a 30 Hz scrub across the time bar (GUI thread's longest stall, how often the tiles kept up)."""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from PySide6.QtCore import QElapsedTimer, QTimer
from PySide6.QtWidgets import QApplication

from app.clips.ffmpeg import find_ffmpeg
from app.clips.index import Segment, add_segment, probe_video
from app.playback.clock import SyncClock
from app.playback.lookup import RecordingLookup
from app.playback.source import PlaybackSource, wait_for_frame
from app.store.db import open_db
from widgets.playback.view import PlaybackView
from widgets.shell.theme import apply_theme

T0 = 1772370000.0


def make_recording(root: Path, size: str, gop: int, minutes: int, fps: int = 15) -> tuple[Path, Path]:
    db, rec = root / "vigil.sqlite3", root / "recordings"
    if db.exists():
        return db, rec
    cam = rec / "cam1"
    cam.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
         f"testsrc2=size={size}:rate={fps}", "-t", str(minutes * 60), "-c:v", "libx264", "-preset", "veryfast",
         "-g", str(gop), "-pix_fmt", "yuv420p", "-f", "segment", "-segment_time", "60", "-reset_timestamps", "1",
         str(cam / "seg%03d.mp4")],
        check=True,
    )  # fmt: skip
    d = open_db(db)
    t = T0
    for path in sorted(cam.glob("seg*.mp4")):
        info = probe_video(path)
        add_segment(d, Segment("cam1", t, t + info.duration, path.relative_to(rec).as_posix(), path.stat().st_size,
                               info.frames, info.fps, info.width, info.height, info.codec))  # fmt: skip
        t += info.duration
    d.conn.close()
    return db, rec


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--gop", type=int, default=15)
    ap.add_argument("--minutes", type=int, default=60)
    ap.add_argument("--runs", type=int, default=25)
    args = ap.parse_args()
    root = Path(f"/tmp/vigil-bench-playback-{args.size}-g{args.gop}-{args.minutes}m")
    root.mkdir(parents=True, exist_ok=True)
    made = time.perf_counter()
    db, rec = make_recording(root, args.size, args.gop, args.minutes)
    made_s = time.perf_counter() - made
    end = T0 + args.minutes * 60 - 1
    rng = random.Random(7)
    moments = [rng.uniform(T0, end) for _ in range(args.runs)]

    # 1. decoder alone: seek -> frame in the slot
    clock = SyncClock(T0)
    src = PlaybackSource("cam1", clock, RecordingLookup(db), rec)
    src.start()
    decoder_ms = []
    for t in moments:
        a = time.perf_counter()
        clock.seek(t)
        src.wake()
        assert wait_for_frame(src, t, 5) is not None
        decoder_ms.append((time.perf_counter() - a) * 1000)
    src.stop()

    # 2. through the window: open a moment -> its frame on the tile
    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_theme(app)  # type: ignore[arg-type]
    view = PlaybackView(db, rec, {"cam1": "Bench"})
    view.resize(1600, 900)
    view.show()
    window_ms = []
    for t in moments:
        a = time.perf_counter()
        view.open(["cam1"], t)
        while True:
            app.processEvents()
            view.refresh()
            f = view.tiles[0].shown
            if f is not None and f.at <= t < f.at + 1 / 15 + 1e-6:
                break
            if time.perf_counter() - a > 5:
                raise SystemExit("no frame within 5 s")
            time.sleep(0.001)
        window_ms.append((time.perf_counter() - a) * 1000)

    # 3. a 30 Hz scrub over 10 minutes of the hour in 3 s, watching the GUI thread's stalls
    stalls: list[float] = []
    tick = QElapsedTimer()
    tick.start()
    probe = QTimer()
    probe.setInterval(5)
    probe.timeout.connect(lambda: stalls.append(tick.restart()))
    probe.start()
    kept_up, moves = 0, 90
    distinct: set[float] = set()
    scrub_began = time.perf_counter()
    start = T0 + 600
    for i in range(moves):
        target = start + i * (600 / moves)
        view._on_timebar_scrubbed(target)
        deadline = time.perf_counter() + 1 / 30
        while time.perf_counter() < deadline:
            app.processEvents()
            time.sleep(0.002)
        view.refresh()
        f = view.tiles[0].shown
        if f is not None:
            distinct.add(f.at)
        if f is not None and abs(f.at - target) < 1.0:
            kept_up += 1
    scrub_s = time.perf_counter() - scrub_began
    probe.stop()
    view.shut_down()
    report = {
        "recording": f"{args.minutes} x 1-minute H.264 segments, {args.size}, 15 fps, GOP {args.gop} frames",
        "made_in_s": round(made_s, 1),
        "open_moment_decoder_ms": {"median": round(statistics.median(decoder_ms), 1), "p95": round(pct(decoder_ms, 0.95), 1), "max": round(max(decoder_ms), 1)},
        "open_moment_window_ms": {"median": round(statistics.median(window_ms), 1), "p95": round(pct(window_ms, 0.95), 1), "max": round(max(window_ms), 1)},
        "scrub_30hz": {"moves": moves, "tile_within_1s_of_cursor": f"{kept_up}/{moves}",
                       "preview_frames_per_s": round(len(distinct) / scrub_s, 1),
                       "gui_longest_stall_ms": round(max(stalls[5:] or [0]), 1), "gui_median_tick_ms": round(statistics.median(stalls or [0]), 1)},
    }  # fmt: skip
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
