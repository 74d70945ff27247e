"""Measure the playback overlays' analysis and the time bar's worker:

``python -m tests.qt.bench_playback_overlays [../shared/data/video/man_no_mask_360p.mp4]``

Prints JSON: the first analysed frame after opening (starts the detector's child process), then per paused
seek the time until the tile draws "analysed now" boxes, and frames analysed per second while playing at 1x."""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtWidgets import QApplication

from app.clips.ffmpeg import find_ffmpeg
from app.clips.index import Segment, add_segment, probe_video
from app.playback.analysed import playback_models
from app.store.db import open_db
from widgets.playback.view import PlaybackView

T0 = 1772370000.0


def spin(app: QApplication, view: PlaybackView, until, timeout: float = 120.0) -> float:  # noqa: ANN001
    t = time.perf_counter()
    while time.perf_counter() - t < timeout:
        app.processEvents()
        view.refresh()
        if until():
            return (time.perf_counter() - t) * 1000
        time.sleep(0.002)
    return float("nan")


def main() -> None:
    src = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/video/man_no_mask_360p.mp4")
    tmp = Path(tempfile.mkdtemp(prefix="vigil-bench-overlays-"))
    db_path, rec = tmp / "vigil.sqlite3", tmp / "recordings"
    out = rec / "cam1" / "seg.mp4"
    out.parent.mkdir(parents=True)
    subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-stream_loop", "-1", "-i", str(src), "-t", "60",
                    "-an", "-vf", "fps=15", "-c:v", "libx264", "-preset", "veryfast", "-g", "15", "-pix_fmt", "yuv420p",
                    str(out)], check=True)  # fmt: skip
    info = probe_video(out)
    db = open_db(db_path)
    add_segment(db, Segment("cam1", T0, T0 + info.duration, "cam1/seg.mp4", out.stat().st_size, info.frames, 15.0,
                            info.width, info.height, info.codec))  # fmt: skip
    db.conn.close()
    app = QApplication(sys.argv[:1])
    view = PlaybackView(db_path, rec, analysis=playback_models())
    view.resize(1280, 720)
    view.show()
    tile = lambda: view.tiles[0]  # noqa: E731

    def analysed() -> bool:
        return tile().overlay_text().startswith("overlay: analysed now")

    view.open(["cam1"], T0 + 5.0)
    cold = spin(app, view, analysed)
    warm = []
    for at in random.Random(7).sample(range(1, 59), 15):
        view.seek(T0 + at + 0.37)
        warm.append(spin(app, view, lambda at=at: analysed() and abs(tile().shown.at - (T0 + at + 0.37)) < 0.1))
    before = view.analyser.analysed if view.analyser else 0
    view.seek(T0 + 2.0)
    view.play(1.0)
    spin(app, view, lambda: False, timeout=5.0)
    view.pause()
    rate = ((view.analyser.analysed if view.analyser else 0) - before) / 5.0
    view.shut_down()
    report = {
        "clip": src.name,
        "size": f"{info.width}x{info.height}",
        "first_analysed_frame_ms (child process start)": round(cold),
        "seek_to_analysed_boxes_ms median/p95/max": [round(statistics.median(warm)), round(sorted(warm)[13]), round(max(warm))],
        "analysed_frames_per_s_playing_1x": rate,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
