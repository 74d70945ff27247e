"""Measure fast playback (8x and 16x, backwards and forwards) on recordings with 1 s and 4 s GOPs:

``python -m tests.qt.bench_playback_fast [--size 1280x720] [--seconds 6]``

Makes two minutes of H.264 (two 1-minute segments, ``testsrc2``, 15 fps, ``-preset veryfast`` like the
recorder) per GOP once in /tmp, then plays each with one ``PlaybackSource`` from the end backwards (or from the
start forwards) for ``--seconds`` of wall time and counts the distinct frames it put out: with key frames only
(the default from 8x) and with every GOP decoded (``KEY_FRAME_SPEED`` raised: how it was before). Prints JSON:
frames shown per second, the longest wait between two new frames and the CPU it cost (cores, this
process and its ffmpeg children; the benchmark's own polling loop included)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from pathlib import Path

from app.clips.ffmpeg import find_ffmpeg
from app.clips.index import Segment, add_segment, probe_video
from app.playback import decoder
from app.playback.clock import SyncClock
from app.playback.lookup import RecordingLookup
from app.playback.source import PlaybackSource
from app.store.db import open_db

T0 = 1772370000.0
FPS = 15


def make_recording(root: Path, size: str, gop_s: int) -> tuple[Path, Path, float]:
    db, rec = root / "vigil.sqlite3", root / "recordings"
    cam = rec / "cam1"
    if not db.exists():
        cam.mkdir(parents=True, exist_ok=True)
        g = str(gop_s * FPS)
        subprocess.run(
            [find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
             f"testsrc2=size={size}:rate={FPS}", "-t", "120", "-c:v", "libx264", "-preset", "veryfast",
             "-g", g, "-keyint_min", g, "-sc_threshold", "0", "-pix_fmt", "yuv420p", "-f", "segment",
             "-segment_time", "60", "-reset_timestamps", "1", str(cam / "seg%03d.mp4")],
            check=True,
        )  # fmt: skip
        d = open_db(db)
        t = T0
        for path in sorted(cam.glob("seg*.mp4")):
            info = probe_video(path)
            add_segment(d, Segment("cam1", t, t + info.duration, path.relative_to(rec).as_posix(),
                                   path.stat().st_size, info.frames, info.fps, info.width, info.height, info.codec))  # fmt: skip
            t += info.duration
        d.conn.close()
    return db, rec, T0 + 120.0


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the ffmpeg runs of key-frame mode)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def play(db: Path, rec: Path, end: float, speed: float, seconds: float) -> dict[str, float]:
    clock = SyncClock(end - 0.5 if speed < 0 else T0 + 0.5)
    clock.set_bounds(T0, end)
    src = PlaybackSource("cam1", clock, RecordingLookup(db), rec)
    src.start()
    version, shown, gaps = src.frames.version, 0, []
    cpu0 = _cpu()
    last_new = began = time.perf_counter()
    clock.play(speed)
    src.wake()
    while time.perf_counter() - began < seconds:
        time.sleep(0.002)
        v = src.frames.version
        if v != version:
            now = time.perf_counter()
            version = v
            shown += 1
            gaps.append(now - last_new)
            last_new = now
    moved = abs(clock.position() - (end - 0.5 if speed < 0 else T0 + 0.5))
    src.stop()
    return {
        "cpu_cores": round((_cpu() - cpu0) / seconds, 2),
        "frames_per_s": round(shown / seconds, 1),
        "longest_wait_ms": round(max(gaps[1:] or gaps or [0.0]) * 1000, 1),
        "recording_s_covered": round(moved, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--seconds", type=float, default=6.0)
    args = ap.parse_args()
    report: dict[str, object] = {
        "recording": f"2 x 1-minute H.264 segments, {args.size}, {FPS} fps, veryfast"
    }
    keep = decoder.KEY_FRAME_SPEED
    for gop in (1, 4):
        root = Path(f"/tmp/vigil-bench-fast-{args.size}-gop{gop}s")
        root.mkdir(parents=True, exist_ok=True)
        db, rec, end = make_recording(root, args.size, gop)
        for speed in (-8.0, -16.0, 16.0):
            row = {}
            for mode, threshold in (("every_gop_decoded", float("inf")), ("key_frames_only", keep)):
                decoder.KEY_FRAME_SPEED = threshold
                row[mode] = play(db, rec, end, speed, args.seconds)
            decoder.KEY_FRAME_SPEED = keep
            report[f"gop {gop} s, {speed:+g}x"] = row
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
