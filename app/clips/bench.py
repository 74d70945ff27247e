"""Clip benchmark (``vigil bench --clips``): recording CPU, stream-copy export time, render-export speed.

Uses a generated 720p 15 fps H.264 clip (ffmpeg ``testsrc``). Recording CPU is the CPU time of the
recorder ffmpeg processes (plus this process's recorder threads) per wall second, compared with the CPU
the capture threads spend decoding the same streams (what a station pays without recording).
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import cv2
import psutil
from sqlite_utils import Database

from app.clips import ffmpeg
from app.clips.export import Exporter, ExportRequest
from app.clips.index import Segment, add_segment, probe_video
from app.clips.recorder import Recorder, RecorderSettings
from app.config import CameraConfig

SIZE, FPS = (1280, 720), 15


def make_test_clip(path: Path, seconds: float, size: tuple[int, int] = SIZE, fps: int = FPS) -> Path:
    """A 720p H.264 clip (one keyframe a second) from ffmpeg's test pattern."""
    w, h = size
    args = ["-f", "lavfi", "-i", f"testsrc2=size={w}x{h}:rate={fps}", "-t", f"{seconds:g}",
            *ffmpeg.h264_args(fps), "-f", "mp4", "-y", str(path)]  # fmt: skip
    ffmpeg.run_ffmpeg(args, seconds)
    return path


def _decode_cpu_per_stream(clip: Path, seconds: float = 4.0) -> float:
    """CPU seconds per wall second to decode one stream at its real rate (the capture thread's cost)."""
    cap = cv2.VideoCapture(str(clip), cv2.CAP_FFMPEG)
    proc = psutil.Process()
    t0 = proc.cpu_times()
    n = 0
    while n < seconds * FPS and cap.grab():
        cap.retrieve()
        n += 1
    t1 = proc.cpu_times()
    cap.release()
    video_s = n / FPS
    return ((t1.user - t0.user) + (t1.system - t0.system)) / max(video_s, 1e-6)


def bench_recording(clip: Path, work: Path, cameras: int, seconds: float) -> dict[str, Any]:
    """Record ``cameras`` copies of ``clip`` in real time (stream copy) for ``seconds``."""
    recs = [
        Recorder(
            CameraConfig(f"cam{i}", f"Cam {i}", "bench", str(clip), loop=True, record=True),
            work / "rec",
            lambda s: None,
            RecorderSettings(segment_s=5.0),
        )
        for i in range(cameras)
    ]
    me = psutil.Process()
    for r in recs:
        r.start()
    time.sleep(3.0)  # probing and start-up are not steady-state cost
    children = me.children(recursive=True)
    c0 = {p.pid: p.cpu_times() for p in children if p.is_running()}
    m0, w0 = me.cpu_times(), time.monotonic()
    time.sleep(seconds)
    c1 = {}
    for p in children:
        with contextlib.suppress(psutil.Error):
            c1[p.pid] = p.cpu_times()
    m1, wall = me.cpu_times(), time.monotonic() - w0
    for r in recs:
        r.request_stop()
    for r in recs:
        r.stop(15)
    ff = sum((c1[k].user - c0[k].user) + (c1[k].system - c0[k].system) for k in c1 if k in c0)
    py = (m1.user - m0.user) + (m1.system - m0.system)
    cpu_per_s = (ff + py) / wall
    decode = _decode_cpu_per_stream(clip) * cameras
    return {
        "cameras": cameras,
        "ffmpeg_processes": len(c1),
        "record_cpu_cores": round(cpu_per_s, 4),
        "ffmpeg_cpu_cores": round(ff / wall, 4),
        "python_cpu_cores": round(py / wall, 4),
        "record_cpu_percent_of_machine": round(100 * cpu_per_s / (psutil.cpu_count() or 1), 2),
        "decode_cpu_cores_same_streams": round(decode, 3),
        "record_extra_percent_over_decoding": round(100 * cpu_per_s / max(decode, 1e-6), 2),
    }


def _fake_recording(clip: Path, rec: Path, db_path: Path, minutes: float) -> tuple[float, float]:
    """Index ``minutes`` of back-to-back copies of a 60 s clip as one camera's recording."""
    info = probe_video(clip)
    db = Database(str(db_path))
    start = t = 1_700_000_000.0
    for i in range(int(minutes)):
        dest = rec / "bench" / f"{i:04d}.mp4"
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(clip, dest)
        seg = Segment("bench", t, t + info.duration, dest.relative_to(rec).as_posix(), dest.stat().st_size,
                      info.frames, info.fps, info.width, info.height, info.codec)  # fmt: skip
        add_segment(db, seg)
        t += info.duration
    db.conn.close()
    return start, t


def bench_export(clip60: Path, work: Path, minutes: float, render_s: float) -> dict[str, Any]:
    rec, db_path = work / "rec_export", work / "export.sqlite3"
    from app.store.db import open_db

    open_db(db_path).conn.close()
    start, end = _fake_recording(clip60, rec, db_path, minutes)
    exporter = Exporter(db_path, rec)
    t0 = time.monotonic()
    exporter.run(ExportRequest(("bench",), start, end, work / "out", reason="benchmark"))
    copy_s = time.monotonic() - t0
    t0 = time.monotonic()
    req = ExportRequest(("bench",), start + 5, start + 5 + render_s, work / "out", reason="benchmark",
                        overlays=True, blur_faces=True)  # fmt: skip
    exporter.run(req, cancel=threading.Event())
    render = time.monotonic() - t0
    return {
        "copy_export_minutes": minutes,
        "copy_export_s": round(copy_s, 2),
        "render_export_video_s": render_s,
        "render_export_s": round(render, 2),
        "render_realtime_factor": round(render / render_s, 2),
    }


def run_clip_bench(
    workdir: Path | None = None,
    cameras: int = 16,
    record_s: float = 10.0,
    export_minutes: float = 10.0,
    render_s: float = 20.0,
) -> dict[str, Any]:
    """Measure recording CPU, stream-copy export time and overlay+blur export speed on 720p 15 fps H.264."""
    own = workdir is None
    work = Path(tempfile.mkdtemp(prefix="vigil-clip-bench-")) if workdir is None else workdir
    try:
        clip60 = make_test_clip(work / "clip60.mp4", 60)
        result: dict[str, Any] = {
            "video": f"{SIZE[0]}x{SIZE[1]} {FPS} fps H.264",
            "ffmpeg": ffmpeg.ffmpeg_version(),
        }
        result["recording"] = bench_recording(clip60, work, cameras, record_s)
        result["export"] = bench_export(clip60, work, export_minutes, render_s)
        return result
    finally:
        if own:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":  # python -m app.clips.bench
    import json
    import os

    if hasattr(os, "nice"):
        os.nice(10)
    print(json.dumps(run_clip_bench(), indent=2))
