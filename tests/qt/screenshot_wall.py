"""Screenshot of the real window on real videos (docs/screenshot-wall.png).

``xvfb-run -s "-screen 0 1920x1080x24" python -m tests.qt.screenshot_wall OUT.png [seconds] VIDEO...``
Runs ``vigil gui`` (real bootstrap, analysis in a thread) in throwaway user dirs, grabs the window after
``seconds`` and closes it.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

if __name__ == "__main__":
    out, seconds, videos = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
    tmp = tempfile.mkdtemp(prefix="vigil-shot-")
    os.environ["VIGIL_CONFIG_DIR"] = os.path.join(tmp, "config")
    os.environ["VIGIL_DATA_DIR"] = os.path.join(tmp, "data")

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.cli import gui

    app = QApplication(sys.argv[:1])
    parser = argparse.ArgumentParser()
    gui.add_arguments(parser)
    args = parser.parse_args(
        ["--no-config", "--analysis", os.environ.get("SHOT_ANALYSIS", "process"), "--site", "Riverside Mall"]
        + [a for v in videos for a in ("--source", v)]
    )

    def arrange() -> None:
        window = next(w for w in app.topLevelWidgets() if type(w).__name__ == "StationWindow")
        window.resize(1920, 1050)
        window.move(0, 0)
        window.grid.set_grid(os.environ.get("SHOT_GRID", "3x3"))

    def shoot() -> None:
        window = next(w for w in app.topLevelWidgets() if type(w).__name__ == "StationWindow")
        if window.events.rowCount():
            window.event_panel.select_row(0)
        window.clock.tick()
        app.processEvents()
        for cid, feed in window.station.feeds().items():
            res, fr = feed.results.peek(), feed.frames.peek()
            if res is not None and fr is not None:
                print(cid, "faces", len(res.faces), "result age vs frame %.2f s" % (fr.captured_mono - res.captured_mono))
        window.grab().save(out)
        print(f"saved {out}; events {window.events.rowCount()}; {window.status.cameras.text()}")
        window.close()

    QTimer.singleShot(1500, arrange)
    QTimer.singleShot(int(seconds * 1000), shoot)
    sys.exit(gui.main(args))
