"""Screenshots of the Playback tab over real recorded video (the shared CCTV clips cut into segments):

``xvfb-run -s "-screen 0 1920x1080x24" python -m tests.qt.screenshot_playback OUTDIR [../shared/data/video]``
writes OUTDIR/playback.png (four cameras, one with a gap, events, a bookmark and an evidence lock),
playback_scrub.png (dragging the time bar) and bookmarks.png (the locks list)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app.clips.ffmpeg import find_ffmpeg
from app.clips.index import Segment, add_segment, probe_video
from app.store import bookmarks as bm
from app.store.db import open_db
from tests.qt.scripted_station import ScriptedStation, make_config
from widgets.shell.main_window import StationWindow
from widgets.shell.theme import apply_theme

T0 = time.time() - 3600.0  # an hour ago, so the clock and the bar read like today's incident


def record(src: Path, rec: Path, db, cam: str, pieces: list[tuple[float, float]]) -> None:  # noqa: ANN001
    for a, b in pieces:
        out = rec / cam / f"{cam}_{int(a)}.mp4"
        out.parent.mkdir(parents=True, exist_ok=True)
        clock = f"drawtext=text='%{{pts\\:localtime\\:{T0 + a:.0f}\\:%H\\\\\\:%M\\\\\\:%S}}':x=w-150:y=h-36:fontsize=22:fontcolor=white:box=1:boxcolor=black@0.5"
        subprocess.run([find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y", "-stream_loop", "-1", "-i", str(src),
                        "-t", str(b - a), "-an", "-vf", f"scale=-2:360,fps=15,{clock}", "-c:v", "libx264", "-preset",
                        "veryfast", "-g", "15", "-pix_fmt", "yuv420p", str(out)], check=True)  # fmt: skip
        info = probe_video(out)
        add_segment(db, Segment(cam, T0 + a, T0 + a + info.duration, out.relative_to(rec).as_posix(),
                                out.stat().st_size, info.frames, info.fps, info.width, info.height, info.codec))  # fmt: skip


def main() -> None:
    out = Path(sys.argv[1])
    videos = Path(sys.argv[2] if len(sys.argv) > 2 else "../shared/data/video")
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="vigil-playback-shot-"))
    db_path, rec = tmp / "vigil.sqlite3", tmp / "recordings"
    db = open_db(db_path)
    clips = sorted(videos.glob("*.mp4"))
    record(clips[1 % len(clips)], rec, db, "cam0", [(0, 180)])
    record(clips[0], rec, db, "cam1", [(0, 70), (105, 180)])  # 35 s not recorded
    record(clips[2 % len(clips)], rec, db, "cam2", [(0, 180)])
    face = videos / "man_no_mask_360p.mp4"  # a close face: the analysed-now boxes show on this one
    record(face if face.exists() else clips[0], rec, db, "cam3", [(20, 180)])
    events = [
        (40.0, "cam0", "no_mask", {"box": [250, 60, 330, 150], "frame": [640, 360]}),
        (62.0, "cam1", "incorrect_mask", {"box": [300, 90, 360, 160], "frame": [640, 360]}),
        (95.0, "cam2", "watchlist_match", {"box": [200, 80, 260, 150], "frame": [640, 360], "label": "ID 12"}),
        (71.0, "cam1", "camera_offline", {}),
        (128.0, "cam0", "no_mask", {"box": [120, 70, 190, 150], "frame": [640, 360]}),
    ]
    for at, cam, kind, details in events:
        db.execute("INSERT INTO events(at, camera_id, kind, details) VALUES (?, ?, ?, ?)",
                   [T0 + at, cam, kind, json.dumps(details)])  # fmt: skip
    db.conn.commit()
    bm.add_bookmark(db, ["cam2"], (T0 + 90, T0 + 90), "man with red bag", by="sue")
    locked = bm.add_bookmark(db, ["cam0", "cam1"], (T0 + 35, T0 + 65), "shop 12 incident", "police notified", by="sue")
    for b in locked:
        bm.lock_bookmark(db, b.id, "police request PD-2026/0301", T0 + 90 * 86400, by="sue")
    db.conn.close()

    app = QApplication(sys.argv[:1])
    apply_theme(app)
    names = ["Entrance North", "Food court", "Corridor B", "Car park lift"]
    config = make_config(4, sites=1)
    from dataclasses import replace

    config = replace(config, cameras=tuple(replace(c, name=n) for c, n in zip(config.cameras, names, strict=True)))
    station = ScriptedStation(config, db_path=str(db_path))
    station.recordings_dir = rec  # type: ignore[attr-defined]
    w = StationWindow(station, QSettings(str(tmp / "gui.ini"), QSettings.Format.IniFormat))
    w.resize(1920, 1050)
    w.show()
    w.grid.set_grid("2x2")
    view = w.playback.open(["cam0", "cam1", "cam2", "cam3"], T0 + 40.3)
    view.timebar.set_view(T0 - 10, 200)
    view.seek(T0 + 40.3)
    view.mark_in, view.mark_out = T0 + 35, T0 + 52
    view.timebar.set_marks(view.mark_in, view.mark_out)

    def settle(ms: int = 1500) -> None:
        end = time.monotonic() + ms / 1000
        while time.monotonic() < end:
            app.processEvents()
            view.refresh()
            time.sleep(0.01)

    view.reload_data(force=True)
    settle()
    deadline = time.monotonic() + 60  # the first analysis starts the face detector's child process
    while time.monotonic() < deadline and any(t.overlay_text().endswith("…") for t in view.tiles):
        settle(200)
    print("overlays:", [t.overlay_text() for t in view.tiles])
    w.grab().save(str(out / "playback.png"))
    bar = view.timebar
    y = int(bar.row_rect(1).center().y())
    QTest.mousePress(bar, Qt.MouseButton.LeftButton, pos=QPoint(int(bar.x_of(T0 + 60)), y))
    QTest.mouseMove(bar, QPoint(int(bar.x_of(T0 + 84)), y))
    settle(800)
    w.grab().save(str(out / "playback_scrub.png"))
    QTest.mouseRelease(bar, Qt.MouseButton.LeftButton, pos=QPoint(int(bar.x_of(T0 + 84)), y))
    dialog = w.playback.open_locks()
    settle(300)
    dialog.grab().save(str(out / "bookmarks.png"))
    w.close()
    print(out)


if __name__ == "__main__":
    main()
