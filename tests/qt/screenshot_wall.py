"""Screenshot of the station window on real videos (docs/screenshot-wall.png).

``xvfb-run -s "-screen 0 1920x1080x24" python -m tests.qt.screenshot_wall OUT.png SECONDS VIDEO...``
Uses ``VideoStation`` (real decoding, real BlazeFace, scripted verdicts), throwaway user dirs.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

if __name__ == "__main__":
    out, seconds, videos = sys.argv[1], float(sys.argv[2]), [Path(v) for v in sys.argv[3:]]
    tmp = tempfile.mkdtemp(prefix="vigil-shot-")
    os.environ["VIGIL_CONFIG_DIR"] = os.path.join(tmp, "config")
    os.environ["VIGIL_DATA_DIR"] = os.path.join(tmp, "data")

    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from tests.qt.video_station import VideoStation
    from widgets.shell.main_window import StationWindow
    from widgets.shell.theme import apply_theme

    app = QApplication(sys.argv[:1])
    apply_theme(app)
    station = VideoStation(videos, offline=1).start()
    window = StationWindow(station, QSettings(os.path.join(tmp, "gui.ini"), QSettings.Format.IniFormat))
    window.resize(1920, 1050)
    window.show()
    window.grid.set_grid(os.environ.get("SHOT_GRID", "3x3"))
    QTimer.singleShot(
        int(seconds * 1000) - 1500,
        lambda: window.notices.notify("Car park 1 is offline: connection refused", "warning"),
    )

    def shoot() -> None:
        if window.events.rowCount():
            window.event_panel.select_row(0)
        window.clock.tick()
        app.processEvents()
        window.grab().save(out)
        print(f"saved {out}; events {window.events.rowCount()}; {window.status.cameras.text()}")
        window.close()

    QTimer.singleShot(int(seconds * 1000), shoot)
    app.exec()
    station.stop()
