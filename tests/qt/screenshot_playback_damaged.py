"""Screenshot of playback over a damaged recording: two cameras, the first with a truncated segment at the
asked time, the second playing:

``xvfb-run -s "-screen 0 1920x1080x24" python -m tests.qt.screenshot_playback_damaged OUTDIR``
writes OUTDIR/playback_damaged.png."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtWidgets import QApplication
from widgets.theme import apply_theme

from app.playback.source import SourceState
from tests.faults.test_damaged_segments import damage
from tests.playback_media import record_camera
from widgets.playback.view import PlaybackView

FPS = 15
T0 = time.time() - 3600.0


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "shots")
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="vigil-shot-damaged-"))
    db, rec = tmp / "vigil.sqlite3", tmp / "recordings"
    segs = record_camera(rec, db, "cam0", T0, [(0, 30)], FPS, segment_s=10.0, size=(640, 360))
    record_camera(rec, db, "cam1", T0, [(0, 30)], FPS, segment_s=10.0, size=(640, 360))
    damage(rec, segs[1], "truncated")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    apply_theme(app)  # type: ignore[arg-type]
    view = PlaybackView(db, rec, {"cam0": "Entrance", "cam1": "Food court"})
    view.resize(1600, 700)
    view.show()
    view.open(["cam0", "cam1"], T0 + 14.0)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        app.processEvents()
        view.refresh()
        if view.sources[0].status.state is SourceState.DAMAGED and view.tiles[1].shown is not None:
            break
        time.sleep(0.02)
    for _ in range(20):
        app.processEvents()
        view.refresh()
        time.sleep(0.02)
    view.grab().save(str(out / "playback_damaged.png"))
    print(view.tiles[0].message())
    view.shut_down()


if __name__ == "__main__":
    main()
